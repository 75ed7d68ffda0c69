"""report.json's versioned schema: the RunResult model, exported as JSON Schema.

docs/report.schema.json is this module's output, committed so that other tools can read
reports without shouldtune; a test fails when it falls behind the model. Regenerate with
`python -m shouldtune.report.schema > docs/report.schema.json`.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from shouldtune.results import RunResult

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def report_schema() -> dict[str, Any]:
    schema = RunResult.model_json_schema()
    return {"$schema": DIALECT, **schema}


def schema_text() -> str:
    return json.dumps(report_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(schema_text())

"""report.json and its committed JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from shouldtune.report.schema import schema_text
from tests.conftest import ROOT

SCHEMA = ROOT / "docs" / "report.schema.json"


def test_committed_schema_is_current() -> None:
    assert SCHEMA.read_text(encoding="utf-8") == schema_text(), (
        "docs/report.schema.json is stale: "
        "python -m shouldtune.report.schema > docs/report.schema.json"
    )


def test_report_json_is_results_json_and_validates(label_run: Path) -> None:
    report = json.loads((label_run / "report.json").read_text())
    assert report == json.loads((label_run / "results.json").read_text())
    jsonschema.validate(report, json.loads(SCHEMA.read_text()))


def test_schema_rejects_a_report_without_a_verdict(label_run: Path) -> None:
    report = json.loads((label_run / "report.json").read_text())
    del report["verdict"]
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    assert any("verdict" in error.message for error in validator.iter_errors(report))

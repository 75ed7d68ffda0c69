"""Regenerate the generated parts of the docs: docs/spec.md's spec table and the report schema.

    .venv/bin/python scripts/update_docs.py

tests/test_spec.py and tests/report/test_schema.py fail until this has been run after a change
to the TaskSpec or to RunResult.
"""

from __future__ import annotations

from pathlib import Path

from shouldtune.report.schema import schema_text
from shouldtune.spec import spec_reference

ROOT = Path(__file__).resolve().parent.parent
HEADER = "| key | default | what it means |"


def update_spec_page(path: Path) -> None:
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(HEADER))
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    lines[start:end] = spec_reference().strip().splitlines()
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    update_spec_page(ROOT / "docs" / "spec.md")
    (ROOT / "docs" / "report.schema.json").write_text(schema_text(), encoding="utf-8")


if __name__ == "__main__":
    main()

"""Every report format from one run directory: report.json, report.html, report.md.

`shouldtune.run` (the API layer) calls `write_reports` once the ladder has put results.json on
disk, and `shouldtune report` calls it on a saved run, so both paths render from the same files.
"""

from __future__ import annotations

from pathlib import Path

from shouldtune.report.html import render_html
from shouldtune.report.load import load_run
from shouldtune.report.markdown import render_markdown
from shouldtune.rundir import write_json_atomic, write_text_atomic

REPORT_FILES = ("report.json", "report.html", "report.md")


def write_reports(path: Path) -> list[Path]:
    """Render the three formats from the run directory's files; returns the paths written."""
    run = load_run(path)
    # report.json is results.json re-validated and re-dumped through the schema's model.
    write_json_atomic(path / "report.json", run.result.model_dump(mode="json"))
    write_text_atomic(path / "report.html", render_html(run))
    write_text_atomic(path / "report.md", render_markdown(run))
    return [path / name for name in REPORT_FILES]

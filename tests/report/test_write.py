"""Every run writes the three formats, and re-rendering a saved run gives the same bytes."""

from __future__ import annotations

from pathlib import Path

from shouldtune.report.write import REPORT_FILES, write_reports


def test_every_run_writes_the_three_formats(label_run: Path) -> None:
    for name in REPORT_FILES:
        assert (label_run / name).stat().st_size > 0, name
    assert not list(label_run.glob("*.tmp"))


def test_rerender_is_byte_identical(label_run: Path) -> None:
    before = {name: (label_run / name).read_bytes() for name in REPORT_FILES}
    for name in REPORT_FILES:
        (label_run / name).unlink()
    written = write_reports(label_run)
    assert [p.name for p in written] == list(REPORT_FILES)
    assert {name: (label_run / name).read_bytes() for name in REPORT_FILES} == before

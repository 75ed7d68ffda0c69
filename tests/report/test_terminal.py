"""The result on a terminal or in a log file: 80 columns, no number cut."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from shouldtune.report.load import load_run
from shouldtune.report.terminal import DROP_ORDER, ELLIPSIS, fitted_rung_table, render_result


def _shown(width: int, label_run: Path) -> str:
    console = Console(width=width, record=True, color_system=None)
    render_result(console, load_run(label_run).result)
    return console.export_text()


@pytest.mark.parametrize("width", [80, 100])
def test_the_result_fits_the_width_without_cutting_a_number(label_run: Path, width: int) -> None:
    result = load_run(label_run).result
    text = _shown(width, label_run)
    assert ELLIPSIS not in text
    assert max(len(line) for line in text.splitlines()) <= width
    rows = [line for line in text.splitlines() if line.startswith("│")]
    for rung in result.rungs:
        s = rung.score
        row = next(line for line in rows if f" {rung.rung} " in line)
        assert f"{s.point:.1%}" in row and f"[{s.low:.1%}, {s.high:.1%}]" in row


def test_columns_are_left_out_in_the_declared_order_and_said(label_run: Path) -> None:
    result = load_run(label_run).result
    _, wide = fitted_rung_table(result, 200)
    assert wide == []
    _, narrow = fitted_rung_table(result, 60)
    assert narrow == list(DROP_ORDER[: len(narrow)]) and narrow
    text = _shown(60, label_run)
    assert f"left out to fit 60 columns: {', '.join(narrow)}" in text
    table = text.split("Cost at")[0]
    assert ELLIPSIS not in table
    # Rung names are never broken mid-word: each is whole on its row.
    rows = [line for line in table.splitlines() if line.startswith("│")]
    for rung in result.rungs:
        assert any(f" {rung.rung} " in line for line in rows)

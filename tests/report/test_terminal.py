"""The result on a terminal or in a log file: 80 columns, no number cut."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from shouldtune.records import Interval
from shouldtune.report.load import load_run
from shouldtune.report.sweep_view import SweepRow
from shouldtune.report.terminal import (
    DROP_ORDER,
    ELLIPSIS,
    SWEEP_DROP,
    fitted_rung_table,
    fitted_sweep_table,
    render_result,
)


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


def test_the_sweep_table_keeps_every_override_whole_at_80_columns() -> None:
    score = Interval(point=0.655, low=0.505, high=0.785, method="wilson")
    rows = [
        SweepRow("lora_r=16, learning_rate=0.0002, epochs=3", score, score, 0.6, 0.55, 40, True),
        SweepRow("as given", score, score, 0.6, 0.5, 40, False, chosen=True),
    ]
    table, dropped = fitted_sweep_table(rows, 80)
    console = Console(width=80, record=True, color_system=None)
    console.print(table)
    text = console.export_text()
    assert ELLIPSIS not in text and "learning_rate=0.0002," in text
    assert "66% [50%, 78%]" in text and "chosen" in text
    assert dropped == list(SWEEP_DROP[: len(dropped)])

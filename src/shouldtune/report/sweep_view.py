"""The LoRA sweep in the reports: task score against general-probe score, one row per setting.

Read from the lora rung's typed record (settings.sweep); the same rows feed the HTML chart
and table, the Markdown table and the terminal's short table.
"""

from __future__ import annotations

from dataclasses import dataclass

from shouldtune.records import Interval
from shouldtune.results import RunResult
from shouldtune.sweep import probe_interval


@dataclass(frozen=True)
class SweepRow:
    label: str
    task: Interval | None = None  # on the test split (reporting, never selection)
    probe: Interval | None = None  # general probe of the tuned model
    probe_base: float | None = None  # the same probe, adapter off
    val_score: float = 0.0
    val_n: int = 0
    within: bool | None = None  # None: no forgetting budget
    chosen: bool = False


def sweep_rows(result: RunResult) -> list[SweepRow]:
    """One row per setting the sweep measured; empty when no sweep ran."""
    lora = next((r for r in result.rungs if r.rung == "lora"), None)
    record = lora.settings.sweep if lora is not None else None
    if record is None:
        return []
    rows = []
    for i, p in enumerate(record.points):
        task = None
        if p.test_score is not None and p.test_low is not None and p.test_high is not None:
            task = Interval(point=p.test_score, low=p.test_low, high=p.test_high, method="test")
        rows.append(
            SweepRow(
                label=p.label,
                task=task,
                probe=probe_interval(p.forgetting),
                probe_base=p.forgetting.probe_base if p.forgetting is not None else None,
                val_score=p.val_score,
                val_n=p.val_n,
                within=p.within_budget,
                chosen=i == record.chosen,
            )
        )
    return rows


def interval_text(value: Interval | None) -> str:
    if value is None:
        return "not measured"
    return f"{value.point:.1%} [{value.low:.1%}, {value.high:.1%}]"


def budget_text(row: SweepRow) -> str:
    return "" if row.within is None else "within" if row.within else "over"

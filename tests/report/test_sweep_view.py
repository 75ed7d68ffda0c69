"""The sweep's trade-off in the reports: the chart's points, the tables, the chosen mark."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from rich.console import Console

from shouldtune.records import Interval
from shouldtune.report.charts import TradeoffPoint, tradeoff_chart
from shouldtune.report.html import render_html
from shouldtune.report.load import load_run
from shouldtune.report.markdown import render_markdown
from shouldtune.report.sweep_view import sweep_rows
from shouldtune.report.terminal import sweep_table
from shouldtune.rung_settings import Forgetting, SweepPoint, SweepRecord

NS = "{http://www.w3.org/2000/svg}"


def _iv(point: float, half: float = 0.1) -> Interval:
    return Interval(point=point, low=point - half, high=point + half, method="wilson")


def test_the_chart_draws_one_point_per_setting_where_its_scores_are_and_rings_the_chosen() -> None:
    points = [
        TradeoffPoint("as given", _iv(0.9), _iv(0.1), within=False),
        TradeoffPoint("rank=4 <b>", _iv(0.6), _iv(0.6), chosen=True, within=True),
    ]
    root = ET.fromstring(tradeoff_chart(points, bar=0.8, probe_base=0.65))
    groups = [g for g in root.iter(f"{NS}g") if "sweep-point" in (g.get("class") or "")]
    assert [g.get("data-setting") for g in groups] == ["as given", "rank=4 <b>"]
    assert [g.get("class") for g in groups] == ["sweep-point", "sweep-point chosen"]
    centres = [next(g.iter(f"{NS}circle")) for g in groups]
    # More task score is further right; more general probe is higher up (smaller y).
    assert float(centres[0].get("cx") or 0) > float(centres[1].get("cx") or 0)
    assert float(centres[0].get("cy") or 0) > float(centres[1].get("cy") or 0)
    assert len(list(groups[1].iter(f"{NS}circle"))) == 2  # the chosen one is ringed
    # Each point carries its two intervals as bars.
    task_bar, probe_bar = list(groups[0].iter(f"{NS}line"))[:2]
    assert task_bar.get("y1") == task_bar.get("y2") and probe_bar.get("x1") == probe_bar.get("x2")
    assert {line.get("data-threshold") for line in root.iter(f"{NS}line")} >= {"bar", "base"}


def _with_sweep(run_dir: Path) -> Path:
    """The run's results.json with a lora rung that swept two settings."""
    raw = json.loads((run_dir / "results.json").read_text())
    lora = dict(raw["rungs"][-1], rung="lora")
    forgetting = [
        Forgetting(probe_base=0.65, probe_tuned=0.1, n_probe=20),
        Forgetting(probe_base=0.65, probe_tuned=0.6, n_probe=20),
    ]
    record = SweepRecord(
        val_size=16,
        chosen=1,
        rule="the best validation score among the settings within the forgetting budget",
        points=[
            SweepPoint(
                label=name,
                overrides={},
                val_score=val,
                val_n=16,
                test_score=test,
                test_low=test - 0.1,
                test_high=test + 0.1,
                test_n=30,
                forgetting=f,
                within_budget=within,
            )
            for name, val, test, f, within in (
                ("as given", 0.9, 0.92, forgetting[0], False),
                ("rank=4", 0.8, 0.81, forgetting[1], True),
            )
        ],
    )
    lora["settings"] = {**lora["settings"], "sweep": record.model_dump(mode="json")}
    raw["rungs"].append(lora)
    (run_dir / "results.json").write_text(json.dumps(raw))
    return run_dir


def test_every_report_shows_the_sweep_with_the_chosen_setting(label_run: Path) -> None:
    run = load_run(_with_sweep(label_run))
    rows = sweep_rows(run.result)
    assert [(r.label, r.chosen, r.within) for r in rows] == [
        ("as given", False, False),
        ("rank=4", True, True),
    ]
    assert rows[1].probe is not None and rows[1].probe.low < 0.6 < rows[1].probe.high
    html = render_html(run)
    assert html.count('class="sweep-point') == 2 and 'data-chart="tradeoff"' in html
    markdown = render_markdown(run)
    assert "| `rank=4` | 81.0% [71.0%, 91.0%]" in markdown and "| chosen |" in markdown
    console = Console(width=160, record=True)
    console.print(sweep_table(rows))
    terminal = console.export_text()
    assert "rank=4" in terminal and "chosen" in terminal and "over" in terminal


def test_no_sweep_no_section(label_run: Path) -> None:
    run = load_run(label_run)
    assert sweep_rows(run.result) == []
    assert "tradeoff" not in render_html(run) and "LoRA sweep" not in render_markdown(run)

"""The cost table of a real (scripted) run: results.json, the terminal, report.md and HTML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from shouldtune.cost import PriceTable
from shouldtune.report.cost_view import payback
from shouldtune.report.extras import cost as cost_extra
from shouldtune.report.load import load_run
from shouldtune.report.terminal import render_result
from shouldtune.spec import CostSpec
from tests.report.conftest import color_task, make_run


def test_a_run_prices_each_rung_from_its_measured_tokens(label_run: Path) -> None:
    raw = json.loads((label_run / "results.json").read_text())
    result = load_run(label_run).result
    assert result.cost is not None
    cost = raw["cost"]
    assert cost["as_of"] == PriceTable().as_of
    by_rung = {r.rung: r for r in result.rungs}
    for name in ("zero_shot", "few_shot"):
        option = cost["options"][name]
        assert option["prompt_tokens"] == by_rung[name].mean_prompt_tokens
        assert option["source"] == "measured"
    # Demonstrations make the few-shot prompt longer, and so dearer per request.
    assert cost["options"]["few_shot"]["monthly_usd"] > cost["options"]["zero_shot"]["monthly_usd"]
    even = cost["break_even"]
    assert even["baseline"] == "few_shot"  # the best prompt rung of this run
    assert even["upfront_usd"] == cost["training"]["cost_usd"]


def test_requests_per_month_scales_the_spend(tmp_path: Path) -> None:
    spec = color_task(tmp_path)
    low = make_run(
        tmp_path / "a", spec=spec.model_copy(update={"cost": CostSpec(requests_per_month=1000)})
    )
    high = make_run(
        tmp_path / "b", spec=spec.model_copy(update={"cost": CostSpec(requests_per_month=3000)})
    )
    assert low.cost is not None and high.cost is not None
    a, b = low.cost.options["few_shot"], high.cost.options["few_shot"]
    assert b.monthly_usd == pytest.approx(3 * a.monthly_usd)
    # Label tasks are scored by likelihood; the answer is priced at the labels' length.
    assert a.completion_tokens > 0
    assert b.usd_per_1k_requests == a.usd_per_1k_requests


def test_terminal_markdown_and_html_show_the_cost(label_run: Path) -> None:
    result = load_run(label_run).result
    console = Console(record=True, width=120)
    render_result(console, result)
    text = console.export_text()
    assert "requests/month, prices as of 2026-05" in text
    assert "fine_tuned" in text and "Break-even against few_shot" in text
    markdown = (label_run / "report.md").read_text()
    assert "$ / month" in markdown and "Break-even against few\\_shot" in markdown
    raw = json.loads((label_run / "results.json").read_text())
    extra = cost_extra(raw)
    assert extra is not None and extra.chart is not None
    assert "Cost and break-even" in (label_run / "report.html").read_text()


def test_payback_words() -> None:
    assert payback(None) == "never at this volume"
    assert payback(2.5) == "2.5 months"
    assert payback(1 / 30.44) == "1 day"
    assert payback(0.5) == "15 days"
    assert payback(0.001) == "less than a day"

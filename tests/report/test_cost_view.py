"""The cost table of a real (scripted) run: results.json, the terminal, report.md and HTML."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rich.console import Console

from shouldtune.cost import PriceTable
from shouldtune.report.cost_view import payback, summary_lines
from shouldtune.report.extras import cost as cost_extra
from shouldtune.report.load import load_run
from shouldtune.report.terminal import render_result
from shouldtune.spec import CostSpec
from tests.fakes import last_input
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
    run = load_run(label_run)
    result = run.result
    console = Console(record=True, width=120)
    render_result(console, result)
    text = console.export_text()
    assert "requests/month, prices as of 2026-05" in text
    # The API prices are the table's placeholders: the heading and each API row say so.
    assert "placeholder prices" in text and "API (placeholder prices)" in text
    # No fine-tune ran here: its break-even is a what-if, the assumption in the same sentence.
    assert "fine_tuned" in text and "What-if break-even against few_shot (assuming" in text
    assert "Break-even against" not in text
    # The savings depend on the API price: a placeholder one is named in the same sentence.
    assert result.cost is not None
    assert any(
        line.startswith("What-if") and "saved at placeholder API prices" in line
        for line in summary_lines(result.cost)
    )
    markdown = (label_run / "report.md").read_text()
    assert "$ / month" in markdown and "What-if break-even against few\\_shot" in markdown
    # The scripted model's size is unknown: the fine-tune is priced at an assumed size, said so.
    assert result.cost is not None
    assert result.cost.training.params_source.startswith("assumed: the size of scripted ")
    lines = summary_lines(result.cost)
    assert any("size is assumed: the size of scripted" in line for line in lines)
    extra = cost_extra(result)
    assert extra is not None and extra.chart is not None
    assert extra.head == ("option", "$/1k requests", "$/month", "served by")
    assert [row[0] for row in extra.table] == list(result.cost.options) if result.cost else False
    assert "Cost and break-even" in (label_run / "report.html").read_text()


def _cost_section(page: str) -> str:
    found = re.search(r'<section id="cost">(.*?)</section>', page, re.S)
    assert found is not None
    return found.group(1)


def test_the_cost_section_is_a_short_table_and_words_never_record_keys(label_run: Path) -> None:
    page = (label_run / "report.html").read_text()
    section = _cost_section(page)
    heads = re.findall(r"<th[^>]*>([^<]*)</th>", section)
    assert heads == ["option", "$/1k requests", "$/month", "served by"]
    assert "<code>" not in section
    # A dotted record key (options.zero_shot.prompt_tokens, training.mfu_source) is not prose.
    assert not re.search(r"\b[a-z_]+\.[a-z_]+\.[a-z_]+\b", re.sub(r"<[^>]+>", " ", section))
    assert "mfu_source" not in section and "prompt_tokens" not in section
    assert "What-if break-even" in section


def test_a_prompt_verdict_ends_on_the_prompt_not_a_payback(tmp_path: Path) -> None:
    # Every answer right: the few-shot prompt meets the bar.
    result = make_run(tmp_path, lambda prompt: last_input(prompt).rsplit(" ", 1)[-1])
    assert result.verdict.kind == "PROMPT"
    assert result.cost is not None and result.cost.break_even is None
    run = load_run(Path(result.run_dir or ""))
    extra = cost_extra(run.result)
    assert extra is not None and extra.chart is None
    assert not any("break-even" in line.lower() for line in extra.lines)
    assert "the verdict is PROMPT" in extra.lines[-1]
    markdown = (Path(result.run_dir or "") / "report.md").read_text()
    assert "pays back" not in markdown


def test_payback_words() -> None:
    assert payback(None) == "never at this volume"
    assert payback(2.5) == "2.5 months"
    assert payback(1 / 30.44) == "1 day"
    assert payback(0.5) == "15 days"
    assert payback(0.001) == "less than a day"


def test_the_fine_tune_line_names_the_measured_model_and_its_size(tmp_path: Path) -> None:
    result = make_run(tmp_path)
    assert result.cost is not None
    training = result.cost.training.model_copy(
        update={
            "target_params": 135e6,
            "target_model": "smollm2-135m",
            "params_source": "the measured model",
            "compute_hours": 0.001,
        }
    )
    cost = result.cost.model_copy(update={"training": training})
    line = next(line for line in summary_lines(cost) if line.startswith("Fine-tuning"))
    assert line.startswith("Fine-tuning smollm2-135m (135M parameters, the measured model; lora")
    assert "under a minute of compute" in line and "assumed" not in line

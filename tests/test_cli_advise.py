"""`shouldtune advise` in-process: flags, the non-interactive answer, an interactive session."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from shouldtune.cli import app

runner = CliRunner()
WIDE = {"COLUMNS": "200"}


def test_help_documents_every_flag() -> None:
    command = typer.main.get_command(app).commands["advise"]  # type: ignore[attr-defined]
    result = runner.invoke(app, ["advise", "--help"], env=WIDE)
    assert result.exit_code == 0
    for param in command.params:
        assert param.help, f"{param.name} has no help text"
        for flag in param.opts + param.secondary_opts:
            assert flag in result.output, flag


def test_a_non_interactive_call_prints_the_answer_and_break_even() -> None:
    result = runner.invoke(
        app,
        [
            "advise",
            "--no-input",
            "--prompt-works",
            "no",
            "--knowledge-gap",
            "no",
            "--pattern",
            "yes",
            "--examples",
            "400",
            "--requests-per-month",
            "250000",
            "--price-input",
            "1",
            "--price-output",
            "4",
        ],
        env=WIDE,
    )
    assert result.exit_code == 0, result.output
    assert "FINE_TUNE" in result.output
    assert "Fine-tune." in result.output
    # Nothing is measured before a run: the break-even is a what-if on the user's estimates.
    assert "What-if break-even against prompt (your token estimates)" in result.output
    assert "pays back in" in result.output
    assert "250,000 requests/month" in result.output
    assert "$1 in / $4 out" in result.output
    assert "write down at least" not in result.output


def test_few_examples_get_the_pre_check_advice() -> None:
    result = runner.invoke(
        app, ["advise", "--no-input", "--prompt-works", "unsure", "--examples", "3"], env=WIDE
    )
    assert result.exit_code == 0, result.output
    assert "PROMPT" in result.output
    assert "write down at least 50" in result.output
    assert "shouldtune check" in result.output
    # The two unanswered questions are named, not silently assumed.
    assert "--knowledge-gap" in result.output and "--pattern" in result.output


def test_an_interactive_session_asks_the_questions_and_re_asks_bad_answers() -> None:
    result = runner.invoke(
        app,
        ["advise", "--interactive"],
        input="n\nperhaps\ny\nno\n20\n1,000,000\n",
        env=WIDE,
    )
    assert result.exit_code == 0, result.output
    assert "1. Prompt:" in result.output
    assert "2. Knowledge:" in result.output
    assert "3. Pattern:" in result.output
    assert "answer yes, no or unsure" in result.output
    assert "RAG" in result.output
    assert "1,000,000 requests/month" in result.output
    assert "You have 20 examples" in result.output


def test_json_output_carries_the_cost_table() -> None:
    result = runner.invoke(
        app,
        [
            "advise",
            "--no-input",
            "--prompt-works",
            "no",
            "--knowledge-gap",
            "no",
            "--pattern",
            "yes",
            "--examples",
            "80",
            "--target-params",
            "13B",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    advice = json.loads(result.stdout)
    assert advice["kind"] == "FINE_TUNE"
    assert advice["cost"]["training"]["target_params"] == 13e9
    even = advice["cost"]["break_even"]
    assert even["months"] * even["monthly_savings_usd"] == pytest.approx(even["upfront_usd"])


def test_bad_values_exit_2_without_a_traceback() -> None:
    result = runner.invoke(app, ["advise", "--no-input", "--target-params", "lots"])
    assert result.exit_code == 2
    assert "not a parameter count" in result.output
    result = runner.invoke(app, ["advise", "--no-input", "--gpu", "TPU"])
    assert result.exit_code == 2
    assert "not in the price table" in result.output
    assert "Traceback" not in result.output


def test_run_takes_requests_per_month_into_the_cost_section() -> None:
    from shouldtune.cli import _overrides

    assert _overrides(requests_per_month=5000, bar=0.9) == {
        "cost": {"requests_per_month": 5000},
        "bar": 0.9,
    }
    command = typer.main.get_command(app).commands["run"]  # type: ignore[attr-defined]
    flags = {flag for param in command.params for flag in param.opts}
    assert "--requests-per-month" in flags


def test_the_flags_default_to_the_advice_inputs_defaults() -> None:
    """AdviceInput declares advise's defaults once; the CLI with no flags gives its advice."""
    from shouldtune.advise import AdviceInput, advise
    from shouldtune.cost import prices_for
    from shouldtune.spec import CostSpec

    result = runner.invoke(app, ["advise", "--no-input", "--json"])
    assert result.exit_code == 0, result.output
    defaults = AdviceInput()
    expected = advise(
        defaults, prices_for(CostSpec(requests_per_month=defaults.requests_per_month))
    )
    assert json.loads(result.stdout) == json.loads(expected.model_dump_json())

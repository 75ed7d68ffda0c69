"""One pricing path: each rung's cost_usd (evaluate) and the cost table (cost) use one rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shouldtune.cache import CallCache
from shouldtune.cost import api_rates, api_usd, prices_for
from shouldtune.ladder import run_ladder
from shouldtune.models.base import UsageSource
from shouldtune.spec import ApiSpec, CostSpec, TaskSpec
from tests.fakes import ScriptedModel, last_input, present


class ServedScriptedModel(ScriptedModel):
    """The scripted model as if behind an API: its token counts are what a provider bills."""

    @property
    def usage_source(self) -> UsageSource:
        return "server"


def shout_task(tmp_path: Path, api: dict[str, float]) -> TaskSpec:
    """A generated (exact-scored) task: every answer spends completion tokens."""
    path = tmp_path / "shout.jsonl"
    rows = [{"input": f"say word {i} now", "expected": f"WORD {i} NOW"} for i in range(40)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return TaskSpec(data=path, rungs=["zero_shot", "few_shot"], all_rungs=True, api=api)


def shout(prompt: str) -> str:
    return last_input(prompt).removeprefix("say ").upper()


def test_an_output_price_left_out_is_the_input_price() -> None:
    assert api_rates(0.4, None) == (0.4, 0.4)
    assert api_rates(0.4, 1.6) == (0.4, 1.6)
    assert api_rates(None, None) == (None, None)
    table = prices_for(CostSpec(), api_input=0.4)
    assert (table.api_input_usd_per_mtok, table.api_output_usd_per_mtok) == (0.4, 0.4)
    assert api_usd(ApiSpec(price_input=0.4), 1_000_000, 500_000) == pytest.approx(0.6)
    assert api_usd(ApiSpec(price_output=1.6), 1_000_000, 500_000) is None


@pytest.mark.parametrize(
    "api", [{"price_input": 0.4}, {"price_input": 0.4, "price_output": 1.6}], ids=["input", "both"]
)
def test_each_rungs_cost_agrees_with_the_cost_table(
    tmp_path: Path, cache: CallCache, api: dict[str, float]
) -> None:
    spec = shout_task(tmp_path, api)
    result = run_ladder(spec, cache=cache, runs_dir=None, model=ServedScriptedModel(shout))
    assert result.cost is not None
    for rung in result.rungs:
        usage = present(rung.settings.usage)
        assert usage.source == "server" and present(usage.completion_tokens) > 0
        per_request = present(rung.settings.cost_usd) / present(usage.requests)
        option = result.cost.options[rung.rung]
        assert option.usd_per_1k_requests / 1000 == pytest.approx(per_request, rel=1e-12)


def test_a_local_model_has_no_per_rung_cost(tmp_path: Path, cache: CallCache) -> None:
    spec = shout_task(tmp_path, {"price_input": 0.4})
    result = run_ladder(spec, cache=cache, runs_dir=None, model=ScriptedModel(shout))
    assert all(r.settings.cost_usd is None for r in result.rungs)
    assert all(present(r.settings.usage).source == "tokenizer" for r in result.rungs)

"""Sequential evaluation in the evaluator: batches, the stop, what it saved, when it is on."""

from __future__ import annotations

import json
from pathlib import Path

from shouldtune.cache import CallCache
from shouldtune.ladder import run_ladder
from shouldtune.models.base import UsageSource
from shouldtune.spec import ApiSpec, SequentialSpec, TaskSpec
from tests.fakes import ScriptedModel, last_input
from tests.test_ladder import oracle, write_task


class PricedServerModel(ScriptedModel):
    """The scripted oracle, billed per token as a served model is."""

    @property
    def usage_source(self) -> UsageSource:
        return "server"


def _spec(tmp_path: Path, enabled: str, **update: object) -> TaskSpec:
    spec = write_task(tmp_path, n=400)
    sequential = SequentialSpec(enabled=enabled, batch=16)
    return spec.model_copy(update={"sequential": sequential, **update})


def test_a_clear_rung_stops_early_and_reports_what_it_saved(
    tmp_path: Path, cache: CallCache
) -> None:
    spec = _spec(tmp_path, "on")
    full = run_ladder(
        _spec(tmp_path, "off"),
        cache=CallCache(tmp_path / "c2"),
        runs_dir=None,
        model=ScriptedModel(oracle),
    )
    result = run_ladder(spec, cache=cache, runs_dir=None, model=ScriptedModel(oracle))
    planned = result.split.n_test
    for rung in result.rungs:
        report = rung.settings.extra("sequential")
        assert report["stopped_early"] is True
        assert report["planned_examples"] == planned
        assert rung.n == report["examples_used"] < planned
        assert report["calls_saved"] == planned - rung.n
        assert rung.n % 16 == 0
        assert rung.score.method == "betting_cs"
        assert rung.score.low > spec.bar
        assert any("calls saved" in note for note in rung.notes)
    # The same verdict as asking every example, with fewer calls.
    assert result.verdict.kind == full.verdict.kind == "PROMPT"
    assert sum(r.n for r in result.rungs) < sum(r.n for r in full.rungs)
    assert all(r.settings.extra("sequential") is None for r in full.rungs)


def test_a_borderline_rung_asks_every_example(tmp_path: Path, cache: CallCache) -> None:
    # Wrong on every fifth item: 80% right, the bar itself, so the interval never clears it.
    def mostly(prompt: str) -> str:
        answer = oracle(prompt)
        words = last_input(prompt).split()
        if len(words) < 3 or not words[2].isdigit() or int(words[2]) % 5:
            return answer
        return "odd" if answer == "even" else "even"

    spec = _spec(tmp_path, "on", bar=0.8, rungs=["zero_shot"])
    result = run_ladder(spec, cache=cache, runs_dir=None, model=ScriptedModel(mostly))
    rung = result.rungs[0]
    assert rung.settings.extra("sequential")["stopped_early"] is False
    assert rung.n == result.split.n_test
    assert rung.score.method == "wilson"


def test_auto_is_on_for_a_priced_server_and_off_for_a_local_model_on_a_small_test_split(
    tmp_path: Path, cache: CallCache
) -> None:
    priced = ApiSpec(price_input=0.15, price_output=0.6)
    spec = _spec(tmp_path, "auto", api=priced, rungs=["zero_shot"])
    served = run_ladder(spec, cache=cache, runs_dir=None, model=PricedServerModel(oracle))
    assert served.rungs[0].settings.extra("sequential")["stopped_early"] is True
    local = run_ladder(spec, cache=cache, runs_dir=None, model=ScriptedModel(oracle))
    assert local.rungs[0].settings.extra("sequential") is None
    assert local.rungs[0].n == local.split.n_test
    unpriced = spec.model_copy(update={"api": ApiSpec()})
    free = run_ladder(unpriced, cache=cache, runs_dir=None, model=PricedServerModel(oracle))
    assert free.rungs[0].settings.extra("sequential") is None


def test_comparisons_use_the_examples_both_rungs_answered(tmp_path: Path, cache: CallCache) -> None:
    result = run_ladder(
        _spec(tmp_path, "on"), cache=cache, runs_dir=None, model=ScriptedModel(oracle)
    )
    (comparison,) = result.comparisons
    assert comparison.n == min(r.n for r in result.rungs)


def test_yaml_on_and_off_read_as_switches() -> None:
    assert SequentialSpec.model_validate({"enabled": True}).enabled == "on"
    assert SequentialSpec.model_validate({"enabled": False}).enabled == "off"
    assert SequentialSpec().enabled == "auto"


def test_auto_is_on_for_a_local_model_on_a_large_test_split(
    tmp_path: Path, cache: CallCache
) -> None:
    small = _spec(tmp_path, "auto", rungs=["zero_shot"])
    n_test = run_ladder(small, cache=cache, runs_dir=None, model=ScriptedModel(oracle)).split.n_test
    at = SequentialSpec(enabled="auto", batch=16, min_test=n_test)
    large = run_ladder(
        small.model_copy(update={"sequential": at}),
        cache=cache,
        runs_dir=None,
        model=ScriptedModel(oracle),
    )
    assert large.rungs[0].settings.extra("sequential")["stopped_early"] is True
    assert large.rungs[0].n < n_test
    above = SequentialSpec(enabled="auto", batch=16, min_test=n_test + 1)
    small_enough = run_ladder(
        small.model_copy(update={"sequential": above}),
        cache=cache,
        runs_dir=None,
        model=ScriptedModel(oracle),
    )
    assert small_enough.rungs[0].settings.extra("sequential") is None


def test_the_examples_asked_before_a_stop_are_a_mix_not_the_first_ids(
    tmp_path: Path, cache: CallCache
) -> None:
    result = run_ladder(
        _spec(tmp_path, "on", rungs=["zero_shot"]),
        cache=cache,
        runs_dir=tmp_path / "runs",
        model=ScriptedModel(oracle),
    )
    (rung,) = result.rungs
    assert rung.settings.extra("sequential")["stopped_early"] is True
    path = Path(result.run_dir or "") / "predictions.jsonl"
    asked = [json.loads(line)["example_id"] for line in path.read_text().splitlines()]
    assert len(asked) == rung.n
    # Test ids come sorted (here, by content hash; a user's ids may follow the file, grouped
    # by label): the examples asked before a stop are a seeded sample, not the first ids.
    first = sorted(result.split.test_ids)[: rung.n]
    assert set(asked) <= set(result.split.test_ids)
    assert set(asked) != set(first)

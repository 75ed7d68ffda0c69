"""The plan's arithmetic: calls per rung, seconds from the timing, USD from the API prices."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from shouldtune.analysis.stats import wilson_half_width
from shouldtune.api import check
from shouldtune.cost import api_usd
from shouldtune.models.base import Generation, LogLik, ModelInfo, Prompt, UsageSource
from shouldtune.models.mock import MockModel
from shouldtune.plan import (
    PROBE_ITEM_S,
    Plan,
    RungPlan,
    Timing,
    build_plan,
    lora_steps,
    per_call,
    time_calls,
)
from shouldtune.prompts import messages_for, system_prompt
from shouldtune.results import Prepared
from shouldtune.spec import TaskSpec
from shouldtune.sweep import val_size


def write_labels(path: Path, n: int = 120) -> Path:
    rows = [{"input": f"item {i} says {i % 3}", "expected": f"l{i % 3}"} for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def write_answers(path: Path, n: int = 80) -> Path:
    rows = [{"input": f"what is {i} plus one", "expected": f"it is {i + 1}"} for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def prepared(tmp_path: Path, data: Path, model: MockModel | None = None, **spec: Any) -> Prepared:
    return check(
        TaskSpec.model_validate({"data": str(data), "model": "mock", **spec}),
        cache_dir=tmp_path / "cache",
        model=model or MockModel(),
    )


def by_rung(plan: Plan) -> dict[str, RungPlan]:
    return {r.rung: r for r in plan.rungs}


def test_calls_per_rung_add_up_from_the_spec_and_the_split(tmp_path: Path) -> None:
    task = prepared(tmp_path, write_labels(tmp_path / "d.jsonl"))
    plan = build_plan(task, MockModel(), timing=None)
    n_test, n_train = len(task.split.test), len(task.split.train)
    rungs = by_rung(plan)
    assert list(rungs) == ["zero_shot", "few_shot", "prompt_search", "lora", "reproduce"]
    # calibrate auto on a label task: 32 train examples and 3 content-free inputs.
    assert rungs["zero_shot"].calls == n_test + 35
    assert rungs["few_shot"].calls == n_test + 35
    assert rungs["prompt_search"].calls == 200 + n_test
    # Labels scored: per failure, the 3 seeds sample one full scoring; 3 variants; and, as
    # calibration may be chosen, the content-free priors of reshuffled and resampled demos.
    assert rungs["reproduce"].calls == 20 * (1 + 3 + 2 * 3)
    assert rungs["lora"].calls == n_test
    n_val = min(64, int(n_train * 0.1))
    assert rungs["lora"].train_steps == math.ceil(math.ceil((n_train - n_val) / 8) * 3.0)
    assert rungs["prompt_search"].conditional and rungs["lora"].conditional
    assert not rungs["zero_shot"].conditional
    assert plan.total_calls == sum(r.calls for r in plan.rungs)
    assert plan.total_seconds is None  # not timed


def test_no_calibration_probe_when_off_or_generated(tmp_path: Path) -> None:
    off = prepared(tmp_path, write_labels(tmp_path / "d.jsonl"), calibrate="off")
    assert by_rung(build_plan(off, MockModel(), timing=None))["zero_shot"].calls == len(
        off.split.test
    )
    on = prepared(tmp_path, write_labels(tmp_path / "d.jsonl"), calibrate="on")
    assert by_rung(build_plan(on, MockModel(), timing=None))["zero_shot"].calls == (
        len(on.split.test) + 3
    )
    generated = prepared(tmp_path, write_answers(tmp_path / "g.jsonl"), scorer="exact")
    assert by_rung(build_plan(generated, MockModel(), timing=None))["zero_shot"].calls == len(
        generated.split.test
    )


def test_settings_change_the_counts(tmp_path: Path) -> None:
    task = prepared(
        tmp_path,
        write_labels(tmp_path / "d.jsonl"),
        prompt_search={"budget": 50},
        reproduce={"max_failures": 5, "seeds": 1, "variants": 0},
        lora={"max_steps": 7},
        all_rungs=True,
    )
    rungs = by_rung(build_plan(task, MockModel(), timing=None))
    assert rungs["prompt_search"].calls == 50 + len(task.split.test)
    assert rungs["reproduce"].calls == 5
    assert rungs["lora"].train_steps == 7 == lora_steps(task)
    assert not rungs["lora"].conditional  # all_rungs: it always runs


def test_rungs_the_ladder_will_skip_are_not_counted(tmp_path: Path) -> None:
    task = prepared(tmp_path, write_labels(tmp_path / "d.jsonl", n=15), min_examples=50)
    plan = build_plan(task, MockModel(), timing=None)
    assert "lora" not in by_rung(plan) and "prompt_search" not in by_rung(plan)
    assert set(plan.skipped) == {"lora", "prompt_search"}


def test_seconds_are_calls_times_the_timed_call(tmp_path: Path) -> None:
    task = prepared(tmp_path, write_labels(tmp_path / "d.jsonl"))
    timing = Timing(zero_shot_s=0.5, few_shot_s=2.0, forward_s=0.1, how="given")
    rungs = by_rung(build_plan(task, MockModel(), timing=timing))
    assert rungs["zero_shot"].seconds == pytest.approx(rungs["zero_shot"].calls * 0.5)
    assert rungs["few_shot"].seconds == pytest.approx(rungs["few_shot"].calls * 2.0)
    assert rungs["prompt_search"].seconds == pytest.approx(rungs["prompt_search"].calls * 2.0)
    lora = rungs["lora"]
    assert lora.seconds == pytest.approx(
        lora.train_steps * 8 * 0.1 * 3.6
        + len(task.split.test) * 0.5
        + task.spec.lora.probe_n * PROBE_ITEM_S  # the forgetting probe, with and without
    )


class Served(MockModel):
    """A mock that bills per token and serves requests in parallel, like an API."""

    @property
    def usage_source(self) -> UsageSource:
        return "server"

    @property
    def max_concurrency(self) -> int:
        return 4


def test_api_models_get_dollars_and_concurrency_divides_time(tmp_path: Path) -> None:
    task = prepared(
        tmp_path,
        write_labels(tmp_path / "d.jsonl"),
        api={"price_input": 2.0, "price_output": 8.0},
    )
    model = Served()
    plan = build_plan(task, model, timing=Timing(zero_shot_s=1.0, few_shot_s=1.0))
    zero = by_rung(plan)["zero_shot"]
    assert zero.seconds == pytest.approx(zero.calls / 4)
    system = system_prompt(task.spec, task.labels)
    prompts = [model.render(messages_for(system, [], e)) for e in task.split.test]
    mean_prompt = sum(model.count_tokens(p) for p in prompts) / len(prompts)
    each = api_usd(task.spec.api, mean_prompt, 1.0)
    assert each is not None and zero.usd == pytest.approx(zero.calls * each)
    assert plan.total_usd == pytest.approx(sum(r.usd or 0.0 for r in plan.rungs))
    # A local model bills nothing: no dollars even with prices set.
    assert build_plan(task, MockModel(), timing=None).total_usd is None


def test_half_widths_come_from_the_test_size(tmp_path: Path) -> None:
    task = prepared(tmp_path, write_labels(tmp_path / "d.jsonl"), bar=0.9)
    plan = build_plan(task, MockModel(), timing=None)
    assert plan.half_width == wilson_half_width(0.5, len(task.split.test))
    assert plan.half_width_at_bar == wilson_half_width(0.9, len(task.split.test))
    assert plan.half_width_at_bar < plan.half_width


def test_over_limit_names_the_setting(tmp_path: Path) -> None:
    task = prepared(tmp_path, write_labels(tmp_path / "d.jsonl"), max_minutes=1.0)
    slow = build_plan(task, MockModel(), timing=Timing(zero_shot_s=1.0, few_shot_s=1.0))
    breach = slow.over_limit()
    assert breach is not None and "max_minutes" in breach and "\n" not in breach
    fast = build_plan(task, MockModel(), timing=Timing(zero_shot_s=0.0, few_shot_s=0.0))
    assert fast.over_limit() is None
    priced = prepared(
        tmp_path, write_labels(tmp_path / "d.jsonl"), max_usd=0.01, api={"price_input": 100.0}
    )
    costly = build_plan(priced, Served(), timing=None)
    message = costly.over_limit()
    assert message is not None and "max_usd" in message


class Slow(MockModel):
    """A model that takes 20 ms a call and is not the free mock backend."""

    @property
    def info(self) -> ModelInfo:
        return super().info.model_copy(update={"backend": "slow"})

    def loglik(
        self, prompt: Prompt, continuations: Sequence[str], *, top_only: bool = False
    ) -> list[LogLik]:
        self.top_only.append(top_only)
        time.sleep(0.02 if top_only else 0.05)
        return super().loglik(prompt, continuations, top_only=top_only)

    def __init__(self) -> None:
        super().__init__()
        self.top_only: list[bool] = []


def test_the_probe_times_real_calls_and_the_mock_is_free(tmp_path: Path) -> None:
    task = prepared(tmp_path, write_labels(tmp_path / "d.jsonl"))
    slow = Slow()
    timing = time_calls(task, slow, few_shot=True)
    assert timing.zero_shot_s is not None and timing.zero_shot_s >= 0.02
    assert timing.few_shot_s is not None and timing.few_shot_s >= 0.02
    # zero-shot 3 pruned + 1 in full, few-shot 2 + 1 in full, one forward (in full: 1 answer)
    assert slow.calls == 3 + 1 + 2 + 1 + 1
    assert slow.top_only == [True, True, True, False, True, True, False, False]
    assert timing.zero_shot_full_s is not None and timing.zero_shot_full_s >= 0.05
    assert timing.few_shot_full_s is not None and timing.few_shot_full_s >= 0.05
    mock = MockModel()
    assert time_calls(task, mock, few_shot=True).zero_shot_s == 0.0
    assert mock.calls == 0


def test_the_total_counts_the_timed_rungs_and_names_the_rest(tmp_path: Path) -> None:
    task = prepared(tmp_path, write_labels(tmp_path / "d.jsonl"))
    plan = build_plan(task, MockModel(), timing=Timing(zero_shot_s=1.0, few_shot_s=1.0))
    assert plan.untimed == ["lora"]  # no forward timed: training time unknown
    known = sum(r.seconds or 0.0 for r in plan.rungs)
    assert plan.total_seconds == pytest.approx(known)
    assert "not counting lora" in plan.lines()[-1]


def test_a_longer_prompt_costs_on_the_line_through_the_two_timed_calls() -> None:
    timing = Timing(zero_shot_s=1.0, few_shot_s=3.0, zero_shot_tokens=100, few_shot_tokens=500)
    assert per_call(timing, 100) == pytest.approx(1.0)
    assert per_call(timing, 900) == pytest.approx(5.0)  # 1 s + 800 tokens x 0.5 s / 100
    flat = Timing(zero_shot_s=1.0, few_shot_s=0.8, zero_shot_tokens=100, few_shot_tokens=500)
    assert per_call(flat, 900) == 1.0
    assert per_call(Timing(), 900) is None


def test_rag_time_uses_its_longer_prompt(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# A\n\nSome text.\n")
    task = prepared(tmp_path, write_answers(tmp_path / "g.jsonl"), scorer="exact", docs=str(docs))
    timing = Timing(zero_shot_s=1.0, few_shot_s=3.0, zero_shot_tokens=100, few_shot_tokens=500)
    rag = by_rung(build_plan(task, MockModel(), timing=timing))["rag"]
    expected = per_call(timing, 100 + 768)
    assert expected is not None
    assert rag.seconds == pytest.approx(len(task.split.test) * expected)


@pytest.mark.parametrize(("max_minutes", "timed"), [(None, False), (60.0, True)])
def test_the_ladder_times_a_served_model_only_under_a_time_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, max_minutes: float | None, timed: bool
) -> None:
    from shouldtune import plan as plan_module
    from shouldtune.cache import CallCache
    from shouldtune.ladder import run_ladder

    calls: list[str] = []

    def probe(prepared: Prepared, model: Any, *, few_shot: bool) -> Timing:
        calls.append("probe")
        return Timing(zero_shot_s=0.0, few_shot_s=0.0)

    monkeypatch.setattr(plan_module, "time_calls", probe)
    spec = TaskSpec.model_validate(
        {
            "data": str(write_labels(tmp_path / "d.jsonl")),
            "model": "http://127.0.0.1:9/v1:served",  # never reached: the mock answers
            "rungs": ["zero_shot"],
            "max_minutes": max_minutes,
        }
    )
    cache = CallCache(tmp_path / "cache")
    try:
        run_ladder(spec, cache=cache, runs_dir=None, model=MockModel())
    finally:
        cache.close()
    assert calls == (["probe"] if timed else [])


def test_a_sweep_is_counted_point_by_point(tmp_path: Path) -> None:
    data = write_labels(tmp_path / "d.jsonl")
    plain = prepared(tmp_path, data, lora={"max_steps": 7}, all_rungs=True)
    swept = prepared(
        tmp_path, data, lora={"max_steps": 7, "sweep": [{"rank": 4}, {"max_steps": 3}]}
    )
    one = by_rung(build_plan(plain, MockModel(), timing=None))["lora"]
    both = by_rung(build_plan(swept, MockModel(), timing=None))["lora"]
    assert one.train_steps == 7 and both.train_steps == 7 + 3
    n_val = val_size(len(swept.split.train))
    assert both.calls == 2 * (len(swept.split.test) + n_val)
    assert "sweep of 2 settings" in both.detail


def test_calls_that_score_every_label_are_priced_at_the_full_rate(tmp_path: Path) -> None:
    task = prepared(tmp_path, write_labels(tmp_path / "d.jsonl"))
    n_test = len(task.split.test)
    timing = Timing(
        zero_shot_s=0.5, few_shot_s=1.0, zero_shot_full_s=2.0, few_shot_full_s=4.0, how="given"
    )
    rungs = by_rung(build_plan(task, MockModel(), timing=timing))
    # calibrate auto: the probe is in full, and so are the test calls in case it is chosen.
    assert rungs["zero_shot"].seconds == pytest.approx((n_test + 35) * 2.0)
    assert rungs["few_shot"].seconds == pytest.approx((n_test + 35) * 4.0)
    without = 35 * 4.0 + n_test * 1.0
    assert f"({without / 60:.1f} min if not)" in rungs["few_shot"].detail
    # The search reads every label's probability on validation; the winner's test calls are
    # in full too, in case it is calibrated.
    assert rungs["prompt_search"].seconds == pytest.approx(200 * 4.0 + n_test * 4.0)
    assert rungs["reproduce"].seconds == pytest.approx(20 * (1 + 3 + 6) * 4.0)
    off = prepared(tmp_path, write_labels(tmp_path / "d.jsonl"), calibrate="off")
    plain = by_rung(build_plan(off, MockModel(), timing=timing))
    assert plain["few_shot"].seconds == pytest.approx(len(off.split.test) * 1.0)
    # Uncalibrated, the test calls are pruned; the search still scores every label.
    assert plain["prompt_search"].seconds == pytest.approx(200 * 4.0 + len(off.split.test) * 1.0)
    assert "every label scored in full on validation" in plain["prompt_search"].detail
    # Seeds sample from one full scoring; greedy variants use the pruned search.
    assert plain["reproduce"].calls == 20 * (1 + 3)
    assert plain["reproduce"].seconds == pytest.approx(20 * (4.0 + 3 * 1.0))


def test_the_plan_says_when_sequential_evaluation_may_stop_rungs(tmp_path: Path) -> None:
    data = write_labels(tmp_path / "d.jsonl", n=120)
    small = build_plan(prepared(tmp_path, data), MockModel(), timing=None)
    assert small.sequential is None
    large = build_plan(
        prepared(tmp_path, data, sequential={"min_test": 10}), MockModel(), timing=None
    )
    assert large.sequential is not None and "batches of 16" in large.sequential
    assert large.sequential in large.lines()[-1]


class Rambling(Slow):
    """Greedy answers take 20 ms; sampled ones run on to the budget, 60 ms."""

    def __init__(self) -> None:
        super().__init__()
        self.temperatures: list[float] = []

    def generate(
        self, prompt: Prompt, *, max_tokens: int, temperature: float = 0.0, seed: int = 0
    ) -> Generation:
        self.temperatures.append(temperature)
        time.sleep(0.06 if temperature > 0 else 0.02)
        return super().generate(prompt, max_tokens=max_tokens, temperature=temperature, seed=seed)


def test_sampled_re_runs_of_generated_answers_are_timed_apart(tmp_path: Path) -> None:
    task = prepared(tmp_path, write_answers(tmp_path / "g.jsonl"), scorer="exact")
    model = Rambling()
    timing = time_calls(task, model, few_shot=True)
    assert model.temperatures.count(task.spec.reproduce.temperature) == 1
    assert timing.sampled_s is not None and timing.sampled_s >= 0.06
    given = Timing(zero_shot_s=1.0, few_shot_s=2.0, sampled_s=5.0, how="given")
    rerun = by_rung(build_plan(task, MockModel(), timing=given))["reproduce"]
    seeds, variants = task.spec.reproduce.seeds, task.spec.reproduce.variants
    assert rerun.calls == 20 * (seeds + variants)
    assert rerun.seconds == pytest.approx(20 * (seeds * 5.0 + variants * 2.0))
    untimed = Timing(zero_shot_s=1.0, few_shot_s=2.0, how="given")
    plain = by_rung(build_plan(task, MockModel(), timing=untimed))["reproduce"]
    assert plain.seconds == pytest.approx(20 * (seeds + variants) * 2.0)


def test_search_calls_read_most_of_their_prompt_afresh(tmp_path: Path) -> None:
    off = prepared(tmp_path, write_labels(tmp_path / "d.jsonl"), calibrate="off")
    n_test = len(off.split.test)
    timing = Timing(zero_shot_s=0.5, few_shot_s=1.0, few_shot_cold_s=3.0, how="given")
    rungs = by_rung(build_plan(off, MockModel(), timing=timing))
    assert rungs["few_shot"].seconds == pytest.approx(n_test * 1.0)  # one shared prefix
    # Half the uncached call's extra 2 s: between a cached prefix and a fresh prompt.
    assert rungs["prompt_search"].seconds == pytest.approx((200 + n_test) * (1.0 + 0.5 * 2.0))
    measured = time_calls(off, Slow(), few_shot=True)
    assert measured.few_shot_cold_s is not None and measured.few_shot_cold_s >= 0.02


class SlowBatching(Slow):
    """Answers take 40 ms one at a time, 40 ms for a whole batch of up to 4 decoded together."""

    @property
    def batch_generation(self) -> int:
        return 4

    def generate(self, prompt: Prompt, **params: Any) -> Generation:
        time.sleep(0.04)
        return super().generate(prompt, **params)

    def generate_batch(self, prompts: Sequence[Prompt], **params: Any) -> list[Generation]:
        self.batches.append(len(prompts))
        time.sleep(0.04)
        return [MockModel.generate(self, p, max_tokens=params["max_tokens"]) for p in prompts]

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []


def test_a_batching_backend_is_timed_per_answer_in_its_batches(tmp_path: Path) -> None:
    task = prepared(tmp_path, write_answers(tmp_path / "d.jsonl"))
    model = SlowBatching()
    timing = time_calls(task, model, few_shot=True)
    assert model.batches == [4, 4]  # zero-shot and few-shot, each a batch of the run's size
    assert timing.zero_shot_s is not None and timing.zero_shot_s < 0.03  # 40 ms over 4
    assert "answers timed 4 at a time" in timing.how


def test_the_few_shot_learning_curve_is_counted_and_can_be_turned_off(tmp_path: Path) -> None:
    data = write_labels(tmp_path / "d.jsonl")
    task = prepared(tmp_path, data, few_shot={"learning_curve": True})
    n_test = len(task.split.test)
    on = by_rung(build_plan(task, MockModel(), timing=None))["few_shot"]
    assert f"+ {2 * n_test} learning curve" in on.detail
    without = prepared(tmp_path, data)  # off by default
    off = by_rung(build_plan(without, MockModel(), timing=None))
    assert off["few_shot"].calls == on.calls - 2 * n_test
    assert "learning curve" not in off["few_shot"].detail

"""Contextual calibration: the prompt's lean is divided out, and only used when train says so."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import pytest

from shouldtune.cache import CallCache
from shouldtune.calibration import CONTENT_FREE, adjust, choose, prior
from shouldtune.ladder import run_ladder
from shouldtune.spec import TaskSpec
from tests.fakes import ScriptedModel, last_input, present


def test_prior_is_the_mean_distribution_and_adjust_divides_it_out() -> None:
    half = math.log(0.5)
    log_prior = prior([[math.log(0.9), math.log(0.1)], [math.log(0.7), math.log(0.3)]])
    assert [math.exp(v) for v in log_prior] == pytest.approx([0.8, 0.2])
    # 0.6 / 0.8 < 0.4 / 0.2: the second label wins once the lean is removed.
    scores = adjust([math.log(0.6), math.log(0.4)], log_prior)
    assert scores[1] > scores[0]
    assert math.fsum(math.exp(v) for v in scores) == pytest.approx(1.0)
    assert adjust([half, half], [half, half]) == pytest.approx([half, half])


def test_choose_needs_a_strict_gain_on_train() -> None:
    assert choose(10, 11, 32)["used"] is True
    assert choose(10, 10, 32)["used"] is False
    assert choose(0, 0, 0) == {
        "used": False,
        "probe_n": 0,
        "probe_raw_accuracy": None,
        "probe_calibrated_accuracy": None,
    }


def parity(tmp_path: Path, calibrate: str) -> TaskSpec:
    path = tmp_path / "data.jsonl"
    rows = [
        {"text": f"item {i} is {'odd' if i % 2 else 'even'}", "label": "odd" if i % 2 else "even"}
        for i in range(80)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return TaskSpec(
        data=path,
        input="text",
        expected="label",
        labels=["odd", "even"],
        rungs=["zero_shot"],
        calibrate=calibrate,
    )


def leaning(prompt: str, continuations: Sequence[str]) -> list[float]:
    """Always leans to 'odd'; the input only shifts the odds, which calibration recovers."""
    text = last_input(prompt)
    if text in CONTENT_FREE:
        odd, even = 0.8, 0.2
    elif text.endswith("even"):
        odd, even = 0.6, 0.4
    else:
        odd, even = 0.95, 0.05
    return [math.log(odd if c.strip().startswith("odd") else even) for c in continuations]


@pytest.mark.parametrize(("mode", "used", "score"), [("auto", True, 1.0), ("off", None, 0.5)])
def test_a_leaning_prompt_is_calibrated_when_train_shows_it_helps(
    tmp_path: Path, cache: CallCache, mode: str, used: bool | None, score: float
) -> None:
    model = ScriptedModel(lambda p: "odd", scores=leaning)
    result = run_ladder(parity(tmp_path, mode), cache=cache, runs_dir=None, model=model)
    rung = result.rungs[0]
    assert rung.score.point == pytest.approx(score, abs=0.05)
    found = rung.settings.calibration
    assert (found.used if found is not None else None) == used
    if used:
        assert found is not None and found.probe_calibrated_accuracy == 1.0
        assert found.probe_raw_accuracy == pytest.approx(0.5, abs=0.15)


def test_calibration_that_does_not_help_on_train_is_not_used(
    tmp_path: Path, cache: CallCache
) -> None:
    def oracle(prompt: str) -> str:
        return last_input(prompt).rsplit(" ", 1)[-1]

    result = run_ladder(
        parity(tmp_path, "auto"), cache=cache, runs_dir=None, model=ScriptedModel(oracle)
    )
    assert present(result.rungs[0].settings.calibration).used is False
    assert result.rungs[0].score.point == 1.0

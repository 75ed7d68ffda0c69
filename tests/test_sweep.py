"""The sweep's order and selection, with a scripted runner (no model, no training)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from pydantic import ValidationError

import shouldtune.sweep as sweep_module
from shouldtune.records import Example, Interval, Prediction, RungResult
from shouldtune.rung_settings import Forgetting, SweepRecord
from shouldtune.spec import ForgettingBudget, LoraSpec
from shouldtune.sweep import Fitted, carve, label, sweep, sweep_points, val_size

VAL = [Example(id=f"v{i}", input=f"v{i}", expected="a", line=i) for i in range(4)]
TEST = [Example(id=f"t{i}", input=f"t{i}", expected="a", line=i) for i in range(6)]
POINTS: list[dict[str, Any]] = [{}, {"rank": 4}, {"epochs": 1.0}]


class Spy:
    """A runner that scripts scores per point and logs every example it is asked to read."""

    def __init__(self, val: list[float], test: list[float], drop: list[float]) -> None:
        self.val, self.test_scores, self.drop = val, test, drop
        self.log: list[tuple[str, str]] = []

    def fit(self, overrides: dict[str, Any], val: Sequence[Example]) -> Fitted:
        i = POINTS.index(overrides)
        self.log += [("fit", e.id) for e in val]
        forgetting = Forgetting(probe_base=0.65, probe_tuned=0.65 - self.drop[i], n_probe=20)
        return Fitted(overrides, [self.val[i]] * len(val), forgetting, handle=i)

    def test(
        self, fitted: Fitted, test: Sequence[Example], record: SweepRecord | None
    ) -> tuple[RungResult, list[Prediction]]:
        self.log += [("test", e.id) for e in test]
        p = self.test_scores[fitted.handle]
        result = RungResult(
            rung="lora",
            n=len(test),
            score=Interval(point=p, low=p - 0.1, high=p + 0.1, method="wilson"),
            pass_rate=p,
            mean_latency_s=0.0,
            mean_prompt_tokens=0,
            mean_completion_tokens=0,
            computed_calls=0,
            cached_calls=0,
            wall_s=0.0,
        )
        return result, []


def _run(spy: Spy, budget: ForgettingBudget, monkeypatch: pytest.MonkeyPatch) -> RungResult:
    """The sweep with selection spied: it writes its mark into the runner's log, in order."""
    real = sweep_module.choose

    def marked(*args: Any, **kwargs: Any) -> tuple[int, str]:
        spy.log.append(("choose", ""))
        return real(*args, **kwargs)

    monkeypatch.setattr(sweep_module, "choose", marked)
    result, _ = sweep(POINTS, spy, VAL, TEST, budget)
    return result


def test_selection_reads_only_the_validation_slice_and_ignores_test_scores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The best point on validation (rank=4) is the worst on test, and the other way round.
    spy = Spy(val=[0.5, 0.9, 0.7], test=[0.95, 0.2, 0.6], drop=[0.0, 0.0, 0.0])
    result = _run(spy, ForgettingBudget(), monkeypatch)
    at = spy.log.index(("choose", ""))
    before, after = spy.log[:at], spy.log[at + 1 :]
    test_ids = {e.id for e in TEST}
    assert before and not any(e in test_ids for _, e in before)  # nothing of test before
    assert {e for kind, e in before} == {e.id for e in VAL}
    assert {e for kind, e in after if kind == "test"} == test_ids  # every point reported
    assert spy.log.count(("choose", "")) == 1
    sweep_record = result.settings.sweep
    assert sweep_record is not None and sweep_record.chosen == 1
    assert result.score.point == 0.2  # the chosen point's test score, however poor
    assert [p.test_score for p in sweep_record.points] == [0.95, 0.2, 0.6]
    assert [p.label for p in sweep_record.points] == ["as given", "rank=4", "epochs=1"]


def test_the_budget_passes_over_a_better_point_that_forgets_too_much(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spy = Spy(val=[0.5, 0.9, 0.7], test=[0.5, 0.9, 0.7], drop=[0.0, 0.4, 0.05])
    result = _run(spy, ForgettingBudget(max_probe_drop=10), monkeypatch)
    record = result.settings.sweep
    assert record is not None and record.chosen == 2
    assert [p.within_budget for p in record.points] == [True, False, True]
    assert "within the forgetting budget" in record.rule


def test_with_no_point_within_the_budget_the_best_validated_is_reported_and_said(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spy = Spy(val=[0.5, 0.9, 0.7], test=[0.5, 0.9, 0.7], drop=[0.3, 0.4, 0.5])
    result = _run(spy, ForgettingBudget(max_probe_drop=10), monkeypatch)
    record = result.settings.sweep
    assert record is not None and record.chosen == 1
    assert "no setting kept within" in record.rule


def test_the_built_in_grid_starts_with_the_settings_as_given_and_points_override_them() -> None:
    assert sweep_points(LoraSpec()) == []
    grid = sweep_points(LoraSpec(sweep="default"))
    assert grid[0] == {} and len(grid) >= 3
    base = LoraSpec(rank=8, sweep=[{"rank": 4}])
    assert base.at({"rank": 4}).rank == 4 and base.at({}).rank == 8
    assert base.at({"rank": 4}).sweep is None
    assert label({}) == "as given" and label({"rank": 4, "alpha": 8.0}) == "rank=4, alpha=8"


@pytest.mark.parametrize("point", [{"merge": True}, {"sweep": "default"}, {"rnk": 4}, {"rank": 0}])
def test_a_sweep_point_must_name_valid_adapter_settings(point: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        LoraSpec(sweep=[point])


def test_the_validation_slice_is_carved_out_of_train_and_never_trained_on() -> None:
    train = [Example(id=f"x{i}", input=f"x{i}", expected="ab"[i % 2], line=i) for i in range(50)]
    val, pool = carve(train, ["a", "b"], seed=0)
    assert len(val) == val_size(50) and len(val) + len(pool) == 50
    assert not {e.id for e in val} & {e.id for e in pool}
    assert carve(train, ["a", "b"], seed=0) == (val, pool)  # seeded


def test_the_result_says_which_setting_it_reports_and_why(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = Spy(val=[0.5, 0.9, 0.7], test=[0.5, 0.9, 0.7], drop=[0.0, 0.0, 0.0])
    result = _run(spy, ForgettingBudget(), monkeypatch)
    assert any(
        "reported rank=4" in note and "no forgetting budget" in note for note in result.notes
    )

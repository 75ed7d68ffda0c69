"""The LoRA sweep: which settings it tries, its validation slice, and which point it reports.

Nothing here trains or calls a model: the lora rung passes a `Runner` that does. A validation
slice is carved out of train (seeded, label-balanced, as prompt search's) and every point
trains on the rest. Three phases, in this order, so selection cannot read the test split:
(1) each point is trained (or reused from the cache: the training job's key covers its
settings, so an interrupted sweep resumes point by point), its forgetting measured and its
validation slice scored; (2) the point to report is chosen from validation scores and the
forgetting budget only (`choose`); (3) every point is scored once on the test split, for the
report. The rung's result is the chosen point's; every point is recorded in its settings.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from shouldtune.analysis.stats import wilson
from shouldtune.prompts import pick_demonstrations
from shouldtune.records import Example, Interval, Prediction, RungResult
from shouldtune.rung_settings import Forgetting, SweepPoint, SweepRecord
from shouldtune.spec import ForgettingBudget, LoraSpec

# The built-in grid (--sweep, or `sweep: default`): the settings as given, then one gentler
# move at a time along the axes that trade task gain against forgetting: a smaller adapter
# (alpha scaled with it, so the update's scale stays alpha/rank = 2), fewer passes, a lower
# learning rate, and a fifth of the training mix as replay (the base model's own answers).
DEFAULT_GRID: tuple[dict[str, Any], ...] = (
    {},
    {"rank": 4, "alpha": 8.0},
    {"epochs": 1.0},
    {"learning_rate": 2e-4},
    {"replay": 0.2},
)
# The validation slice carved out of train for selection: a fifth, within these bounds.
VAL_SHARE = 0.2
MIN_VAL = 8
MAX_VAL = 64


def sweep_points(options: LoraSpec) -> list[dict[str, Any]]:
    """The sweep's override dicts; empty when no sweep is asked for."""
    if options.sweep is None:
        return []
    if options.sweep == "default":
        return [dict(point) for point in DEFAULT_GRID]
    return [dict(point) for point in options.sweep]


def label(overrides: dict[str, Any]) -> str:
    """A point in words: 'rank=4, alpha=8', or 'as given' for no override."""
    if not overrides:
        return "as given"
    return ", ".join(
        f"{key}={value:g}" if _num(value) else f"{key}={value}" for key, value in overrides.items()
    )


def val_size(n_train: int) -> int:
    """Validation examples carved out of train for selection."""
    return max(MIN_VAL, min(MAX_VAL, math.ceil(n_train * VAL_SHARE)))


def carve(
    train: Sequence[Example], labels: Sequence[str] | None, seed: int
) -> tuple[list[Example], list[Example]]:
    """The validation slice (as prompt search carves its own) and the rest, to train on."""
    val = pick_demonstrations(train, val_size(len(train)), seed=seed + 1, balanced=bool(labels))
    taken = {e.id for e in val}
    return val, [e for e in train if e.id not in taken]


def probe_drop(forgetting: Forgetting | None) -> float | None:
    """Points of general-probe accuracy lost (65% -> 55% is 10), None when not measured."""
    if forgetting is None or forgetting.probe_base is None or forgetting.probe_tuned is None:
        return None
    return (forgetting.probe_base - forgetting.probe_tuned) * 100


def broken_limits(forgetting: Forgetting | None, budget: ForgettingBudget) -> list[str]:
    """The budget's limits this forgetting breaks, in words; empty: within the budget.

    A limit that could not be checked (its figure was not measured) counts as broken: the
    budget asks for evidence that the fine-tune kept within it.
    """
    broken = []
    if budget.max_probe_drop is not None:
        drop = probe_drop(forgetting)
        if drop is None:
            broken.append("general-probe drop not measured")
        elif drop > budget.max_probe_drop:
            broken.append(
                f"general probe lost {drop:.0f} points (budget {budget.max_probe_drop:g})"
            )
    if budget.max_kl is not None:
        kl = forgetting.kl_mean if forgetting is not None else None
        if kl is None:
            broken.append("KL not measured")
        elif kl > budget.max_kl:
            broken.append(f"KL {kl:.3f} nats/token (budget {budget.max_kl:g})")
    return broken


@dataclass(frozen=True)
class Candidate:
    """What selection may read of a point: its validation score and whether it kept the budget."""

    val_score: float
    within: bool


def choose(candidates: Sequence[Candidate], budgeted: bool) -> tuple[int, str]:
    """The index of the point to report and the rule that picked it, in words.

    The best validation score among the points within the budget; with no budget, or when no
    point kept within it, among all points. Ties go to the earlier point (the order given,
    the settings as given first in the built-in grid).
    """
    if not candidates:
        raise ValueError("a sweep needs at least one point")
    pool = [i for i, c in enumerate(candidates) if c.within] if budgeted else []
    if budgeted and pool:
        rule = "the best validation score among the settings within the forgetting budget"
    elif budgeted:
        pool = list(range(len(candidates)))
        rule = "the best validation score (no setting kept within the forgetting budget)"
    else:
        pool = list(range(len(candidates)))
        rule = "the best validation score (no forgetting budget set)"
    best = max(pool, key=lambda i: (candidates[i].val_score, -i))
    return best, rule


@dataclass(frozen=True)
class Fitted:
    """One trained point: what selection may read (validation scores, forgetting) and more."""

    overrides: dict[str, Any]
    val_scores: list[float]
    forgetting: Forgetting | None
    handle: Any = None  # the runner's own (the training report, for the real one)
    wall_s: float | None = None
    adapter: str | None = None


class Runner(Protocol):
    """Trains and scores the points; the sweep decides in which order and what selection sees."""

    def fit(self, overrides: dict[str, Any], val: Sequence[Example]) -> Fitted: ...

    def test(
        self, fitted: Fitted, test: Sequence[Example], record: SweepRecord | None
    ) -> tuple[RungResult, list[Prediction]]: ...


def sweep(
    points: Sequence[dict[str, Any]],
    runner: Runner,
    val: Sequence[Example],
    test: Sequence[Example],
    budget: ForgettingBudget,
    say: Callable[[str], None] = lambda message: None,
) -> tuple[RungResult, list[Prediction]]:
    """Fit every point, choose on validation, then score every point on the test split."""
    fitted = []
    for i, overrides in enumerate(points):
        say(f"sweep point {i + 1}/{len(points)}: {label(overrides)}")
        fitted.append(runner.fit(overrides, val))
    within = [not broken_limits(f.forgetting, budget) for f in fitted]
    candidates = [
        Candidate(val_score=statistics.fmean(f.val_scores) if f.val_scores else 0.0, within=w)
        for f, w in zip(fitted, within, strict=True)
    ]
    chosen, rule = choose(candidates, budget.active)
    say(f"sweep: reporting {label(points[chosen])}, {rule}")
    records = [
        SweepPoint(
            label=label(f.overrides),
            overrides=f.overrides,
            val_score=c.val_score,
            val_n=len(f.val_scores),
            forgetting=f.forgetting,
            within_budget=w if budget.active else None,
            wall_s=f.wall_s,
            adapter=f.adapter,
        )
        for f, c, w in zip(fitted, candidates, within, strict=True)
    ]
    # The chosen point is scored last, so its settings can carry every point's test score.
    for i in [*(i for i in range(len(fitted)) if i != chosen), chosen]:
        record = None
        if i == chosen:
            record = SweepRecord(val_size=len(val), chosen=chosen, rule=rule, points=records)
        result, predictions = runner.test(fitted[i], test, record)
        records[i] = records[i].model_copy(
            update={
                "test_score": result.score.point,
                "test_low": result.score.low,
                "test_high": result.score.high,
                "test_n": result.n,
            }
        )
    assert record is not None
    # The records were updated after the chosen result was built: write the final ones.
    result.settings.sweep = record.model_copy(update={"points": records})
    result.notes.append(
        f"sweep of {len(points)} settings: reported {label(points[chosen])}, {rule}, on "
        f"{len(val)} validation examples from train (each trained on the rest)"
    )
    return result, predictions


def _num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def probe_interval(forgetting: Forgetting | None) -> Interval | None:
    """The tuned model's general-probe accuracy with its 95% (Wilson) interval."""
    if forgetting is None or forgetting.probe_tuned is None or not forgetting.n_probe:
        return None
    n = forgetting.n_probe
    return wilson(round(forgetting.probe_tuned * n), n)

"""The LoRA sweep's rules: which settings it tries, how big its validation slice is, and which
point it reports. Pure: nothing here trains or calls a model (rungs/lora_sweep.py does).

Selection reads validation scores and forgetting only. The test split is scored after the
choice, for reporting, so a point cannot be chosen for luck on the test examples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shouldtune.rung_settings import Forgetting
from shouldtune.spec import ForgettingBudget, LoraSpec

# The built-in grid (--sweep, or `sweep: default`): the settings as given, then one gentler
# move at a time along the axes that trade task gain against forgetting: a smaller adapter
# (alpha scaled with it, so the update's scale stays alpha/rank = 2), fewer passes, a lower
# learning rate. Replay joins as one more key once it exists.
DEFAULT_GRID: tuple[dict[str, Any], ...] = (
    {},
    {"rank": 4, "alpha": 8.0},
    {"epochs": 1.0},
    {"learning_rate": 2e-4},
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


def _num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)

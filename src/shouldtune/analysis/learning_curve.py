"""Would more examples help? A learning curve, its fit, and what it projects.

Given a rung scored on the same test split with several amounts of train data, fit a
saturating power law score(n) = a - b * n^(-c) (a <= 1, b >= 0, c > 0), weighted toward the
larger subsets, and bootstrap over test examples (the same resampled indices for every point,
so the points' shared noise stays shared) for the interval of the projected score at 2x and
4x the data and of the number of examples at which the curve reaches the bar.

Curves extrapolated from a few points are often badly behaved, so the fit refuses to project
when there are fewer than 3 points, when a later point is clearly below an earlier one (its
paired 95% interval wholly below zero), when the score did not rise at all, or when the fit
misses a point by more than its noise. Pure functions over numpy: nothing here calls a model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from shouldtune.analysis.stats import score_interval
from shouldtune.records import Interval
from shouldtune.rung_settings import (
    CurveFit,
    CurvePoint,
    CurveStatus,
    ExamplesNeeded,
    LearningCurve,
    Projection,
)

__all__ = [
    "CurveFit",
    "CurvePoint",
    "ExamplesNeeded",
    "LearningCurve",
    "Projection",
    "fit_learning_curve",
    "pool_sizes",
]

MIN_POINTS = 3
# A prompt rung's curve: demonstration pools of these shares of train (the whole is the rung).
POOL_FRACTIONS = (0.25, 0.5)
FACTORS = (2.0, 4.0)  # the projections: this many times the largest subset
RESAMPLES = 400  # bootstrap resamples (the whole fit is redone on each)
# The exponent is profiled over a grid: for a fixed c the model is linear in (a, b), so every
# bootstrap resample is fitted at once in closed form, with no optimiser to fail or to start.
_C_GRID = np.geomspace(0.05, 3.0, 120)
# A fit that misses a point by more than this many of the point's standard errors is poor.
_MAX_MISS_SE = 2.5
_Z = 1.96

Array = npt.NDArray[np.float64]


def pool_sizes(n_train: int) -> list[int]:
    """The smaller pools' sizes for `n_train` train examples (the plan counts their calls)."""
    return sorted({max(1, round(n_train * f)) for f in POOL_FRACTIONS} - {n_train})


def fit_learning_curve(
    points: Sequence[tuple[int, Sequence[float]]],
    *,
    bar: float | None = None,
    rung: str | None = None,
    seed: int = 0,
    resamples: int = RESAMPLES,
) -> LearningCurve:
    """The curve through `points`: (train examples, per-test-example scores in [0, 1]).

    Every point's scores are on the same test examples in the same order.
    """
    ordered = sorted(points, key=lambda point: point[0])
    ns = np.asarray([n for n, _ in ordered], dtype=np.float64)
    if any(n < 1 for n, _ in ordered):
        raise ValueError("every point needs at least one train example")
    if len(set(ns.tolist())) != len(ns):
        raise ValueError("two points have the same number of train examples")
    lengths = {len(scores) for _, scores in ordered}
    if len(lengths) > 1:
        raise ValueError("every point must be scored on the same test examples")
    if lengths == {0}:
        raise ValueError("no test scores")
    matrix = np.asarray([list(scores) for _, scores in ordered], dtype=np.float64)
    curve_points = [
        CurvePoint(n_train=int(n), score=_interval(row, seed))
        for n, row in zip(ns, matrix, strict=True)
    ]

    def result(status: CurveStatus, **found: object) -> LearningCurve:
        return LearningCurve.model_validate(
            {
                "rung": rung,
                "points": curve_points,
                "bar": bar,
                "seed": seed,
                "resamples": resamples,
                "status": status,
                **found,
            }
        )

    if len(ordered) < MIN_POINTS:
        return result(
            "too_few_points",
            reason=f"{len(ordered)} point(s) measured, a curve needs {MIN_POINTS}",
        )
    # means[r, p]: resample r's mean score at point p (indices shared across points).
    rng = np.random.default_rng(seed)
    m = matrix.shape[1]
    picks = rng.integers(0, m, size=(resamples, m))
    means = matrix[:, picks].mean(axis=2).T
    observed = matrix.mean(axis=1)
    refused = _refusal(ns, observed, means)
    if refused is not None:
        status, reason = refused
        return result(status, reason=reason)
    weights = ns / ns.sum()
    a, b, c = (float(v[0]) for v in _fit(ns, observed[None, :], weights))
    se = np.maximum(matrix.std(axis=1) / math.sqrt(m), 0.5 / m)
    miss = float(np.max(np.abs(observed - _predict(a, b, c, ns)) / se))
    fit = CurveFit(a=a, b=b, c=c, max_miss_se=miss)
    if miss > _MAX_MISS_SE:
        return result(
            "poor_fit",
            fit=fit,
            reason=f"the fitted curve misses a point by {miss:.1f} standard errors",
        )
    ra, rb, rc = _fit(ns, means, weights)
    largest = float(ns[-1])
    projections = []
    for factor in FACTORS:
        target = largest * factor
        resampled = _predict(ra, rb, rc, np.asarray(target))
        projections.append(
            Projection(
                factor=factor,
                n_train=round(target),
                score=_percentile_interval(float(_predict(a, b, c, np.asarray(target))), resampled),
            )
        )
    plateau = _percentile_interval(a, ra)
    needed = None
    if bar is not None:
        needed = _examples_needed(bar, (a, b, c), (ra, rb, rc), largest)
    return result(
        "projected", fit=fit, plateau=plateau, projections=projections, examples_needed=needed
    )


def _interval(scores: Array, seed: int) -> Interval:
    binary = bool(np.all((scores == 0.0) | (scores == 1.0)))
    return score_interval(scores.tolist(), binary, seed=seed)


def _refusal(ns: Array, observed: Array, means: Array) -> tuple[CurveStatus, str] | None:
    """Why the points cannot be extrapolated, or None when they can."""
    for later in range(1, len(ns)):
        for earlier in range(later):
            drop = means[:, later] - means[:, earlier]
            if np.percentile(drop, 97.5) < 0:
                return (
                    "not_monotone",
                    f"the score fell from {observed[earlier]:.1%} at {int(ns[earlier])} examples"
                    f" to {observed[later]:.1%} at {int(ns[later])}, beyond its noise",
                )
    rise = means[:, -1] - means[:, 0]
    if np.percentile(rise, 2.5) <= 0:
        return (
            "flat",
            f"the score did not rise clearly from {int(ns[0])} to {int(ns[-1])} examples"
            f" ({observed[0]:.1%} to {observed[-1]:.1%})",
        )
    return None


def _predict(a: Array | float, b: Array | float, c: Array | float, n: Array) -> Array:
    return np.asarray(a - b * np.power(n, -np.asarray(c)), dtype=np.float64)


def _fit(ns: Array, y: Array, weights: Array) -> tuple[Array, Array, Array]:
    """Weighted least squares of y[r, p] on a - b * ns[p]^(-c), one fit per row r.

    For each c of the grid, (a, b) solve a linear problem with a <= 1 and b >= 0; a convex
    problem's optimum is inside or on a bound, so the best feasible of the unconstrained
    solution, a = 1 with b free, and b = 0 with a free is the optimum. The c with the least
    weighted squared error wins.
    """
    w = weights[None, None, :]
    x = np.power(ns[None, :], -_C_GRID[:, None])[None, :, :]  # (1, G, P)
    yy = y[:, None, :]  # (R, 1, P)
    mx = (w * x).sum(axis=2, keepdims=True)
    my = (w * yy).sum(axis=2, keepdims=True)
    sxx = (w * (x - mx) ** 2).sum(axis=2, keepdims=True)
    sxy = (w * (x - mx) * (yy - my)).sum(axis=2, keepdims=True)
    slope = np.where(sxx > 0, sxy / np.where(sxx > 0, sxx, 1.0), 0.0)  # y = my + slope (x - mx)
    free_b = -slope
    free_a = my - slope * mx
    # a = 1: minimise sum w (1 - b x - y)^2 over b >= 0.
    wxx = (w * x * x).sum(axis=2, keepdims=True)
    top_b = np.maximum(((w * x * (1.0 - yy)).sum(axis=2, keepdims=True)) / wxx, 0.0)
    # b = 0: a is the weighted mean, at most 1.
    flat_a = np.minimum(my, 1.0)

    def sse(a: Array, b: Array) -> Array:
        return np.asarray((w * (yy - (a - b * x)) ** 2).sum(axis=2, keepdims=True))

    feasible = (free_a <= 1.0) & (free_b >= 0.0)
    candidates = [
        (np.where(feasible, free_a, 1.0), np.where(feasible, free_b, 0.0)),
        (np.ones_like(top_b), top_b),
        (flat_a, np.zeros_like(flat_a)),
    ]
    errors = np.stack(
        [np.where(feasible, sse(*candidates[0]), np.inf), sse(*candidates[1]), sse(*candidates[2])]
    )
    which = errors.argmin(axis=0)  # (R, G, 1)
    a_all = np.choose(which, [np.broadcast_to(c[0], which.shape) for c in candidates])
    b_all = np.choose(which, [np.broadcast_to(c[1], which.shape) for c in candidates])
    best_error = errors.min(axis=0)[:, :, 0]  # (R, G)
    best_c = best_error.argmin(axis=1)
    rows = np.arange(y.shape[0])
    return (
        np.asarray(a_all[rows, best_c, 0], dtype=np.float64),
        np.asarray(b_all[rows, best_c, 0], dtype=np.float64),
        np.asarray(_C_GRID[best_c], dtype=np.float64),
    )


def _percentile_interval(point: float, resampled: Array) -> Interval:
    low, high = np.percentile(resampled, [2.5, 97.5])
    return Interval(
        point=point,
        low=min(float(low), point),
        high=max(float(high), point),
        method="bootstrap_curve",
    )


def _crossing(a: Array, b: Array, c: Array, bar: float, limit: float) -> Array:
    """Train examples at which a - b n^(-c) reaches the bar; inf when not by `limit`."""
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.where(a > bar, np.power(np.where(b > 0, b, 0.0) / (a - bar), 1.0 / c), np.inf)
    return np.where(n <= limit, n, np.inf)


def _examples_needed(
    bar: float,
    fit: tuple[float, float, float],
    resampled: tuple[Array, Array, Array],
    largest: float,
) -> ExamplesNeeded:
    limit = largest * max(FACTORS)
    a, b, c = fit
    ra, rb, rc = resampled
    crossing = float(_crossing(np.asarray(a), np.asarray(b), np.asarray(c), bar, limit))
    # A resample that never reaches the bar stands past the limit (percentiles need numbers).
    crossings = np.minimum(_crossing(ra, rb, rc, bar, limit), 2 * limit)
    low, high = (v if v <= limit else math.inf for v in np.percentile(crossings, [2.5, 97.5]))
    return ExamplesNeeded(
        # Each resampled curve rises with n, so the interval's low end (the 2.5th percentile
        # of the resampled scores at n) clears the bar exactly when 97.5% of the resampled
        # curves have crossed it: at the upper end of the crossings' range.
        n=math.ceil(high) if math.isfinite(high) else None,
        crossing=math.ceil(crossing) if math.isfinite(crossing) else None,
        low=math.ceil(low) if math.isfinite(low) else None,
        high=math.ceil(high) if math.isfinite(high) else None,
    )

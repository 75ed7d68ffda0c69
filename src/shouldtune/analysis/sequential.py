"""Sequential evaluation: stop asking test examples once a rung's verdict is settled.

Looking at an interval after every batch and stopping when it looks clear inflates the
confidence of an ordinary (fixed-n) interval: with enough looks, one of them is misleading
by chance. A confidence sequence is valid at every n at once (P(the mean ever leaves it)
<= alpha), so it may be looked at after every batch and the run stopped at any of them.

The one here is the hedged betting confidence sequence of Waudby-Smith & Ramdas ("Estimating
means of bounded random variables by betting", JRSS-B 2024), for scores in [0, 1] (pass/fail
or graded): for each candidate mean m, a bettor who wagers on "the mean is above m" and one on
"below m" reinvest predictable stakes; m leaves the set once their pooled wealth reaches
1/alpha (Ville's inequality bounds that chance by alpha whatever the stopping rule). It is
computed on a grid of m, its bounds rounded outward by one grid step.

A rung that stops early reports this interval (wider than the fixed-n one); a rung that runs
to the end reports the ordinary interval, as without sequential evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from shouldtune.records import Interval

ALPHA = 0.05
METHOD = "betting_cs"
_GRID = 1001
_TRUNCATION = 0.5  # stakes at most half the wealth can lose: the usual choice (c in the paper)


def cs_path(
    values: Sequence[float] | NDArray[np.float64], alpha: float = ALPHA, grid: int = _GRID
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(lows, highs): the confidence sequence after each of the values, in order."""
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or len(x) == 0:
        raise ValueError("a confidence sequence needs a non-empty 1-d sample")
    if np.any((x < 0.0) | (x > 1.0)):
        raise ValueError("scores must lie in [0, 1]")
    t = np.arange(1, len(x) + 1, dtype=np.float64)
    # Predictable plug-in stakes: the i-th stake only uses the first i-1 values.
    mean_hat = (0.5 + np.cumsum(x)) / (t + 1)
    var_hat = (0.25 + np.cumsum((x - mean_hat) ** 2)) / (t + 1)
    var_prev = np.concatenate([[0.25], var_hat[:-1]])
    stake = np.sqrt(2.0 * np.log(2.0 / alpha) / (var_prev * t * np.log(t + 1.0)))
    m = np.linspace(0.0, 1.0, grid)[None, :]
    with np.errstate(divide="ignore"):
        up = np.minimum(stake[:, None], _TRUNCATION / m)
        down = np.minimum(stake[:, None], _TRUNCATION / (1.0 - m))
    diff = x[:, None] - m
    log_up = np.cumsum(np.log1p(up * diff), axis=0)
    log_down = np.cumsum(np.log1p(-down * diff), axis=0)
    log_wealth = np.logaddexp(log_up, log_down) + np.log(0.5)
    inside = log_wealth < np.log(1.0 / alpha)
    step = 1.0 / (grid - 1)
    grid_m = m[0]
    any_inside = inside.any(axis=1)
    first = np.argmax(inside, axis=1)
    last = grid - 1 - np.argmax(inside[:, ::-1], axis=1)
    lows = np.where(any_inside, np.clip(grid_m[first] - step, 0.0, 1.0), 0.0)
    highs = np.where(any_inside, np.clip(grid_m[last] + step, 0.0, 1.0), 1.0)
    return lows, highs


def confidence_sequence(values: Sequence[float], alpha: float = ALPHA) -> Interval:
    """The always-valid interval after all of `values` (point: their mean)."""
    lows, highs = cs_path(values, alpha)
    point = float(np.mean(values))
    return Interval(point=point, low=float(lows[-1]), high=float(highs[-1]), method=METHOD)


def settled(low: float, high: float, thresholds: Sequence[float]) -> bool:
    """Whether the interval lies wholly on one side of every threshold."""
    return all(low > t or high < t for t in thresholds)


def stopping_point(
    values: Sequence[float] | NDArray[np.float64],
    thresholds: Sequence[float],
    batch: int,
    alpha: float = ALPHA,
) -> int | None:
    """The first look (after each `batch` values) where the sequence is settled, or None.

    The last look (all values) does not count as stopping early: None then.
    """
    lows, highs = cs_path(values, alpha)
    for n in range(batch, len(lows), batch):
        if settled(float(lows[n - 1]), float(highs[n - 1]), thresholds):
            return n
    return None

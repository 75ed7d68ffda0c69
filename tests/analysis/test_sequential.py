"""The stopping rule's error rate on simulated scores (seeded numpy, a few seconds)."""

from __future__ import annotations

import numpy as np
import pytest

from shouldtune.analysis.sequential import (
    confidence_sequence,
    cs_path,
    settled,
    stopping_point,
)
from shouldtune.analysis.stats import wilson

ALPHA = 0.05
SLACK = 0.025  # over two standard errors of a rate near 5% over 400 simulated runs
RUNS = 400
N = 128
BATCH = 16
LOOKS = range(BATCH, N + 1, BATCH)
THRESHOLDS = (0.8, 0.4)  # bar and prompt_fraction*bar at the defaults
GRID = 201  # coarser than the default: the bounds are rounded outward, so still valid


def _binary(rng: np.random.Generator, p: float) -> np.ndarray:
    return (rng.random(N) < p).astype(np.float64)


def _graded(rng: np.random.Generator, mean: float) -> np.ndarray:
    return rng.beta(4 * mean, 4 * (1 - mean), N)


@pytest.mark.parametrize("p", [0.3, 0.8, 0.95])
def test_the_sequence_misses_the_mean_at_any_look_at_most_alpha(p: float) -> None:
    rng = np.random.default_rng(int(p * 100))
    missed = 0
    for _ in range(RUNS):
        lows, highs = cs_path(_binary(rng, p), grid=GRID)
        at = [n - 1 for n in LOOKS]
        missed += bool(np.any((lows[at] > p) | (highs[at] < p)))
    assert missed / RUNS <= ALPHA + SLACK


def test_graded_scores_are_covered_too() -> None:
    rng = np.random.default_rng(7)
    mean = 0.7
    missed = 0
    for _ in range(RUNS):
        lows, highs = cs_path(_graded(rng, mean), grid=GRID)
        missed += bool(np.any((lows > mean) | (highs < mean)))
    assert missed / RUNS <= ALPHA + SLACK


@pytest.mark.parametrize("p", [0.45, 0.78, 0.9])
def test_the_reported_interval_covers_after_stopping_or_running_on(p: float) -> None:
    """The whole procedure: stop at a settled look (its interval) or run on (Wilson at N)."""
    rng = np.random.default_rng(int(p * 1000))
    covered = 0
    for _ in range(RUNS):
        x = _binary(rng, p)
        lows, highs = cs_path(x, grid=GRID)
        stop = next(
            (n for n in LOOKS if n < N and settled(lows[n - 1], highs[n - 1], THRESHOLDS)),
            None,
        )
        if stop is None:
            interval = wilson(int(x.sum()), N)
            low, high = interval.low, interval.high
        else:
            low, high = lows[stop - 1], highs[stop - 1]
        covered += low <= p <= high
    assert covered / RUNS >= 1 - ALPHA - SLACK


def test_peeking_at_a_fixed_n_interval_would_inflate_the_error() -> None:
    """Why the sequence: stopping on the first clear Wilson interval errs far more often."""
    rng = np.random.default_rng(3)
    p = 0.8  # the bar itself: any "clear of the bar" verdict is wrong
    naive = valid = 0
    for _ in range(RUNS):
        x = _binary(rng, p)
        lows, highs = cs_path(x, grid=GRID)
        fixed = [wilson(int(x[:n].sum()), n) for n in LOOKS]
        naive += any(settled(w.low, w.high, [p]) for w in fixed)
        valid += any(settled(lows[n - 1], highs[n - 1], [p]) for n in LOOKS)
    assert naive / RUNS > 2 * ALPHA
    assert valid / RUNS <= ALPHA + SLACK


def test_a_clear_sample_stops_early_and_a_borderline_one_runs_on() -> None:
    rng = np.random.default_rng(11)
    stop = stopping_point(np.ones(N), THRESHOLDS, BATCH)
    assert stop is not None and stop < N
    assert stopping_point(_binary(rng, 0.8), THRESHOLDS, BATCH) is None


def test_confidence_sequence_is_wider_than_the_fixed_n_interval() -> None:
    values = [1.0] * 30 + [0.0] * 10
    sequence = confidence_sequence(values)
    fixed = wilson(30, 40)
    assert sequence.method == "betting_cs"
    assert sequence.point == pytest.approx(0.75)
    assert sequence.low < fixed.low and sequence.high > fixed.high


def test_scores_outside_zero_one_are_refused() -> None:
    with pytest.raises(ValueError):
        cs_path([0.5, 1.5])

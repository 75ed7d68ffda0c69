"""Intervals and paired tests behind every number a verdict quotes.

Standard library and numpy only: Wilson intervals for pass/fail scores, percentile bootstrap
for graded ones, exact McNemar and a paired bootstrap for rung against rung, and Newcombe's
paired interval for one model's pass rate with and without an adapter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from shouldtune.records import Interval

_MAX_CELLS = 4_000_000  # resampled values held in memory at once (32 MB of float64)
_EXACT_DISCORDANT = 5_000  # above this many discordant pairs the normal approximation is tight


class PairedTest(BaseModel):
    """Rung b against rung a on the same examples; diff is b minus a."""

    model_config = ConfigDict(frozen=True)

    method: str = Field(description="mcnemar or paired_bootstrap")
    n: int = Field(description="Paired examples.")
    diff: float = Field(description="Mean score of b minus mean score of a.")
    p_value: float = Field(description="Two-sided p-value of 'no difference'.")
    low: float | None = Field(None, description="95% interval of diff (paired bootstrap).")
    high: float | None = Field(None, description="95% interval of diff (paired bootstrap).")
    a_only: int | None = Field(None, description="Examples a passes and b fails (McNemar).")
    b_only: int | None = Field(None, description="Examples b passes and a fails (McNemar).")


def wilson(successes: int, n: int, z: float = 1.96) -> Interval:
    """Wilson score interval of a proportion; with no trials, the whole [0, 1]."""
    if not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, got {successes} of {n}")
    if n == 0:
        return Interval(point=0.0, low=0.0, high=1.0, method="wilson")
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    center = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    # At 0 or n successes the bound is exactly the end point; rounding would nudge it inside.
    low = 0.0 if successes == 0 else max(0.0, center - half)
    high = 1.0 if successes == n else min(1.0, center + half)
    return Interval(point=p, low=low, high=high, method="wilson")


def _as_array(values: Sequence[float]) -> npt.NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError("expected a flat sequence of scores")
    if not np.all(np.isfinite(array)):
        raise ValueError("scores must be finite numbers")
    return array


def _bootstrap_means(
    values: npt.NDArray[np.float64], seed: int, resamples: int
) -> npt.NDArray[np.float64]:
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    rng = np.random.default_rng(seed)
    n = len(values)
    means = np.empty(resamples, dtype=np.float64)
    rows = max(1, _MAX_CELLS // n)  # in chunks, so that large test sets do not exhaust memory
    for start in range(0, resamples, rows):
        stop = min(resamples, start + rows)
        picks = rng.integers(0, n, size=(stop - start, n))
        means[start:stop] = values[picks].mean(axis=1)
    return means


def _percentiles(
    means: npt.NDArray[np.float64], lowest: float, highest: float
) -> tuple[float, float]:
    low, high = np.percentile(means, [2.5, 97.5])
    # A resampled mean cannot leave [min, max]; clipping removes float drift (constant data).
    return float(np.clip(low, lowest, highest)), float(np.clip(high, lowest, highest))


def bootstrap_mean(values: Sequence[float], *, seed: int = 0, resamples: int = 2000) -> Interval:
    """Percentile bootstrap interval of the mean; with no values, the whole [0, 1]."""
    array = _as_array(values)
    if len(array) == 0:
        return Interval(point=0.0, low=0.0, high=1.0, method="bootstrap")
    lowest, highest = float(array.min()), float(array.max())
    point = min(max(float(array.mean()), lowest), highest)
    low, high = _percentiles(_bootstrap_means(array, seed, resamples), lowest, highest)
    return Interval(point=point, low=min(low, point), high=max(high, point), method="bootstrap")


def wilson_mean(values: Sequence[float], z: float = 1.96) -> Interval:
    """Wilson's interval around the mean of scores in [0, 1], taken as n trials.

    A score in [0, 1] has at most the variance of a pass/fail score with the same mean, so
    this is the widest the truth allows: what a sample that shows no spread can still claim.
    """
    array = _as_array(values)
    n = len(array)
    if n == 0:
        return Interval(point=0.0, low=0.0, high=1.0, method="wilson_mean")
    p = min(max(float(array.mean()), 0.0), 1.0)
    z2 = z * z
    denominator = 1 + z2 / n
    center = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    low = 0.0 if p == 0.0 else max(0.0, min(p, center - half))
    high = 1.0 if p == 1.0 else min(1.0, max(p, center + half))
    return Interval(point=p, low=low, high=high, method="wilson_mean")


def score_interval(values: Sequence[float], binary: bool, seed: int = 0) -> Interval:
    """Wilson for pass/fail scores (every value 0 or 1), bootstrap for graded ones.

    A graded sample with no spread (every example scored the same) gives the bootstrap
    nothing to resample: its interval has zero width, a certainty a few examples cannot
    give. Scores in [0, 1] then get `wilson_mean`, whose width reflects n.
    """
    if not binary:
        interval = bootstrap_mean(values, seed=seed)
        constant = len(values) > 0 and interval.low == interval.high
        if constant and all(0.0 <= value <= 1.0 for value in values):
            return wilson_mean(values)
        return interval
    if any(value not in (0.0, 1.0) for value in values):
        raise ValueError("binary scores must all be 0 or 1")
    return wilson(sum(1 for value in values if value == 1.0), len(values))


def _paired_lengths(a: Sequence[object], b: Sequence[object]) -> int:
    if len(a) != len(b):
        raise ValueError(f"paired samples differ in length: {len(a)} and {len(b)}")
    return len(a)


def _sign_test(x: int, y: int) -> float:
    """Exact two-sided binomial test of x against y successes out of x + y at p = 1/2."""
    d = x + y
    term, tail = 1, 0
    for i in range(min(x, y) + 1):
        tail += term
        term = term * (d - i) // (i + 1)  # math.comb(d, i + 1), exact in integers
    # Python divides big integers exactly, so any count works (tiny p-values become 0.0).
    return min(1.0, 2 * tail / (1 << d))


def _discordant(a: Sequence[bool], b: Sequence[bool]) -> tuple[int, int]:
    _paired_lengths(a, b)
    a_only = sum(1 for x, y in zip(a, b, strict=True) if x and not y)
    b_only = sum(1 for x, y in zip(a, b, strict=True) if y and not x)
    return a_only, b_only


def mcnemar(a: Sequence[bool], b: Sequence[bool]) -> PairedTest:
    """Exact McNemar test: a binomial test on the pairs where exactly one rung passes.

    It gives no interval; `paired_bootstrap` on the 0/1 scores gives one for the difference.
    """
    n = _paired_lengths(a, b)
    a_only, b_only = _discordant(a, b)
    return PairedTest(
        method="mcnemar",
        n=n,
        diff=(b_only - a_only) / n if n else 0.0,
        p_value=_sign_test(a_only, b_only),
        a_only=a_only,
        b_only=b_only,
    )


def paired_bootstrap(
    a: Sequence[float], b: Sequence[float], *, seed: int = 0, resamples: int = 2000
) -> PairedTest:
    """Bootstrap of the mean per-example difference b - a, resampling examples as pairs.

    The p-value is twice the smaller share of resampled differences on either side of zero,
    with the usual +1 correction so that it is never exactly 0.
    """
    n = _paired_lengths(a, b)
    if n == 0:
        return PairedTest(method="paired_bootstrap", n=0, diff=0.0, p_value=1.0, low=-1.0, high=1.0)
    diffs = _as_array(b) - _as_array(a)
    lowest, highest = float(diffs.min()), float(diffs.max())
    diff = min(max(float(diffs.mean()), lowest), highest)
    means = _bootstrap_means(diffs, seed, resamples)
    low, high = _percentiles(means, lowest, highest)
    below = int(np.count_nonzero(means <= 0.0))
    above = int(np.count_nonzero(means >= 0.0))
    p_value = min(1.0, 2 * (min(below, above) + 1) / (resamples + 1))
    return PairedTest(
        method="paired_bootstrap",
        n=n,
        diff=diff,
        p_value=p_value,
        low=min(low, diff),
        high=max(high, diff),
    )


def paired_difference(a: Sequence[bool], b: Sequence[bool], z: float = 1.96) -> Interval:
    """Newcombe's square-and-add interval (1998, method 10) for pass rate a minus pass rate b.

    The same items answered twice (adapter off, adapter on): each rate gets its Wilson
    interval, and the two are combined with the estimated correlation between the rates,
    which narrows the interval when the answers agree item by item. The correlation is
    shrunk towards zero by n/2 when positive, as in Newcombe's paper.
    """
    n = _paired_lengths(a, b)
    if n == 0:
        return Interval(point=0.0, low=-1.0, high=1.0, method="newcombe_paired")
    both = sum(1 for x, y in zip(a, b, strict=True) if x and y)
    a_only, b_only = _discordant(a, b)
    neither = n - both - a_only - b_only
    pass_a, pass_b = both + a_only, both + b_only
    p_a, p_b = pass_a / n, pass_b / n
    ci_a, ci_b = wilson(pass_a, n, z), wilson(pass_b, n, z)
    margins = pass_a * (n - pass_a) * pass_b * (n - pass_b)
    cross = both * neither - a_only * b_only
    if margins == 0 or 0 <= cross <= n / 2:
        phi = 0.0
    elif cross > n / 2:
        phi = (cross - n / 2) / math.sqrt(margins)
    else:
        phi = cross / math.sqrt(margins)
    diff = p_a - p_b
    below_a, above_a = p_a - ci_a.low, ci_a.high - p_a
    below_b, above_b = p_b - ci_b.low, ci_b.high - p_b
    low = diff - math.sqrt(max(0.0, below_a**2 + above_b**2 - 2 * phi * below_a * above_b))
    high = diff + math.sqrt(max(0.0, above_a**2 + below_b**2 - 2 * phi * above_a * below_b))
    return Interval(point=diff, low=max(-1.0, low), high=min(1.0, high), method="newcombe_paired")


def examples_needed(p: float, threshold: float, n: int, z: float = 1.96) -> int | None:
    """How many more test examples would put the threshold outside the 95% interval around p.

    Assumes p holds as the test set grows. The Wilson interval is the set of thresholds t with
    |p - t| <= z * sqrt(t(1 - t) / n), so it excludes t once
    n > z^2 * t(1 - t) / (p - t)^2. Using the variance at the threshold (not at p, as the Wald
    interval would) keeps the answer consistent with the intervals the report shows, and stays
    right at p = 0 or 1, where the Wald formula claims no more examples are needed.
    None when p equals the threshold: no number of examples separates them.
    """
    if not (0.0 <= p <= 1.0 and 0.0 <= threshold <= 1.0):
        raise ValueError(f"p and threshold must lie in [0, 1], got {p} and {threshold}")
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    if p == threshold:
        return None
    bound = z * z * threshold * (1 - threshold) / (p - threshold) ** 2
    n_total = math.floor(bound) + 1  # strictly more than the bound
    return max(0, n_total - n)


def examples_needed_paired(a: Sequence[bool], b: Sequence[bool]) -> int | None:
    """How many more paired examples would make McNemar significant at 0.05.

    Assumes the shares of a-only and b-only examples hold as the test set grows, and finds the
    smallest total with an exact p-value under 0.05 (the normal approximation when the
    discordant counts get large). None when the discordant counts are equal: no difference
    to establish.
    """
    a_only, b_only = _discordant(a, b)
    if a_only == b_only:
        return None
    n = len(a)
    if _sign_test(a_only, b_only) < 0.05:
        return 0
    share_a, share_b = a_only / n, b_only / n
    approximate = math.ceil(1.96**2 * (share_a + share_b) / (share_b - share_a) ** 2)
    if approximate * (share_a + share_b) > _EXACT_DISCORDANT:
        return max(0, approximate - n)

    def significant(total: int) -> bool:
        return _sign_test(round(share_a * total), round(share_b * total)) < 0.05

    # Double until significant, then bisect: about 2 log2(total / n) exact tests.
    low, high = n, 2 * n
    while not significant(high):
        low, high = high, 2 * high
    while high - low > 1:
        middle = (low + high) // 2
        if significant(middle):
            high = middle
        else:
            low = middle
    return high - n


def logsumexp(values: Sequence[float]) -> float:
    """log(sum(exp(v))) without overflow: normalizes log-probabilities."""
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))


def wilson_half_width(p: float, n: int, z: float = 1.96) -> float:
    """Half the width of Wilson's interval for a proportion p observed on n trials."""
    if n <= 0:
        return 0.5
    z2 = z * z
    return z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)


def sample_size_for(half_width: float, p: float = 0.5, z: float = 1.96) -> int:
    """The fewest trials whose Wilson interval at p is at most +/- half_width (p=0.5: widest)."""
    # Wald's closed form is a close lower bound; Wilson's is a little narrower, so step down.
    n = max(1, math.ceil(z * z * p * (1 - p) / (half_width * half_width)))
    while n > 1 and wilson_half_width(p, n - 1, z) <= half_width:
        n -= 1
    while wilson_half_width(p, n, z) > half_width:
        n += 1
    return n

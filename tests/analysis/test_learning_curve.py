"""Learning curves on synthetic data of known shape: coverage, refusals, examples needed.

Each simulated point is a fixed-size test split whose pass/fail outcomes are drawn with the
true curve's probability at that many train examples (binomial noise), seeded.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pytest

from shouldtune.analysis.learning_curve import fit_learning_curve

Curve = Callable[[float], float]


def simulate(curve: Curve, ns: Sequence[int], m: int, seed: int) -> list[tuple[int, list[float]]]:
    rng = np.random.default_rng(seed)
    return [(n, (rng.random(m) < curve(n)).astype(float).tolist()) for n in ns]


def rising(n: float) -> float:
    return 0.9 - 1.5 / math.sqrt(n)


# The 2x projection's 95% interval should cover the truth about 95% of the time; a
# percentile bootstrap of a non-linear fit from three points runs a little under its
# nominal rate, so the test asks for at least 85% over 100 seeded curves.
NOMINAL = 0.95
TOLERANCE = 0.10


def test_the_2x_projection_covers_the_truth_at_about_its_stated_rate() -> None:
    ns = (50, 100, 200)
    covered = projected = 0
    for seed in range(100):
        curve = fit_learning_curve(simulate(rising, ns, 300, seed), bar=0.8, seed=seed)
        if curve.status != "projected":
            continue
        projected += 1
        two = curve.projections[0]
        assert two.factor == 2.0 and two.n_train == 400
        covered += two.score.low <= rising(400) <= two.score.high
    # A 10-point rise on 300 examples is usually told apart from a flat curve.
    assert projected >= 70
    assert covered / projected >= NOMINAL - TOLERANCE


def test_a_flat_curve_projects_nothing() -> None:
    refused = 0
    for seed in range(40):
        curve = fit_learning_curve(
            simulate(lambda _: 0.7, (50, 100, 200), 300, seed), bar=0.8, seed=seed
        )
        if curve.status != "projected":
            assert curve.projections == [] and curve.examples_needed is None
            assert curve.reason
            refused += 1
    assert refused >= 36  # a flat truth shows a clear rise only by chance (about 2.5%)


def test_a_later_point_clearly_below_an_earlier_one_projects_nothing() -> None:
    shape = {50: 0.6, 100: 0.8, 200: 0.6}
    curve = fit_learning_curve(simulate(lambda n: shape[int(n)], (50, 100, 200), 300, 0))
    assert curve.status == "not_monotone"
    assert curve.projections == []
    assert curve.reason is not None and "fell from" in curve.reason


def test_a_curve_no_saturating_law_fits_is_a_poor_fit() -> None:
    # Convex in n (slow, then steep): a - b n^(-c) is concave, so no setting passes near all.
    shape = {50: 0.40, 100: 0.42, 200: 0.90}
    curve = fit_learning_curve(simulate(lambda n: shape[int(n)], (50, 100, 200), 400, 1))
    assert curve.status == "poor_fit"
    assert curve.fit is not None and curve.fit.max_miss_se > 2.5
    assert curve.projections == []


def test_fewer_than_three_points_project_nothing() -> None:
    curve = fit_learning_curve(simulate(rising, (100, 200), 300, 0), bar=0.8)
    assert curve.status == "too_few_points"
    assert [p.n_train for p in curve.points] == [100, 200]


def test_a_curve_rising_to_a_plateau_above_the_bar_says_how_many_examples() -> None:
    def curve_of(n: float) -> float:
        return 0.95 - 3.0 / math.sqrt(n)

    bar = 0.82  # crossed at (3 / 0.13)^2 = 533 examples, within 4x the 400 measured
    curve = fit_learning_curve(simulate(curve_of, (100, 200, 400), 1000, 3), bar=bar, seed=3)
    assert curve.status == "projected"
    needed = curve.examples_needed
    assert needed is not None
    assert needed.n is not None and needed.crossing is not None and needed.low is not None
    assert needed.high is not None
    assert needed.low <= needed.crossing <= needed.high
    assert needed.low <= needed.n <= needed.high
    # The low end clearing the bar is the cautious figure: at or past the fit's own crossing.
    assert needed.n >= needed.crossing
    assert curve.plateau is not None and curve.plateau.point > bar


def test_a_plateau_below_the_bar_is_not_within_4x() -> None:
    curve = fit_learning_curve(simulate(rising, (50, 100, 200), 1000, 2), bar=0.97, seed=2)
    assert curve.status == "projected"
    assert curve.examples_needed is not None
    assert curve.examples_needed.n is None and curve.examples_needed.crossing is None


def test_the_fit_is_seeded() -> None:
    points = simulate(rising, (50, 100, 200), 300, 5)
    assert fit_learning_curve(points, bar=0.8, seed=1) == fit_learning_curve(
        points, bar=0.8, seed=1
    )


def test_points_on_different_test_splits_are_refused() -> None:
    with pytest.raises(ValueError, match="same test examples"):
        fit_learning_curve([(10, [1.0, 0.0]), (20, [1.0]), (40, [0.0, 1.0])])

"""Intervals and paired tests against values worked out by hand."""

from __future__ import annotations

import pytest

from shouldtune.analysis.stats import (
    bootstrap_mean,
    examples_needed,
    examples_needed_paired,
    mcnemar,
    paired_bootstrap,
    paired_difference,
    score_interval,
    wilson,
)


def test_wilson_eight_of_ten() -> None:
    # center = (0.8 + 1.96²/20) / (1 + 1.96²/10) = 0.71674,
    # half = 1.96 * sqrt(0.016 + 1.96²/400) / 1.38416 = 0.22658
    interval = wilson(8, 10)
    assert interval.point == 0.8
    assert interval.low == pytest.approx(0.4902, abs=1e-4)
    assert interval.high == pytest.approx(0.9433, abs=1e-4)
    assert interval.method == "wilson"


def test_wilson_extremes_are_pinned_to_the_ends() -> None:
    none = wilson(0, 10)
    assert (none.point, none.low) == (0.0, 0.0)
    # 1.96² / (10 + 1.96²) = 0.27753
    assert none.high == pytest.approx(0.2775, abs=1e-4)
    every = wilson(10, 10)
    assert (every.point, every.high) == (1.0, 1.0)
    assert every.low == pytest.approx(0.7225, abs=1e-4)


def test_wilson_without_trials_is_the_whole_range() -> None:
    interval = wilson(0, 0)
    assert (interval.point, interval.low, interval.high) == (0.0, 0.0, 1.0)


def test_wilson_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError, match="successes"):
        wilson(11, 10)


def test_bootstrap_of_a_constant_has_zero_width() -> None:
    interval = bootstrap_mean([0.7] * 25)
    assert (interval.point, interval.low, interval.high) == (0.7, 0.7, 0.7)
    assert interval.method == "bootstrap"


def test_bootstrap_matches_the_normal_interval_on_a_large_balanced_sample() -> None:
    # 100 values, half 0 and half 1: mean 0.5, standard error sqrt(0.25 / 100) = 0.05,
    # so about 0.5 ± 1.96 * 0.05 = [0.402, 0.598].
    interval = bootstrap_mean([0.0, 1.0] * 50, seed=3)
    assert interval.point == 0.5
    assert interval.low == pytest.approx(0.402, abs=0.02)
    assert interval.high == pytest.approx(0.598, abs=0.02)


def test_bootstrap_is_reproducible_per_seed() -> None:
    values = [0.1, 0.4, 0.35, 0.8, 0.9, 0.2, 0.65]
    assert bootstrap_mean(values, seed=1) == bootstrap_mean(values, seed=1)
    assert bootstrap_mean(values, seed=1) != bootstrap_mean(values, seed=2)


def test_bootstrap_of_nothing_is_the_whole_range() -> None:
    interval = bootstrap_mean([])
    assert (interval.point, interval.low, interval.high) == (0.0, 0.0, 1.0)


def test_score_interval_picks_wilson_for_binary_scores() -> None:
    assert score_interval([1.0] * 8 + [0.0] * 2, binary=True) == wilson(8, 10)
    graded = score_interval([0.5, 0.25, 0.75, 0.5], binary=False)
    assert graded.method == "bootstrap"


@pytest.mark.parametrize("value", [0.0, 0.5, 1.0])
def test_graded_scores_without_spread_get_an_interval_that_reflects_n(value: float) -> None:
    # 45 examples all scored the same: the bootstrap alone would say [v, v].
    interval = score_interval([value] * 45, binary=False)
    assert interval.method == "wilson_mean"
    assert interval.point == value
    assert interval.high - interval.low > 0.05
    assert interval == score_interval([value] * 45, binary=False)
    wider = score_interval([value] * 10, binary=False)
    assert wider.high - wider.low > interval.high - interval.low
    if value == 0.0:  # the same as 0 passes out of 45
        assert (interval.low, interval.high) == (0.0, wilson(0, 45).high)


def test_score_interval_rejects_graded_values_called_binary() -> None:
    with pytest.raises(ValueError, match="0 or 1"):
        score_interval([1.0, 0.5], binary=True)


def test_mcnemar_six_discordant_pairs_all_one_way() -> None:
    # 4 pairs both pass, 6 only b passes: p = 2 * 0.5**6 = 0.03125.
    a = [True] * 4 + [False] * 6
    b = [True] * 10
    test = mcnemar(a, b)
    assert test.p_value == 0.03125
    assert (test.a_only, test.b_only, test.n) == (0, 6, 10)
    assert test.diff == pytest.approx(0.6)
    assert test.low is None and test.high is None


def test_mcnemar_mixed_discordant_pairs() -> None:
    # 3 a-only, 5 b-only: p = 2 * (C(8,0) + C(8,1) + C(8,2) + C(8,3)) / 2**8 = 2 * 93 / 256.
    a = [True] * 3 + [False] * 5 + [False, True]
    b = [False] * 3 + [True] * 5 + [False, True]
    test = mcnemar(a, b)
    assert test.p_value == pytest.approx(2 * 93 / 256)
    assert test.diff == pytest.approx((5 - 3) / 10)


def test_mcnemar_without_discordant_pairs_finds_no_difference() -> None:
    test = mcnemar([True, False, True], [True, False, True])
    assert (test.p_value, test.diff, test.a_only, test.b_only) == (1.0, 0.0, 0, 0)


def test_mcnemar_handles_large_counts() -> None:
    even = mcnemar([True] * 1000 + [False] * 1000, [False] * 1000 + [True] * 1000)
    assert even.p_value == 1.0  # 2 * P(X <= 1000) is just over 1 and capped
    lopsided = mcnemar([False] * 3000, [True] * 3000)
    assert lopsided.p_value == 0.0  # 2 * 0.5**3000 underflows


def test_mcnemar_rejects_unpaired_samples() -> None:
    with pytest.raises(ValueError, match="length"):
        mcnemar([True], [True, False])


def test_paired_bootstrap_of_a_constant_shift() -> None:
    a = [0.0, 0.5, 0.25, 0.125]
    b = [0.25, 0.75, 0.5, 0.375]
    test = paired_bootstrap(a, b)
    assert (test.diff, test.low, test.high) == (0.25, 0.25, 0.25)
    # No resample reaches zero: p = 2 * (0 + 1) / (2000 + 1).
    assert test.p_value == pytest.approx(2 / 2001)
    assert test.method == "paired_bootstrap"


def test_paired_bootstrap_of_identical_rungs() -> None:
    scores = [0.1, 0.9, 0.4]
    test = paired_bootstrap(scores, scores)
    assert (test.diff, test.low, test.high, test.p_value) == (0.0, 0.0, 0.0, 1.0)


def test_paired_bootstrap_interval_brackets_a_noisy_difference() -> None:
    # Differences +1 on 30 examples, 0 on 70: mean 0.3, se sqrt(0.21 / 100) = 0.0458.
    a = [0.0] * 100
    b = [1.0] * 30 + [0.0] * 70
    test = paired_bootstrap(a, b, seed=5)
    assert test.diff == pytest.approx(0.3)
    assert test.low == pytest.approx(0.3 - 1.96 * 0.0458, abs=0.02)
    assert test.high == pytest.approx(0.3 + 1.96 * 0.0458, abs=0.02)
    assert test.p_value == pytest.approx(2 / 2001)


def test_examples_needed_uses_the_wilson_bound() -> None:
    # 1.96² * 0.8 * 0.2 / 0.1² = 61.47: 62 examples in all, 12 more than 50.
    assert examples_needed(0.7, 0.8, 50) == 12
    assert examples_needed(0.7, 0.8, 100) == 0


def test_examples_needed_at_a_perfect_score_agrees_with_wilson() -> None:
    # 1.96² * 0.16 / 0.04 = 15.37: 16 examples in all.
    assert examples_needed(1.0, 0.8, 10) == 6
    assert wilson(16, 16).low > 0.8
    assert wilson(15, 15).low < 0.8


def test_examples_needed_cannot_separate_equal_values() -> None:
    assert examples_needed(0.8, 0.8, 40) is None


def test_examples_needed_paired_when_the_difference_holds() -> None:
    # 0 a-only and 3 b-only of 10 (p = 0.25). With 30% b-only, significance needs 6 b-only
    # pairs (2 * 0.5**6 < 0.05), i.e. round(0.3 * N) >= 6: N = 19, 9 more.
    a = [False] * 3 + [True] * 7
    b = [True] * 10
    assert mcnemar(a, b).p_value == 0.25
    assert examples_needed_paired(a, b) == 9


def test_examples_needed_paired_already_significant_or_hopeless() -> None:
    assert examples_needed_paired([False] * 6, [True] * 6) == 0
    assert examples_needed_paired([True, False], [False, True]) is None
    assert examples_needed_paired([True, True], [True, True]) is None


def test_examples_needed_paired_large_gap_uses_the_normal_bound() -> None:
    # 50 a-only, 51 b-only of 200: the exact search would go far past 5000 discordant pairs.
    # 1.96² * (101 / 200) / (1 / 200)² = 3.8416 * 0.505 * 40000 = 77600.32 -> 77601 in all.
    a = [True] * 50 + [False] * 51 + [True] * 99
    b = [False] * 50 + [True] * 51 + [True] * 99
    assert examples_needed_paired(a, b) == 77401


def _pairs(both: int, a_only: int, b_only: int, neither: int) -> tuple[list[bool], list[bool]]:
    a = [True] * both + [True] * a_only + [False] * b_only + [False] * neither
    b = [True] * both + [False] * a_only + [True] * b_only + [False] * neither
    return a, b


def test_paired_difference_matches_newcombe_on_a_published_table() -> None:
    # Fagerland, Lydersen and Laake, "Statistical Analysis of Contingency Tables", ch. 8:
    # the table [[59, 6], [16, 80]] (Cavo et al., 2012) gives -0.0621 (-0.1186 to -0.0046).
    interval = paired_difference(*_pairs(59, 6, 16, 80))
    assert interval.point == pytest.approx(-0.0621, abs=5e-5)
    assert interval.low == pytest.approx(-0.1186, abs=5e-5)
    assert interval.high == pytest.approx(-0.0046, abs=5e-5)


def test_paired_difference_is_narrower_than_unpaired_when_answers_agree() -> None:
    # 100 items, 60 passed both ways, 10 lost: the rates' own intervals overlap,
    # the paired interval of the drop does not reach zero.
    a, b = _pairs(60, 10, 0, 30)
    interval = paired_difference(a, b)
    assert interval.point == pytest.approx(0.10)
    assert 0.0 < interval.low < 0.10 < interval.high
    assert wilson(70, 100).low < wilson(60, 100).high


def test_paired_difference_of_identical_answers_is_centred_on_zero() -> None:
    a, b = _pairs(30, 0, 0, 70)
    interval = paired_difference(a, b)
    assert interval.point == 0.0 and interval.low < 0.0 < interval.high


def test_paired_difference_without_items_is_the_whole_range() -> None:
    interval = paired_difference([], [])
    assert (interval.low, interval.high) == (-1.0, 1.0)

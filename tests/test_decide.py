"""Every branch of the prompt part of the decision, from constructed rung results."""

from __future__ import annotations

from shouldtune.decide import decide
from shouldtune.records import Interval, RungResult


def rung(name: str, point: float, low: float, high: float, n: int = 50) -> RungResult:
    return RungResult(
        rung=name,
        n=n,
        score=Interval(point=point, low=low, high=high, method="wilson"),
        pass_rate=point,
        mean_latency_s=0.1,
        mean_prompt_tokens=100,
        mean_completion_tokens=0,
        computed_calls=n,
        cached_calls=0,
        wall_s=1.0,
    )


def verdict(*results: RungResult, enough: bool = True, bar: float = 0.8) -> object:
    return decide(
        list(results),
        bar=bar,
        prompt_fraction=0.8,
        enough_data=enough,
        n_usable=80,
        min_examples=50,
    )


def test_not_enough_data_wins_even_when_the_prompt_looks_good() -> None:
    v = decide(
        [rung("few_shot", 0.95, 0.85, 0.99)],
        bar=0.8,
        prompt_fraction=0.8,
        enough_data=False,
        n_usable=20,
        min_examples=50,
    )
    assert v.kind == "NOT_ENOUGH_DATA"
    assert v.question == "0. pre-check"
    assert "20 usable" in v.headline
    assert "few_shot" in v.answer  # the prompt rungs are still reported


def test_prompt_meets_bar_when_whole_interval_clears_it() -> None:
    v = verdict(rung("zero_shot", 0.5, 0.4, 0.6), rung("few_shot", 0.9, 0.82, 0.95))
    assert v.kind == "PROMPT"
    assert v.best_rung == "few_shot"
    assert "meets the bar" in v.headline
    assert v.gap is not None and abs(v.gap - 0.1) < 1e-9


def test_prompt_within_reach_when_interval_clears_fraction_but_not_bar() -> None:
    # bar 0.8 -> within-reach threshold 0.64; low 0.66 clears it, 0.78 < bar.
    v = verdict(rung("few_shot", 0.75, 0.66, 0.83))
    assert v.kind == "PROMPT"
    assert "within reach" in v.headline
    assert "Iterate on the prompt" in v.answer


def test_point_above_bar_but_interval_below_is_not_meets_bar() -> None:
    v = verdict(rung("few_shot", 0.85, 0.62, 0.95, n=12))
    assert v.kind == "INCONCLUSIVE"
    assert v.examples_needed is not None and v.examples_needed > 0


def test_prompt_falls_short_when_whole_interval_is_below_fraction() -> None:
    v = verdict(rung("zero_shot", 0.2, 0.1, 0.3), rung("few_shot", 0.4, 0.3, 0.5))
    assert v.kind == "INCONCLUSIVE"
    assert "fall short by 24%" in v.headline  # 0.64 - 0.40
    assert v.best_rung == "few_shot"
    assert "not run" in v.answer


def test_straddling_interval_is_inconclusive_with_examples_needed() -> None:
    v = verdict(rung("few_shot", 0.6, 0.45, 0.74, n=40))
    assert v.kind == "INCONCLUSIVE"
    assert "straddles" in v.headline
    assert v.examples_needed is not None and v.examples_needed > 0
    assert str(v.examples_needed) in v.answer


def test_tie_goes_to_the_cheaper_rung() -> None:
    v = verdict(rung("zero_shot", 0.9, 0.85, 0.95), rung("few_shot", 0.9, 0.85, 0.95))
    assert v.best_rung == "zero_shot"


def test_no_rungs_is_inconclusive() -> None:
    v = verdict()
    assert v.kind == "INCONCLUSIVE"

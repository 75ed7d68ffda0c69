"""The decision reads the constant answer: a rung no better than it is never the verdict's rung.

Scripted rung results and paired tests, as in test_decide.py: the figures are constructed,
so each case says which branch of the framework the constant changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shouldtune.baseline import BASELINE
from shouldtune.decide import Verdict, decide
from shouldtune.records import Comparison, Interval, RungResult
from tests.test_decide import rung


@dataclass
class Floor:
    """A baseline record as the decision reads it (baseline.Baseline's fields)."""

    constant: str = '{"PER": [], "ORG": []}'
    how: str = "per_field"
    n: int = 50
    score: Interval = field(
        default_factory=lambda: Interval(point=0.43, low=0.36, high=0.5, method="bootstrap")
    )
    pairs: list[Comparison] = field(default_factory=list)


def vs_constant(name: str, diff: float, p: float) -> Comparison:
    return Comparison(a=BASELINE, b=name, method="paired_bootstrap", n=50, diff=diff, p_value=p)


def beats(a: str, b: str, diff: float = 0.2, p: float = 0.001) -> Comparison:
    return Comparison(a=a, b=b, method="mcnemar", n=50, diff=diff, p_value=p)


def verdict(
    *results: RungResult, floor: Floor, comparisons: list[Comparison] | None = None
) -> Verdict:
    return decide(
        list(results),
        bar=0.8,
        prompt_fraction=0.8,
        enough_data=True,
        n_usable=200,
        min_examples=50,
        comparisons=comparisons or [],
        baseline=floor,
    )


def test_a_prompt_that_clears_the_bar_but_equals_the_constant_is_not_recommended() -> None:
    floor = Floor(
        constant="even",
        score=Interval(point=0.88, low=0.8, high=0.93, method="wilson"),
        pairs=[vs_constant("few_shot", 0.0, 1.0)],
    )
    v = verdict(rung("few_shot", 0.88, 0.82, 0.93), floor=floor)
    assert v.kind == "INCONCLUSIVE"
    found = v.findings
    assert found is not None and found.case == "baseline_matches"
    assert found.matched_rung == "few_shot" and v.best_rung is None
    assert found.baseline is not None and found.baseline.matched == ["few_shot"]
    assert "no better than answering 'even' every time" in v.headline
    assert any("few_shot: no better than answering 'even' every time" in r for r in v.reasons)
    assert "No rung measured here does better than the constant" in v.answer
    assert "The constant alone is within reach of your bar" in v.answer


def test_the_verdict_falls_to_the_next_prompt_that_beats_the_constant() -> None:
    floor = Floor(
        constant="even",
        score=Interval(point=0.6, low=0.5, high=0.7, method="wilson"),
        pairs=[vs_constant("zero_shot", 0.25, 0.001), vs_constant("few_shot", 0.3, 0.2)],
    )
    v = verdict(rung("zero_shot", 0.85, 0.81, 0.9), rung("few_shot", 0.9, 0.82, 0.95), floor=floor)
    # few_shot scores higher, but only zero_shot is shown better than the constant.
    assert (v.kind, v.best_rung) == ("PROMPT", "zero_shot")
    assert "few_shot is no better than answering 'even' every time" in v.answer
    # The margin over the constant stands beside the distance to the bar.
    assert "zero_shot is 25.0 pts above answering 'even' every time" in v.answer
    assert "and 5.0 pts above the bar 80%" in v.answer


def test_a_fine_tune_level_with_the_constant_is_never_fine_tune() -> None:
    floor = Floor(pairs=[vs_constant("few_shot", 0.2, 0.001), vs_constant("lora", 0.03, 0.4)])
    v = verdict(
        rung("few_shot", 0.63, 0.55, 0.7),
        rung("lora", 0.9, 0.84, 0.95),
        floor=floor,
        comparisons=[beats("few_shot", "lora")],
    )
    assert v.kind == "INCONCLUSIVE"
    found = v.findings
    assert found is not None and found.case == "baseline_matches"
    assert found.matched_rung == "lora" and found.question == "3. specific failure"
    # The closest rung named is the one that does beat the constant.
    assert v.best_rung == "few_shot"
    assert "The best rung that does beat the constant is" in v.answer


def test_the_closest_rung_is_never_one_the_constant_matches() -> None:
    """The reported case: lora level with the constant, the searched prompt below it."""
    floor = Floor(
        pairs=[
            vs_constant("zero_shot", 0.1, 0.01),
            vs_constant("prompt_search", -0.05, 0.1),
            vs_constant("lora", 0.01, 0.8),
        ]
    )
    v = verdict(
        rung("zero_shot", 0.53, 0.46, 0.6),
        rung("prompt_search", 0.379, 0.333, 0.421),
        rung("lora", 0.442, 0.379, 0.504),
        floor=floor,
        comparisons=[beats("zero_shot", "lora", diff=-0.09, p=0.01)],
    )
    found = v.findings
    assert found is not None and found.case == "nothing_reaches_bar"
    assert v.best_rung == "zero_shot"
    assert "closest zero_shot" in v.headline
    assert "zero_shot is 10.0 pts above answering" in v.answer
    assert "short of the bar 80%" in v.answer
    assert "prompt_search, lora are no better than answering" in v.answer


def test_when_the_constant_matches_every_rung_no_rung_is_closest() -> None:
    floor = Floor(pairs=[vs_constant("few_shot", 0.01, 0.7), vs_constant("lora", 0.02, 0.6)])
    v = verdict(rung("few_shot", 0.44, 0.37, 0.5), rung("lora", 0.45, 0.38, 0.52), floor=floor)
    assert v.kind == "INCONCLUSIVE" and v.best_rung is None
    found = v.findings
    assert found is not None and found.case == "baseline_matches"
    assert "no rung beats it" in v.headline


def test_rag_level_with_the_constant_is_not_rag() -> None:
    floor = Floor(pairs=[vs_constant("few_shot", 0.1, 0.01), vs_constant("rag", 0.05, 0.3)])
    v = verdict(
        rung("few_shot", 0.5, 0.4, 0.6),
        rung("rag", 0.85, 0.81, 0.9),
        floor=floor,
        comparisons=[beats("few_shot", "rag")],
    )
    assert v.kind == "INCONCLUSIVE"
    found = v.findings
    assert found is not None and found.case == "baseline_matches"
    assert (found.matched_rung, found.question) == ("rag", "2. knowledge")


def test_without_a_baseline_the_decision_is_unchanged() -> None:
    v = decide(
        [rung("few_shot", 0.88, 0.82, 0.93)],
        bar=0.8,
        prompt_fraction=0.8,
        enough_data=True,
        n_usable=200,
        min_examples=50,
    )
    assert v.kind == "PROMPT"
    assert v.findings is not None and v.findings.baseline is None


def test_a_prompt_that_falls_short_level_with_the_constant_stays_short_and_says_so() -> None:
    """Falling short recommends nothing: the case stays, with the constant's reading added."""
    floor = Floor(
        constant="WORD4",
        score=Interval(point=0.0, low=0.0, high=0.1, method="wilson"),
        pairs=[vs_constant("zero_shot", 0.0, 1.0)],
    )
    v = verdict(rung("zero_shot", 0.0, 0.0, 0.1), floor=floor)
    found = v.findings
    assert found is not None and found.case == "prompt_short"
    assert "zero_shot is no better than answering 'WORD4' every time" in v.answer


def test_a_prompt_that_beats_the_constant_is_named_short_in_place_of_one_that_does_not() -> None:
    floor = Floor(
        constant="even",
        score=Interval(point=0.3, low=0.2, high=0.4, method="wilson"),
        pairs=[vs_constant("zero_shot", 0.15, 0.01), vs_constant("few_shot", 0.2, 0.08)],
    )
    v = verdict(rung("zero_shot", 0.45, 0.35, 0.55), rung("few_shot", 0.5, 0.4, 0.6), floor=floor)
    assert v.findings is not None and v.findings.case == "prompt_short"
    assert v.best_rung == "zero_shot"
    assert "zero_shot is 15.0 pts above answering 'even' every time" in v.answer


def test_over_budget_never_offers_a_cheaper_rung_the_constant_matches() -> None:
    from shouldtune.rung_settings import Forgetting
    from shouldtune.spec import ForgettingBudget

    lora = rung("lora", 0.94, 0.84, 0.98)
    lora.settings.forgetting = Forgetting(
        probe_base=0.65, probe_tuned=0.10, n_probe=20, kl_mean=0.9, summary="heavy"
    )
    floor = Floor(pairs=[vs_constant("few_shot", 0.02, 0.6), vs_constant("lora", 0.5, 1e-6)])
    v = decide(
        [rung("few_shot", 0.45, 0.36, 0.54), lora],
        bar=0.8,
        prompt_fraction=0.8,
        enough_data=True,
        n_usable=200,
        min_examples=50,
        comparisons=[beats("few_shot", "lora", 0.5, 1e-6)],
        budget=ForgettingBudget(max_probe_drop=10),
        baseline=floor,
    )
    assert v.findings is not None and v.findings.case == "lora_over_budget"
    assert "The best option measured that keeps within the budget" not in v.answer
    assert "none of them is an option" in v.answer


def test_a_rung_shown_worse_than_the_constant_is_called_worse() -> None:
    from shouldtune.decide_words import no_better
    from shouldtune.findings import BaselineFinding, FloorPair

    floor = BaselineFinding(
        constant="{}",
        how="per_field",
        n=36,
        score=Interval(point=0.61, low=0.58, high=0.63, method="bootstrap"),
        pairs=[
            FloorPair(
                rung="zero_shot", gain=-0.611, p_value=0.001, method="boot", n=36, beats=False
            ),
            FloorPair(rung="few_shot", gain=0.02, p_value=0.6, method="boot", n=36, beats=False),
        ],
    )
    assert no_better("zero_shot", floor).startswith("worse than answering '{}' every time")
    assert "(zero_shot -61.1 pts against it" in no_better("zero_shot", floor)
    assert no_better("few_shot", floor).startswith("no better than answering")

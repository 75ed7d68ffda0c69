"""What NOT_ENOUGH_DATA and INCONCLUSIVE say about more examples, from the learning curve."""

from __future__ import annotations

import math

from shouldtune.analysis.learning_curve import LearningCurve, fit_learning_curve
from shouldtune.decide import Verdict, decide
from shouldtune.records import RungResult
from tests.analysis.test_learning_curve import simulate
from tests.test_decide import rung


def with_curve(result: RungResult, curve: LearningCurve) -> RungResult:
    result.settings.learning_curve = curve
    return result


def straddling(curve: LearningCurve, *, enough: bool = True) -> Verdict:
    # 64% [50%, 76%] against 0.8 x 0.8 = 64%: the prompt straddles, INCONCLUSIVE.
    return decide(
        [with_curve(rung("few_shot", 0.64, 0.5, 0.76), curve)],
        bar=0.8,
        prompt_fraction=0.8,
        enough_data=enough,
        n_usable=80 if enough else 20,
        min_examples=50,
    )


def rising(n: float) -> float:
    return 0.95 - 3.0 / math.sqrt(n)


def test_a_curve_that_clears_the_bar_says_how_many_examples() -> None:
    curve = fit_learning_curve(simulate(rising, (100, 200, 400), 1000, 3), bar=0.8, seed=3)
    needed = curve.examples_needed
    assert needed is not None and needed.n is not None
    v = straddling(curve)
    assert v.kind == "INCONCLUSIVE" and v.findings is not None
    found = v.findings.learning_curve
    assert found is not None and found.rung == "few_shot" and found.n_train == 400
    assert f"About {needed.n} train examples would put few_shot's interval above" in v.answer
    assert f"range {needed.low}-{needed.high}" in v.answer
    assert any(r.startswith("learning curve: About") for r in v.reasons)


def test_a_curve_that_flattens_below_the_bar_says_more_examples_are_unlikely_to_help() -> None:
    curve = fit_learning_curve(simulate(rising, (100, 200, 400), 1000, 3), bar=0.99, seed=3)
    assert curve.examples_needed is not None and curve.examples_needed.low is None
    v = straddling(curve)
    assert "More examples are unlikely to bring few_shot to your bar 99%" in v.answer
    four = curve.projections[-1]
    assert f"it projects {four.score.fmt()} at {four.n_train} examples (now 400)" in v.answer


def test_a_plateau_wholly_below_the_bar_is_quoted() -> None:
    def settling(n: float) -> float:  # most of its rise already behind it at 400
        return 0.7 - 2000.0 / n**2

    curve = fit_learning_curve(simulate(settling, (100, 200, 400), 1000, 0), bar=0.9)
    assert curve.plateau is not None and curve.plateau.high < 0.9
    v = straddling(curve)
    assert f"the curve flattens at {curve.plateau.fmt()}" in v.answer


def test_a_curve_that_projects_nothing_says_why_in_one_clause() -> None:
    flat = fit_learning_curve(simulate(lambda _: 0.64, (20, 40, 80), 300, 0), bar=0.8)
    assert flat.status == "flat" and flat.reason is not None
    v = straddling(flat, enough=False)
    assert v.kind == "NOT_ENOUGH_DATA"
    assert f"few_shot's learning curve projects nothing: {flat.reason}." in v.answer


def test_a_settled_verdict_says_nothing_of_the_curve() -> None:
    curve = fit_learning_curve(simulate(rising, (100, 200, 400), 1000, 3), bar=0.8, seed=3)
    v = decide(
        [with_curve(rung("few_shot", 0.92, 0.86, 0.96), curve)],
        bar=0.8,
        prompt_fraction=0.8,
        enough_data=True,
        n_usable=80,
        min_examples=50,
    )
    assert v.kind == "PROMPT"
    assert v.findings is not None and v.findings.learning_curve is not None  # kept as data
    assert "learning curve" not in v.answer and "train examples would" not in v.answer


def test_without_a_curve_the_words_are_unchanged() -> None:
    plain = decide(
        [rung("few_shot", 0.64, 0.5, 0.76)],
        bar=0.8,
        prompt_fraction=0.8,
        enough_data=True,
        n_usable=80,
        min_examples=50,
    )
    assert plain.findings is not None and plain.findings.learning_curve is None
    assert "learning curve" not in plain.answer

"""The RAG branch of the decision (question 2), from constructed rung results."""

from __future__ import annotations

from typing import Any

from shouldtune.decide import Verdict, decide
from shouldtune.records import Comparison, Interval, RungResult


def rung(
    name: str, point: float, low: float, high: float, n: int = 50, **settings: Any
) -> RungResult:
    return RungResult(
        rung=name,
        n=n,
        score=Interval(point=point, low=low, high=high, method="wilson"),
        pass_rate=point,
        mean_latency_s=0.1,
        mean_prompt_tokens=100,
        mean_completion_tokens=5,
        computed_calls=n,
        cached_calls=0,
        wall_s=1.0,
        settings=settings,
    )


def rag(
    point: float, low: float, high: float, *, in_context: float, retrieval: int, reading: int
) -> RungResult:
    return rung(
        "rag",
        point,
        low,
        high,
        retrieval={
            "answer_in_context": in_context,
            "failures": {"retrieval": retrieval, "reading": reading},
            "recall_at_k": None,
            "top_k": 4,
        },
    )


def mcnemar(a: str, b: str, a_only: int, b_only: int, p: float, n: int = 50) -> Comparison:
    return Comparison(
        a=a,
        b=b,
        method="mcnemar",
        n=n,
        diff=(b_only - a_only) / n,
        p_value=p,
        a_only=a_only,
        b_only=b_only,
    )


def verdict(*results: RungResult, comparisons: list[Comparison], bar: float = 0.8) -> Verdict:
    return decide(
        list(results),
        bar=bar,
        prompt_fraction=0.8,
        enough_data=True,
        n_usable=100,
        min_examples=50,
        comparisons=comparisons,
    )


ZERO = rung("zero_shot", 0.05, 0.01, 0.16)
FEW = rung("few_shot", 0.10, 0.04, 0.21)


def test_rag_meets_the_bar_and_beats_the_best_prompt() -> None:
    good = rag(0.92, 0.81, 0.97, in_context=0.96, retrieval=2, reading=2)
    v = verdict(ZERO, FEW, good, comparisons=[mcnemar("few_shot", "rag", 1, 42, 1e-11)])
    assert v.kind == "RAG"
    assert v.question == "2. knowledge"
    assert v.best_rung == "rag"
    assert "meets the bar" in v.headline and "few_shot" in v.headline
    assert any("whole 95% interval is at or above the bar 80%" in r for r in v.reasons)
    assert "Use retrieval (RAG)" in v.answer
    assert "of the 4 wrong answers, 2 lacked it (retrieval) and 2 had it (reading)" in v.reasons[2]
    assert v.gap is not None and abs(v.gap - 0.12) < 1e-9


def test_rag_within_reach_is_still_rag_with_iterate_advice() -> None:
    # bar 0.8 -> threshold 0.64: low 0.66 clears it, 0.76 < the bar.
    near = rag(0.76, 0.66, 0.84, in_context=0.9, retrieval=3, reading=9)
    v = verdict(ZERO, FEW, near, comparisons=[mcnemar("few_shot", "rag", 2, 35, 1e-8)])
    assert v.kind == "RAG"
    assert "within reach" in v.headline
    assert "iterate on retrieval" in v.answer


def test_the_comparison_is_read_in_either_order() -> None:
    good = rag(0.92, 0.81, 0.97, in_context=0.96, retrieval=2, reading=2)
    flipped = mcnemar("rag", "few_shot", 42, 1, 1e-11)  # diff is few_shot minus rag
    assert verdict(ZERO, FEW, good, comparisons=[flipped]).kind == "RAG"


def test_rag_above_threshold_but_not_shown_better_is_inconclusive() -> None:
    prompt = rung("few_shot", 0.62, 0.48, 0.74)  # straddles 0.64
    good = rag(0.72, 0.65, 0.85, in_context=0.9, retrieval=5, reading=9)
    v = verdict(prompt, good, comparisons=[mcnemar("few_shot", "rag", 4, 9, 0.27)])
    assert v.kind == "INCONCLUSIVE"
    assert "not shown better than few_shot" in v.headline
    assert v.examples_needed is not None and v.examples_needed > 0
    assert str(v.examples_needed) in v.answer


def test_rag_without_a_paired_comparison_is_never_rag() -> None:
    good = rag(0.92, 0.81, 0.97, in_context=0.96, retrieval=2, reading=2)
    v = verdict(ZERO, FEW, good, comparisons=[])
    assert v.kind == "INCONCLUSIVE"
    assert any("no paired comparison" in r for r in v.reasons)


def test_a_worse_rag_never_wins_on_a_significant_test() -> None:
    good = rag(0.92, 0.81, 0.97, in_context=0.96, retrieval=2, reading=2)
    worse_than_prompt = mcnemar("few_shot", "rag", 30, 2, 1e-6)  # rag loses the pairs
    assert verdict(ZERO, FEW, good, comparisons=[worse_than_prompt]).kind != "RAG"


def test_rag_straddling_the_threshold_asks_for_more_examples() -> None:
    unsure = rag(0.6, 0.46, 0.73, in_context=0.9, retrieval=4, reading=16)
    v = verdict(ZERO, FEW, unsure, comparisons=[mcnemar("few_shot", "rag", 1, 26, 1e-7)])
    assert v.kind == "INCONCLUSIVE"
    assert "rag" in v.headline and "straddles" in v.headline
    assert v.examples_needed is not None and str(v.examples_needed) in v.answer
    assert any("reading failure" in r for r in v.reasons)


def test_rag_falling_short_on_retrieval_says_so() -> None:
    weak = rag(0.2, 0.11, 0.33, in_context=0.24, retrieval=36, reading=4)
    v = verdict(ZERO, FEW, weak, comparisons=[mcnemar("few_shot", "rag", 3, 8, 0.23)])
    assert v.kind == "INCONCLUSIVE"
    assert v.question == "1. prompt"
    assert any("mostly a retrieval failure" in r for r in v.reasons)
    assert any("only 24%" in r for r in v.reasons)
    assert "Retrieval was measured and does not close it" in v.answer
    assert "Whether fine-tuning closes the gap has not been measured" in v.answer
    assert "RAG and fine-tune rungs were not run" not in v.answer


def test_rag_falling_short_on_reading_says_so() -> None:
    weak = rag(0.3, 0.19, 0.44, in_context=0.92, retrieval=4, reading=31)
    v = verdict(ZERO, FEW, weak, comparisons=[mcnemar("few_shot", "rag", 2, 12, 0.01)])
    assert v.kind == "INCONCLUSIVE"
    reason = next(r for r in v.reasons if "reading failure" in r)
    assert "92%" in reason and "31 of the 35 wrong answers" in reason


def test_a_prompt_that_meets_the_bar_still_wins_over_rag() -> None:
    prompt = rung("few_shot", 0.9, 0.82, 0.95)
    good = rag(0.95, 0.87, 0.98, in_context=1.0, retrieval=0, reading=2)
    v = verdict(prompt, good, comparisons=[mcnemar("few_shot", "rag", 1, 3, 0.62)])
    assert v.kind == "PROMPT"
    assert any(r.startswith("rag: 95.0%") for r in v.reasons)  # still in the table


def test_graded_support_is_worded_as_content_recall_with_its_threshold() -> None:
    graded = rung(
        "rag",
        0.2,
        0.1,
        0.3,
        retrieval={
            "answer_in_context": 0.7,
            "answer_in_context_n": 50,
            "n": 50,
            "failures": {"retrieval": 10, "reading": 30},
            "recall_at_k": None,
            "top_k": 4,
            "measure": "content_recall",
            "support_threshold": 0.6,
            "mean_content_recall": 0.66,
        },
    )
    v = verdict(rung("zero_shot", 0.1, 0.05, 0.2), graded, comparisons=[])
    text = " ".join(v.reasons)
    assert "mostly a reading failure" in text
    assert "held at least 60% of the expected answer's content words" in text
    assert "66% on average" in text


def test_unmeasurable_support_says_cannot_tell_not_zero() -> None:
    unknown = rung(
        "rag",
        0.2,
        0.1,
        0.3,
        retrieval={
            "answer_in_context": None,
            "answer_in_context_n": 0,
            "n": 50,
            "failures": {"retrieval": 0, "reading": 0},
            "recall_at_k": None,
            "top_k": 4,
        },
    )
    v = verdict(rung("zero_shot", 0.1, 0.05, 0.2), unknown, comparisons=[])
    said = next(r for r in v.reasons if "retrieval or reading" in r)
    assert "cannot tell" in said and "%" not in said

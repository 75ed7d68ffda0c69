"""Every branch of the decision, asserted on its findings (the data), not on its sentences."""

from __future__ import annotations

from typing import Any

import pytest

from shouldtune.analysis.failures import CategoryCount, Confusion, FailureSummary
from shouldtune.analysis.reproducibility import Reproducibility
from shouldtune.analysis.stats import wilson
from shouldtune.decide import decide, decide_findings, pattern_call, routes_of, verdict_of
from shouldtune.findings import Findings
from shouldtune.records import Comparison, Interval, RungResult
from tests.fakes import search_record


def rung(name: str, point: float, low: float, high: float, **settings: Any) -> RungResult:
    return RungResult(
        rung=name,
        n=50,
        score=Interval(point=point, low=low, high=high, method="wilson"),
        pass_rate=point,
        mean_latency_s=0.1,
        mean_prompt_tokens=100,
        mean_completion_tokens=5,
        computed_calls=50,
        cached_calls=0,
        wall_s=1.0,
        settings=settings,
    )


def paired(a: str, b: str, a_only: int, b_only: int, p: float) -> Comparison:
    diff = (b_only - a_only) / 50
    return Comparison(
        a=a, b=b, method="mcnemar", n=50, diff=diff, p_value=p, a_only=a_only, b_only=b_only
    )


def found(
    *results: RungResult, comparisons: tuple[Comparison, ...] = (), enough: bool = True
) -> Findings:
    return decide_findings(
        list(results),
        bar=0.8,
        prompt_fraction=0.8,
        enough_data=enough,
        n_usable=100 if enough else 20,
        min_examples=50,
        comparisons=comparisons,
    )


RETRIEVAL = {
    "answer_in_context": 0.24,
    "failures": {"retrieval": 36, "reading": 4},
    "recall_at_k": 0.3,
    "top_k": 4,
}
ZERO = rung("zero_shot", 0.2, 0.1, 0.3)
FEW = rung("few_shot", 0.4, 0.3, 0.5)
GOOD_LORA = rung("lora", 0.94, 0.84, 0.98)


def test_not_enough_data() -> None:
    f = found(rung("few_shot", 0.95, 0.85, 0.99), enough=False)
    assert (f.case, f.kind, f.question) == ("not_enough_data", "NOT_ENOUGH_DATA", "0. pre-check")
    assert (f.n_usable, f.min_examples, f.rung, f.threshold) == (20, 50, "few_shot", None)


def test_nothing_run() -> None:
    f = found()
    assert (f.case, f.kind, f.rung, f.scores) == ("nothing_run", "INCONCLUSIVE", None, [])


def test_prompt_meets_the_bar() -> None:
    f = found(ZERO, rung("few_shot", 0.9, 0.82, 0.95, prompt_file="p.txt"))
    assert (f.case, f.kind, f.rung, f.prompt_file) == (
        "prompt_meets_bar",
        "PROMPT",
        "few_shot",
        "p.txt",
    )
    assert f.threshold is not None
    assert (f.threshold.held_to, f.threshold.value, f.threshold.position) == ("bar", 0.8, "above")
    assert [s.rung for s in f.scores] == ["zero_shot", "few_shot"]


def test_prompt_within_reach_is_held_to_the_fraction_of_the_bar() -> None:
    f = found(rung("few_shot", 0.75, 0.66, 0.83))
    assert (f.case, f.kind) == ("prompt_within_reach", "PROMPT")
    assert f.threshold is not None and f.threshold.held_to == "prompt_fraction"
    assert f.threshold.value == pytest.approx(0.64)
    assert f.gap == pytest.approx(0.75 - 0.8)  # the gap is to the bar itself


def test_prompt_short_lists_what_was_not_run() -> None:
    f = found(ZERO, FEW)
    assert (f.case, f.kind, f.rung, f.not_run) == (
        "prompt_short",
        "INCONCLUSIVE",
        "few_shot",
        ["rag", "lora"],
    )
    assert f.threshold is not None and f.threshold.position == "below"


def test_prompt_straddles_with_examples_needed() -> None:
    f = found(rung("few_shot", 0.6, 0.45, 0.74))
    assert (f.case, f.kind) == ("prompt_straddles", "INCONCLUSIVE")
    assert f.threshold is not None and f.threshold.position == "straddles"
    assert f.examples_needed is not None and f.examples_needed > 0


def test_rag_wins_with_its_paired_test_and_diagnosis() -> None:
    good = rung("rag", 0.92, 0.81, 0.97, retrieval={**RETRIEVAL, "answer_in_context": 0.96})
    f = found(ZERO, FEW, good, comparisons=(paired("rag", "few_shot", 42, 1, 1e-11),))
    assert (f.case, f.kind, f.rung, f.best_prompt) == ("rag_wins", "RAG", "rag", "few_shot")
    assert f.threshold is not None and f.threshold.held_to == "bar"
    assert f.paired is not None
    assert (f.paired.a, f.paired.b, f.paired.better) == ("few_shot", "rag", True)
    assert f.paired.gain == pytest.approx(41 / 50)  # read the right way round
    assert f.rag is not None and f.rag.answer_in_context == 0.96 and f.rag.top_k == 4


def test_rag_not_shown_better() -> None:
    good = rung("rag", 0.72, 0.65, 0.85, retrieval=RETRIEVAL)
    prompt = rung("few_shot", 0.62, 0.48, 0.74)
    f = found(prompt, good, comparisons=(paired("few_shot", "rag", 4, 9, 0.27),))
    assert (f.case, f.kind, f.rung) == ("rag_not_shown_better", "INCONCLUSIVE", "rag")
    assert f.paired is not None and not f.paired.better and f.paired.p_value == 0.27
    assert f.examples_needed is not None and f.examples_needed > 0


def test_rag_straddles() -> None:
    unsure = rung("rag", 0.6, 0.46, 0.73, retrieval=RETRIEVAL)
    f = found(ZERO, FEW, unsure, comparisons=(paired("few_shot", "rag", 1, 26, 1e-7),))
    assert (f.case, f.rung) == ("rag_straddles", "rag")
    assert f.threshold is not None and f.threshold.position == "straddles"


def test_rag_falling_short_is_carried_as_its_diagnosis() -> None:
    weak = rung("rag", 0.2, 0.11, 0.33, retrieval=RETRIEVAL)
    f = found(ZERO, FEW, weak, comparisons=(paired("few_shot", "rag", 3, 8, 0.23),))
    assert (f.case, f.rag_fell_short, f.not_run) == ("prompt_short", True, ["lora"])
    assert f.rag is not None
    assert (f.rag.retrieval_failures, f.rag.reading_failures, f.rag.recall_at_k) == (36, 4, 0.3)


def test_lora_wins_against_the_best_cheaper_rung() -> None:
    searched = rung(
        "prompt_search", 0.5, 0.36, 0.64, search=search_record(tried=24, calls=600, val_size=40)
    )
    lora = rung(
        "lora", 0.94, 0.84, 0.98, training={"wall_s": 90.0}, forgetting={"summary": "KL 0.05"}
    )
    f = found(
        ZERO, FEW, searched, lora, comparisons=(paired("prompt_search", "lora", 1, 23, 1e-6),)
    )
    assert (f.case, f.kind, f.rung, f.best_cheaper) == (
        "lora_wins",
        "FINE_TUNE",
        "lora",
        "prompt_search",
    )
    assert f.search is not None and (f.search.tried, f.search.calls) == (24, 600)
    assert f.training is not None and (f.training.wall_s, f.training.forgetting) == (
        90.0,
        "KL 0.05",
    )


def test_lora_not_shown_better() -> None:
    f = found(
        ZERO,
        FEW,
        rung("lora", 0.9, 0.81, 0.95),
        comparisons=(paired("few_shot", "lora", 3, 5, 0.5),),
    )
    assert (f.case, f.kind, f.search) == ("lora_not_shown_better", "INCONCLUSIVE", None)
    assert f.examples_needed is not None and f.examples_needed > 0


def test_nothing_reaches_the_bar_names_the_closest_rung() -> None:
    lora = rung("lora", 0.6, 0.5, 0.7)
    f = found(ZERO, FEW, lora, comparisons=(paired("few_shot", "lora", 2, 12, 0.01),))
    assert (f.case, f.rung) == ("nothing_reaches_bar", "lora")
    assert f.threshold is not None and f.threshold.position == "below"
    assert f.gap == pytest.approx(0.6 - 0.8)
    assert f.paired is not None and f.paired.better


def test_lora_straddles() -> None:
    lora = rung("lora", 0.82, 0.7, 0.9)
    f = found(ZERO, FEW, lora, comparisons=(paired("few_shot", "lora", 1, 20, 1e-4),))
    assert (f.case, f.rung) == ("lora_straddles", "lora")
    assert f.threshold is not None and (f.threshold.held_to, f.threshold.position) == (
        "bar",
        "straddles",
    )


def evidence(reproducible: int, checked: int) -> tuple[FailureSummary, Reproducibility]:
    failures = FailureSummary(
        rung="few_shot",
        n=50,
        n_failed=30,
        categories=[
            CategoryCount(category="truncated", description="", count=2, share=0.1, examples=[]),
            CategoryCount(category="wrong_label", description="", count=28, share=0.9, examples=[]),
        ],
        confusions=[Confusion(expected="billing", predicted="account", count=12)],
    )
    found = Reproducibility(
        rung="few_shot",
        n_failures=30,
        n_checked=checked,
        conditions=["seed 1", "seed 2"],
        reproducible=reproducible,
        share=wilson(reproducible, checked),
        by_category=[],
        failures=[],
    )
    return failures, found


def test_the_failure_pattern_is_carried_with_its_share_and_top_category() -> None:
    failures, repro = evidence(19, 20)
    base = found(ZERO, FEW, GOOD_LORA, comparisons=(paired("few_shot", "lora", 1, 28, 1e-6),))
    v = verdict_of(base, [failures], repro)
    p = v.findings.pattern if v.findings else None
    assert p is not None and p.call == "reproducible"
    assert (p.reproducible, p.n_checked, p.share) == (19, 20, wilson(19, 20))
    # Budget cut-offs are never a pattern: the top category and its count leave them out.
    assert (p.top_category, p.top_count, p.n_counted) == ("wrong_label", 28, 28)
    assert (p.confused_expected, p.confused_predicted) == ("billing", "account")
    assert v.findings is not None and v.findings.budget is not None
    assert (v.findings.budget.rung, v.findings.budget.truncated) == ("few_shot", 2)


@pytest.mark.parametrize(
    ("reproducible", "checked", "call"),
    [(19, 20, "reproducible"), (1, 20, "not_reproducible"), (5, 10, "unclear")],
)
def test_pattern_call_against_the_one_threshold(reproducible: int, checked: int, call: str) -> None:
    assert pattern_call(wilson(reproducible, checked)) == call


def test_decide_returns_the_findings_its_words_were_written_from() -> None:
    results = [ZERO, FEW, GOOD_LORA]
    comparisons = (paired("few_shot", "lora", 1, 28, 1e-6),)
    v = decide(
        results,
        bar=0.8,
        prompt_fraction=0.8,
        enough_data=True,
        n_usable=100,
        min_examples=50,
        comparisons=comparisons,
    )
    plain = found(*results, comparisons=comparisons)
    assert v.findings == plain.model_copy(
        update={"pattern": None, "budget": None, "routes": routes_of(plain)}
    )
    assert (v.kind, v.best_rung, v.gap) == (v.findings.kind, v.findings.rung, v.findings.gap)

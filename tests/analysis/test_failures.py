"""The failure taxonomy: counts per category, examples, and the dominant confusion pairs."""

from __future__ import annotations

from typing import Any

from shouldtune.analysis.failures import EXAMPLES_PER_CATEGORY, summarize_failures
from shouldtune.records import Prediction


def pred(i: int, expected: str, output: str, passed: bool, **detail: Any) -> Prediction:
    return Prediction(
        rung="few_shot",
        example_id=f"e{i}",
        input=f"input {i}",
        expected=expected,
        output=output,
        score=1.0 if passed else 0.0,
        passed=passed,
        latency_s=0.0,
        prompt_tokens=1,
        completion_tokens=1,
        method="generate",
        detail=detail,
    )


def test_counts_categories_largest_first_with_confusions() -> None:
    predictions = [
        pred(0, "billing", "billing", True, predicted="billing"),
        *[
            pred(i, "billing", "account", False, category="wrong_label", predicted="account")
            for i in range(1, 6)
        ],
        pred(6, "refund", "account", False, category="wrong_label", predicted="account"),
        pred(7, "refund", "", False, category="empty"),
        pred(8, "refund", "blah", False, category="label_outside_set", predicted=None),
    ]
    summary = summarize_failures("few_shot", predictions)
    assert (summary.n, summary.n_failed) == (9, 8)
    assert [c.category for c in summary.categories] == [
        "wrong_label",
        "empty",
        "label_outside_set",
    ]
    assert summary.dominant == "wrong_label"
    assert summary.categories[0].count == 6
    assert summary.categories[0].share == 6 / 8
    assert len(summary.categories[0].examples) == EXAMPLES_PER_CATEGORY
    top = summary.confusions[0]
    assert (top.expected, top.predicted, top.count) == ("billing", "account", 5)
    assert "billing" in summary.describe() and "x5" in summary.describe()


def test_no_failures_and_missing_category() -> None:
    assert summarize_failures("zero_shot", [pred(0, "a", "a", True)]).dominant is None
    summary = summarize_failures("zero_shot", [pred(0, "a", "b", False)])
    assert summary.categories[0].category == "failed"
    assert summary.confusions == []

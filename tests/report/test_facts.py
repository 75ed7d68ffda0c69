"""The shared figures: rung status, failure categories, confusion, example order."""

from __future__ import annotations

import pytest

from shouldtune.records import Interval, Prediction
from shouldtune.report.facts import (
    OTHER,
    UNCATEGORISED,
    confusion,
    example_rows,
    failure_categories,
    rung_status,
    status_words,
    top_confusions,
    top_failures,
)
from shouldtune.results import RunResult
from shouldtune.rung_settings import ModelUsed


def pred(
    rung: str,
    example: str,
    expected: str,
    output: str,
    category: str | None = None,
) -> Prediction:
    passed = output == expected
    detail = {"category": category} if category else {}
    return Prediction(
        rung=rung,
        example_id=example,
        input=f"in {example}",
        expected=expected,
        output=output,
        score=float(passed),
        passed=passed,
        latency_s=0.1,
        prompt_tokens=10,
        completion_tokens=1,
        method="loglik",
        detail=detail,
    )


@pytest.mark.parametrize(
    ("low", "high", "status"),
    [(0.8, 0.9, "meets"), (0.65, 0.95, "within"), (0.5, 0.7, "uncertain"), (0.3, 0.63, "short")],
)
def test_rung_status_reads_the_whole_interval(low: float, high: float, status: str) -> None:
    score = Interval(point=(low + high) / 2, low=low, high=high, method="wilson")
    assert rung_status(score, bar=0.8, within=0.64) == status


def test_failure_categories_count_per_rung_most_frequent_first() -> None:
    preds = [
        pred("a", "1", "x", "y", "wrong_label"),
        pred("a", "2", "x", "y", "wrong_label"),
        pred("a", "3", "x", "", "empty"),
        pred("b", "1", "x", "y", "wrong_label"),
        pred("b", "2", "x", "z"),  # a failure without a category
        pred("b", "3", "x", "x"),
    ]
    found = failure_categories(["a", "b"], preds)
    assert [(c.name, c.counts) for c in found] == [
        ("wrong_label", {"a": 2, "b": 1}),
        ("empty", {"a": 1, "b": 0}),
        (UNCATEGORISED, {"a": 0, "b": 1}),
    ]
    assert found[0].text.startswith("the output names a label")
    assert found[0].example.rung == "a"
    assert top_failures(found, "b") == [("wrong_label", 1), (UNCATEGORISED, 1)]


def test_confusion_counts_and_other_column() -> None:
    preds = [
        pred("a", "1", "x", "x"),
        pred("a", "2", "x", "y"),
        pred("a", "3", "y", "y"),
        pred("a", "4", "y", "maybe"),
    ]
    matrix = confusion("a", ["x", "y"], preds)
    assert matrix.columns == ["x", "y", OTHER]
    assert matrix.counts == [[1, 1, 0], [0, 1, 1]]
    assert top_confusions(matrix) == [("x", "y", 1), ("y", OTHER, 1)]


def test_confusion_without_strays_has_no_other_column() -> None:
    matrix = confusion("a", ["x", "y"], [pred("a", "1", "x", "y")])
    assert matrix.columns == ["x", "y"]


def test_example_rows_put_the_most_failed_first_then_test_order(
    label_run_result: RunResult,
) -> None:
    order = label_run_result.split.test_ids
    preds = [
        pred("a", order[0], "x", "x"),
        pred("b", order[0], "x", "x"),
        pred("a", order[1], "x", "y"),
        pred("b", order[1], "x", "x"),
        pred("a", order[2], "x", "y"),
        pred("b", order[2], "x", "y"),
    ]
    rows = example_rows(label_run_result, preds)
    assert [r.id for r in rows] == [order[2], order[1], order[0]]
    assert [r.n_failed for r in rows] == [2, 1, 0]
    assert rows[0].cells["a"].category == UNCATEGORISED
    assert rows[2].cells["a"].category is None


def test_rung_models_named_only_when_the_rungs_differ(label_run_result: RunResult) -> None:
    from shouldtune.report.facts import rung_models

    assert rung_models(label_run_result) is None  # one model answered every rung
    first, second = label_run_result.rungs[:2]
    tuned = second.model_copy(
        update={
            "settings": second.settings.model_copy(
                update={"model": ModelUsed(name="student+lora", backend="hf")}
            )
        }
    )
    mixed = label_run_result.model_copy(update={"rungs": [first, tuned]})
    assert rung_models(mixed) == [label_run_result.model.name, "student+lora"]


def test_within_reach_is_said_only_of_a_score_below_the_bar() -> None:
    below = Interval(point=0.75, low=0.66, high=0.82, method="wilson")
    above = Interval(point=0.956, low=0.852, high=0.988, method="wilson")
    assert status_words(rung_status(below, 0.8, 0.64), below, 0.8) == "within reach"
    assert status_words(rung_status(above, 0.9, 0.72), above, 0.9) == ("not shown to reach the bar")

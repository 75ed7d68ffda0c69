"""Hostile input, round three: label sets whose values differ only by a sign or a grade mark.

A person reads "-1", "0" and "1" as three answers and "A+", "A" and "A-" as three grades; the
label identity must keep them apart (and still merge case, spacing, quotes and '_'/'-' joins),
a declared set of them must be accepted, and scores must be the ones counted by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shouldtune.data import load_examples
from shouldtune.labels import colliding
from shouldtune.scoring import LabelScorer, label_key, parse_label
from shouldtune.spec import TaskSpec
from tests.hostile import label_rows, write_jsonl

DISTINCT = [
    ["-1", "0", "1"],
    ["A+", "A", "A-"],
    ["B+", "B-"],
    ["+1", "-1"],
    ["-", "+"],
    ["C++", "C"],
    ["-2", "2", "-20", "20"],
    ["x²", "x2"],
    ["H₂O", "H2O"],
    ["m³", "m3", "m"],
]


@pytest.mark.parametrize("labels", DISTINCT, ids=lambda labels: "/".join(labels))
def test_signs_and_grade_marks_are_distinct_labels(labels: list[str]) -> None:
    assert len({label_key(label) for label in labels}) == len(labels)
    assert colliding(labels) == []


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Yes", "yes"),
        ("card_arrival", "Card Arrival"),
        ("card-arrival", "card  arrival"),
        ('"positive".', "Positive"),
        ("Ｙｅｓ", "yes"),
        ("-1", " -1 "),
        ("A+", "a+"),
        ("ﬁne", "fine"),
        ("Ｘ²", "x²"),
    ],
)
def test_case_spacing_quotes_and_joins_still_merge(one: str, other: str) -> None:
    assert label_key(one) == label_key(other)


@pytest.mark.parametrize(
    ("output", "labels", "expected"),
    [
        ("-1", ["-1", "0", "1"], "-1"),
        ("1", ["-1", "0", "1"], "1"),
        ("The sentiment is -1.", ["-1", "0", "1"], "-1"),
        ("A-", ["A+", "A", "A-"], "A-"),
        ("a", ["A+", "A", "A-"], "A"),
        ("Grade: A+", ["A+", "A", "A-"], "A+"),
        ("A- because it is close", ["A+", "A", "A-"], "A-"),
    ],
)
def test_output_names_the_label_a_person_reads(
    output: str, labels: list[str], expected: str
) -> None:
    assert parse_label(output, labels) == expected


def test_sign_label_set_scores_as_counted_by_hand() -> None:
    scorer = LabelScorer(("-1", "0", "1"))
    pairs = [("-1", "-1"), ("1", "-1"), ("-1", "1"), ("1", "1"), ("0", "0"), ("0", "-1")]
    scores = [scorer.score(output, gold).value for output, gold in pairs]
    assert scores == [1.0, 0.0, 0.0, 1.0, 1.0, 0.0]  # 3 of 6 right, counted by hand


@pytest.mark.parametrize("labels", [["-1", "0", "1"], ["A+", "A", "A-"]])
def test_declared_sign_and_grade_sets_are_accepted_and_kept_apart(
    tmp_path: Path, labels: list[str]
) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", label_rows(labels, n=30))
    spec = TaskSpec(data=data, input="text", expected="label", labels=labels)
    examples = load_examples(spec)
    assert sorted({ex.expected for ex in examples}) == sorted(labels)
    assert sum(ex.expected == labels[0] for ex in examples) == 10


def test_inferred_sign_set_keeps_three_labels(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", label_rows(["-1", "0", "1"], n=30))
    spec = TaskSpec(data=data, input="text", expected="label")
    assert sorted({ex.expected for ex in load_examples(spec)}) == ["-1", "0", "1"]

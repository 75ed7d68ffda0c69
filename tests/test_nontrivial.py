"""The score on the non-trivial part: what a rung earns beyond what the constant earns."""

from __future__ import annotations

import json

import jsonschema
import pytest

from shouldtune.baseline import measure_baseline
from shouldtune.nontrivial import nontrivial
from shouldtune.records import Example, Prediction
from shouldtune.scoring import ExactScorer, JsonScorer, Scorer

EMPTY: dict[str, list[str]] = {"PER": [], "ORG": [], "LOC": [], "MISC": []}


def ex(i: int, answer: dict[str, list[str]] | str) -> Example:
    expected = answer if isinstance(answer, str) else json.dumps(answer)
    return Example(id=f"e{i}", input=f"sentence {i}", expected=expected, line=i + 1)


def answered(
    rung: str, test: list[Example], outputs: list[str], scorer: Scorer
) -> list[Prediction]:
    """The rung's predictions as the evaluator stores them: the score's detail kept."""
    preds = []
    for e, out in zip(test, outputs, strict=True):
        s = scorer.score(out, e.expected)
        detail = {**s.detail, **({"category": s.category} if s.category else {})}
        preds.append(
            Prediction(
                rung=rung,
                example_id=e.id,
                input=e.input,
                expected=e.expected,
                output=out,
                score=s.value,
                passed=s.passed,
                latency_s=0.0,
                prompt_tokens=0,
                completion_tokens=0,
                method="generate",
                detail=detail,
            )
        )
    return preds


def test_mostly_empty_json_fields_are_named_and_left_out_of_the_second_figure() -> None:
    train = [ex(i, EMPTY) for i in range(6)] + [ex(6, {**EMPTY, "PER": ["Ann"]})]
    # One named entity per test sentence; the other three fields are empty.
    test = [
        ex(10 + i, {**EMPTY, key: [f"X{i}"]}) for i, key in enumerate(["PER", "ORG", "LOC"] * 4)
    ]
    scorer = JsonScorer()
    record, constant_preds = measure_baseline(train, test, scorer, "json", seed=0)
    assert record.score.point == pytest.approx(0.75)  # 3 of 4 fields, every time
    # A rung that copies the constant: 75% per field, and nothing on the non-trivial part.
    copier = answered("few_shot", test, [json.dumps(EMPTY)] * len(test), scorer)
    # A rung that finds the entity in half of the sentences and empties everything else.
    finder_out = [
        json.dumps(json.loads(e.expected) if i % 2 == 0 else EMPTY) for i, e in enumerate(test)
    ]
    finder = answered("lora", test, finder_out, scorer)
    found = nontrivial(
        record.constant,
        test,
        constant_preds,
        {"few_shot": copier, "lora": finder},
        scorer_name="json",
        binary=False,
        seed=0,
    )
    assert found is not None and found.unit == "fields"
    assert (found.n, found.n_units) == (len(test), len(test))  # one non-empty field each
    # MISC is always empty: the constant gets it right on every test example.
    assert found.parts[0].name == "MISC" and found.parts[0].share == 1.0
    assert {p.name for p in found.parts} == set(EMPTY)
    assert found.scores["few_shot"].point == 0.0
    assert found.scores["lora"].point == pytest.approx(0.5)
    # The per-field scores themselves sit close together: 75% against 87.5%.
    assert sum(p.score for p in finder) / len(finder) == pytest.approx(0.875)


def test_label_like_answers_keep_only_the_examples_the_constant_fails() -> None:
    train = [ex(i, "even") for i in range(3)] + [ex(3, "odd")]
    test = [ex(10, "even"), ex(11, "even"), ex(12, "odd"), ex(13, "odd")]
    scorer = ExactScorer()
    record, constant_preds = measure_baseline(train, test, scorer, "exact", seed=0)
    rung = answered("zero_shot", test, ["even", "even", "odd", "even"], scorer)
    found = nontrivial(
        record.constant,
        test,
        constant_preds,
        {"zero_shot": rung},
        scorer_name="exact",
        binary=True,
        seed=0,
    )
    assert found is not None and found.unit == "examples"
    assert [(p.name, p.share) for p in found.parts] == [("even", 0.5)]
    assert found.n == 2
    assert found.scores["zero_shot"].point == 0.5


def test_nothing_is_reported_when_the_constant_gets_nothing_right() -> None:
    train = [ex(i, "a") for i in range(3)]
    test = [ex(10, "b"), ex(11, "c")]
    record, constant_preds = measure_baseline(train, test, ExactScorer(), "exact", seed=0)
    found = nontrivial(
        record.constant, test, constant_preds, {}, scorer_name="exact", binary=True, seed=0
    )
    # Every example is non-trivial: the second figure would only repeat the first.
    assert found is None


def test_a_constant_the_scorer_gives_nothing_names_no_field() -> None:
    train = [ex(i, EMPTY) for i in range(3)]
    test = [ex(10, {**EMPTY, "PER": ["Ann"]}), ex(11, EMPTY)]
    # A schema that wants a non-empty PER list: the empty constant breaks it every time.
    schema = {"type": "object", "properties": {"PER": {"type": "array", "minItems": 1}}}
    scorer = JsonScorer(validator=jsonschema.Draft202012Validator(schema))
    record, constant_preds = measure_baseline(train, test, scorer, "json", seed=0)
    assert record.score.point == 0.0
    found = nontrivial(
        record.constant, test, constant_preds, {}, scorer_name="json", binary=False, seed=0
    )
    assert found is None

"""Every scorer, every failure category, and the label parser's edge cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shouldtune.scorer_factory import build_scorer
from shouldtune.scoring import (
    CATEGORIES,
    Score,
    Scorer,
    ScorerError,
    extract_json,
    infer_label_task,
    normalize,
    parse_label,
)
from shouldtune.spec import ScorerOptions, TaskSpec


def make(
    scorer: str,
    labels: list[str] | None = None,
    allow_python: bool = False,
    **options: Any,
) -> Scorer:
    spec = TaskSpec.model_validate(
        {"data": "examples.jsonl", "scorer": scorer, "scorer_options": ScorerOptions(**options)}
    )
    return build_scorer(spec, labels=labels, allow_python=allow_python)


# --- normalize and the generic categories ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ('  "Hello   World!"  ', "hello world"),
        ('"Positive".', "positive"),
        ("'yes.'", "yes"),
        ("ＦＵＬＬ\twidth\n", "full width"),  # NFKC folds full-width letters
        ("Straße", "strasse"),  # casefold, not lower
        ("what?", "what?"),
    ],
)
def test_normalize(text: str, normalized: str) -> None:
    assert normalize(text) == normalized


def test_score_outside_the_unit_range_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        Score(1.5, True)


def test_blank_output_is_empty() -> None:
    assert make("exact").score(" \n ", "Paris") == Score(0.0, False, "empty")


def test_blank_output_for_a_blank_expected_is_scored_on_the_merits() -> None:
    assert make("exact").score("", " ").passed


@pytest.mark.parametrize(
    "output",
    [
        "I'm sorry, but I can't help with that.",
        "I’m sorry, I cannot do that",  # typographic apostrophe
        "As an AI language model, I do not have opinions.",
        "I cannot answer that question.",
        '"I apologize, but this is not possible."',
    ],
)
def test_refusals(output: str) -> None:
    score = make("contains").score(output, "positive")
    assert (score.passed, score.category) == (False, "refusal")


def test_a_refusal_that_is_the_expected_answer_is_not_a_refusal() -> None:
    assert make("exact").score("I cannot help with that", "I cannot help with that.").passed


def test_an_apology_later_in_the_text_is_not_a_refusal() -> None:
    score = make("exact").score("He said I'm sorry", "Paris")
    assert score.category == "wrong_answer"


def test_too_long() -> None:
    score = make("contains", max_chars=5).score("Paris, France", "paris")
    assert (score.passed, score.category) == (False, "too_long")
    assert score.detail == {"chars": 13, "max_chars": 5}
    assert make("contains", max_chars=5).score("Paris\n", "paris").passed


def test_every_returned_category_is_documented() -> None:
    assert {"empty", "refusal", "too_long", "label_outside_set", "wrong_label"} <= set(CATEGORIES)


# --- exact, contains ---------------------------------------------------------------------------


def test_exact() -> None:
    scorer = make("exact")
    assert (scorer.name, scorer.binary) == ("exact", True)
    assert scorer.score('"Paris."', "paris") == Score(1.0, True)
    assert scorer.score("Paris, France", "Paris") == Score(0.0, False, "wrong_answer")


def test_contains() -> None:
    scorer = make("contains")
    assert scorer.score("The capital is  PARIS, of course", "Paris").passed
    assert scorer.score("The capital is Lyon", "Paris") == Score(0.0, False, "not_contained")


# --- label -------------------------------------------------------------------------------------

BANKING = ["card", "card_arrival", "balance"]


@pytest.mark.parametrize(
    ("output", "label"),
    [
        ("card_arrival", "card_arrival"),
        ("CARD_ARRIVAL.", "card_arrival"),
        ("Card", "card"),
        ("card arrival", "card_arrival"),  # separators differ from the label's
        ("Card-Arrival", "card_arrival"),
        ("card_arrival: the card has not arrived yet", "card_arrival"),  # longest prefix
        ("card, because they mention a card", "card"),
        ("The intent is card_arrival.", "card_arrival"),  # card only inside card_arrival
        ("The intent is card.", "card"),
        ("It is card or balance", None),  # two labels named
        ("cardboard", None),  # not a whole word
        ("no idea", None),
        ("", None),
    ],
)
def test_parse_label_with_prefix_labels(output: str, label: str | None) -> None:
    assert parse_label(output, BANKING) == label


@pytest.mark.parametrize(
    ("output", "label"),
    [
        ('"Positive".', "Positive"),
        ("NEGATIVE!", "Negative"),
        ("Sentiment: negative", "Negative"),
        ("Negative\nThe reviewer hated it.", "Negative"),
        ("It could be positive or negative", None),
        # The output starts with a label, so the later mention does not make it ambiguous.
        ("positive, not negative", "Positive"),
    ],
)
def test_parse_label_case_and_punctuation(output: str, label: str | None) -> None:
    assert parse_label(output, ["Positive", "Negative"]) == label


def test_label_scorer_categories() -> None:
    scorer = make("label", labels=BANKING)
    assert (scorer.name, scorer.binary) == ("label", True)
    assert scorer.score("Card arrival", "card_arrival") == Score(
        1.0, True, None, {"predicted": "card_arrival"}
    )
    assert scorer.score("card", "card_arrival") == Score(
        0.0, False, "wrong_label", {"predicted": "card"}
    )
    assert scorer.score("refund", "card_arrival") == Score(
        0.0, False, "label_outside_set", {"predicted": None}
    )


def test_label_scorer_falls_back_to_the_spec_labels() -> None:
    spec = TaskSpec.model_validate(
        {"data": "examples.jsonl", "scorer": "label", "labels": ["yes", "no"]}
    )
    assert build_scorer(spec, labels=None).score("No.", "no").passed


def test_label_scorer_needs_labels() -> None:
    with pytest.raises(ScorerError, match="label set"):
        make("label", labels=None)


# --- json --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"a": 1}', {"a": 1}),
        ('Here it is:\n```json\n{"a": [1, 2]}\n```\nDone.', {"a": [1, 2]}),
        ('Sure! [broken {"b": true} trailing', {"b": True}),
        ("```\n[1, 2]\n```", [1, 2]),
        ('```json\n{"cut": "off by the token limit"}', {"cut": "off by the token limit"}),
        ("no json here", None),
        ('{"a": 1', None),
    ],
)
def test_extract_json(text: str, value: object) -> None:
    assert extract_json(text) == value


def test_json_invalid() -> None:
    score = make("json").score("name: Ada", '{"name": "Ada"}')
    assert (score.value, score.passed, score.category) == (0.0, False, "invalid_json")


def test_json_field_comparison() -> None:
    scorer = make("json")
    expected = '{"name": "Ada", "age": 36}'
    assert (scorer.name, scorer.binary) == ("json", False)

    both = scorer.score('```json\n{"age": 36, "name": "Ada"}\n```', expected)
    assert (both.value, both.passed, both.category) == (1.0, True, None)

    missing = scorer.score('{"name": "Ada"}', expected)
    assert (missing.value, missing.passed, missing.category) == (0.5, False, "missing_fields")
    assert missing.detail == {"missing": ["age"], "extra": [], "wrong": []}

    wrong = scorer.score('{"name": "Ada", "age": "36", "x": 1}', expected)
    assert (wrong.value, wrong.category) == (0.5, "wrong_values")
    assert wrong.detail == {"missing": [], "extra": ["x"], "wrong": ["age"]}

    extra = scorer.score('{"name": "Ada", "age": 36.0, "x": 1}', expected)
    assert (extra.value, extra.passed, extra.category) == (1.0, False, "extra_fields")

    array = scorer.score("[1, 2]", expected)
    assert (array.value, array.category) == (0.0, "wrong_values")


def test_json_true_is_not_one() -> None:
    score = make("json").score('{"ok": 1}', '{"ok": true}')
    assert (score.value, score.category) == (0.0, "wrong_values")


def test_json_array_and_plain_text_expectations() -> None:
    scorer = make("json")
    assert scorer.score("[1, 2]", "[1, 2]").passed
    assert scorer.score("[2, 1]", "[1, 2]").category == "wrong_values"
    assert scorer.score('{"any": "thing"}', "a well-formed object").passed


def test_json_schema(tmp_path: Path) -> None:
    schema = tmp_path / "schema.json"
    schema.write_text(
        json.dumps(
            {
                "type": "object",
                "properties": {"age": {"type": "integer"}},
                "required": ["age"],
            }
        )
    )
    scorer = make("json", json_schema=schema)
    bad = scorer.score('{"age": "old"}', "ignored")
    assert (bad.passed, bad.category) == (False, "schema_violation")
    assert bad.detail == {"error": "'old' is not of type 'integer'", "path": "$.age"}
    assert scorer.score('{"age": 3}', "ignored").passed


def test_json_schema_that_is_not_a_schema(tmp_path: Path) -> None:
    schema = tmp_path / "schema.json"
    schema.write_text('{"type": 12}')
    with pytest.raises(ScorerError, match="not a valid JSON Schema"):
        make("json", json_schema=schema)
    with pytest.raises(ScorerError, match="cannot read"):
        make("json", json_schema=tmp_path / "missing.json")


# --- regex -------------------------------------------------------------------------------------


def test_regex_with_a_pattern_option() -> None:
    scorer = make("regex", pattern=r"\d{3}-\d{4}")
    assert (scorer.name, scorer.binary) == ("regex", True)
    assert scorer.score("  555-1234\n", "ignored").passed
    # fullmatch, not search: surrounding text fails
    score = scorer.score("Call 555-1234", "ignored")
    assert (score.passed, score.category) == (False, "no_match")


def test_regex_uses_the_expected_value_as_the_pattern() -> None:
    scorer = make("regex")
    assert scorer.score("colour", "colou?r").passed
    assert scorer.score("colors", "colou?r").category == "no_match"


def test_regex_compile_errors_name_the_pattern() -> None:
    with pytest.raises(ValueError, match=r"invalid pattern '\(unclosed'"):
        make("regex", pattern="(unclosed")
    with pytest.raises(ValueError, match=r"invalid pattern '\[a-'"):
        make("regex").score("a", "[a-")


# --- f1 ----------------------------------------------------------------------------------------


def test_f1() -> None:
    scorer = make("f1")
    assert (scorer.name, scorer.binary) == ("f1", False)
    # tokens [cat, sat] against [cat, sat, down]: precision 1, recall 2/3, F1 0.8
    score = scorer.score("The cat sat.", "A cat sat down")
    assert score.value == pytest.approx(0.8)
    assert score.passed and score.category is None
    # [cat] against [cat, sat, down, now]: precision 1, recall 1/4, F1 0.4
    low = scorer.score("cat", "cat sat down now")
    assert low.value == pytest.approx(0.4)
    assert (low.passed, low.category) == (False, "low_overlap")
    assert scorer.score("dog", "cat").value == 0.0


def test_f1_on_article_only_answers() -> None:
    # Both sides have no tokens left after dropping articles: they agree.
    assert make("f1").score("the", "a").value == 1.0


# --- python ------------------------------------------------------------------------------------

USER_SCORER = """
def length_ratio(output, expected):
    return min(len(output), len(expected)) / max(len(output), len(expected))

def same(output, expected):
    return output.strip() == expected.strip()

def bad(output, expected):
    return "yes"

def broken(output, expected):
    raise KeyError("oops")
"""


@pytest.fixture
def user_file(tmp_path: Path) -> Path:
    path = tmp_path / "my_scorer.py"
    path.write_text(USER_SCORER)
    return path


def test_python_scorer(user_file: Path) -> None:
    scorer = make("python", allow_python=True, function=f"{user_file}:length_ratio")
    assert (scorer.name, scorer.binary) == ("python", False)
    assert scorer.score("abcd", "abcd") == Score(1.0, True)
    assert scorer.score("ab", "abcd") == Score(0.5, True)
    assert scorer.score("a", "abcd") == Score(0.25, False, "failed")
    same = make("python", allow_python=True, function=f"{user_file}:same")
    assert same.score(" x ", "x") == Score(1.0, True)
    assert same.score("y", "x") == Score(0.0, False, "failed")


def test_python_scorer_needs_allow_python(user_file: Path) -> None:
    with pytest.raises(ScorerError, match="--allow-python"):
        make("python", function=f"{user_file}:same")


def test_python_scorer_errors(user_file: Path) -> None:
    bad = make("python", allow_python=True, function=f"{user_file}:bad")
    with pytest.raises(ScorerError, match="returned 'yes'"):
        bad.score("a", "b")
    broken = make("python", allow_python=True, function=f"{user_file}:broken")
    with pytest.raises(ScorerError, match="raised KeyError"):
        broken.score("a", "b")
    with pytest.raises(ScorerError, match="no function 'absent'"):
        make("python", allow_python=True, function=f"{user_file}:absent")
    with pytest.raises(ScorerError, match="no such file"):
        make("python", allow_python=True, function=f"{user_file.parent / 'nope.py'}:f")


def test_python_scorer_import_errors_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "syntax.py"
    path.write_text("def f(:\n")
    with pytest.raises(ScorerError, match=r"importing .* failed: SyntaxError"):
        make("python", allow_python=True, function=f"{path}:f")


# --- building and auto -------------------------------------------------------------------------


def test_auto_must_be_resolved_first() -> None:
    with pytest.raises(ScorerError, match="auto"):
        make("auto")


@pytest.mark.parametrize(
    ("values", "is_label_task"),
    [
        (["pos", "neg"] * 5, True),
        (["yes", "no"], True),  # two distinct values are always allowed
        (["a", "b", "c", "a"], False),  # 3 distinct > max(2, 0.5 * 4)
        (["a", "b", "c", "a", "b", "c"], True),  # 3 distinct <= 0.5 * 6
        (["same"] * 10, False),  # one value is not a choice
        (["x" * 65, "y"] * 5, False),  # too long for a label
        (["two\nlines", "one"] * 5, False),
        ([f"label{i}" for i in range(101)] * 3, False),  # over 100 distinct
        ([f"label{i}" for i in range(100)] * 3, True),
        ([f"answer {i}" for i in range(20)], False),  # never repeats
    ],
)
def test_infer_label_task(values: list[str], is_label_task: bool) -> None:
    assert infer_label_task(values) is is_label_task

"""Scorers: turn one model output and its expected value into a score and a failure category.

Every scorer is wrapped by `scorer_factory.build_scorer` so that the generic failures (empty,
refusal, too long) are reported the same way whatever the task, which keeps the failure
taxonomy comparable across rungs.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import numbers
import re
import string
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import jsonschema

if TYPE_CHECKING:
    pass

CATEGORIES: dict[str, str] = {
    "empty": "the output is blank",
    "refusal": "the model refused or apologised instead of answering",
    "too_long": "the output is longer than scorer_options.max_chars",
    "truncated": "the answer was cut off at max_new_tokens, a budget too small for the expected "
    "answer: our setting's failure, not the model's",
    "runaway": "the model did not stop: it ran past max_new_tokens although the budget had room "
    "for the expected answer and a quarter more",
    "call_error": "the model call failed after retries (an error row, retried next run)",
    "label_outside_set": "the output names no label of the set, or more than one",
    "wrong_label": "the output names a label of the set, but the wrong one",
    "invalid_json": "no JSON object or array could be read from the output",
    "schema_violation": "the JSON does not validate against scorer_options.json_schema",
    "missing_fields": "the JSON lacks fields the expected object has",
    "wrong_values": "the JSON has the expected fields, with other values",
    "extra_fields": "the JSON has every expected field right, plus fields not expected",
    "wrong_answer": "the normalized output differs from the expected value",
    "no_match": "the output does not fully match the pattern",
    "not_contained": "the expected value does not appear in the output",
    "low_overlap": "token F1 with the expected value is below 0.5",
    "failed": "the user's python scorer gave less than 0.5",
    "dissimilar": "the output's meaning is not close enough to the expected answer's "
    "(embedding cosine below scorer_options.threshold)",
    "judged_partial": "the judge model graded the answer partially correct",
    "judged_wrong": "the judge model graded the answer wrong",
    "judge_unreadable": "the judge model's reply named no grade",
}
"""Every failure category a scorer can return, with the sentence a report shows for it."""


class ScorerError(ValueError):
    """A scorer that cannot be built or run; the message says what to fix."""


@dataclass(frozen=True)
class Score:
    value: float
    passed: bool
    category: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 <= self.value <= 1.0:  # also rejects NaN
            raise ValueError(f"a score must lie in [0, 1], got {self.value!r}")


class Scorer(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def binary(self) -> bool:
        """True when every value is 0 or 1 (Wilson intervals), False for graded scores."""
        ...

    def score(self, output: str, expected: str) -> Score: ...


def _pass() -> Score:
    return Score(1.0, True)


def _fail(category: str, **detail: Any) -> Score:
    return Score(0.0, False, category, detail)


# --- normalization -----------------------------------------------------------------------------

_QUOTES = "\"'`“”‘’«»"
_TRAILING = ".!"
_SPACE = re.compile(r"\s+")


def _marks_kept(char: str) -> bool:
    # NFKC turns x² into x2 and H₂O into H2O: a person reads those as different values.
    return unicodedata.decomposition(char).startswith(("<super>", "<sub>"))


def _compatible(text: str) -> str:
    """NFKC (full-width letters, ligatures), except superscripts and subscripts kept as such."""
    if not any(_marks_kept(c) for c in text):
        return unicodedata.normalize("NFKC", text)
    parts: list[str] = []
    run: list[str] = []
    for char in text:
        if _marks_kept(char):
            parts += [unicodedata.normalize("NFKC", "".join(run)), char]
            run = []
        else:
            run.append(char)
    return "".join(parts) + unicodedata.normalize("NFKC", "".join(run))


def normalize(text: str) -> str:
    """NFKC (superscripts and subscripts kept), casefold, collapse whitespace, strip, drop
    surrounding quotes and a final . or !"""
    text = _SPACE.sub(" ", _compatible(text).casefold()).strip()
    # Loop because models nest them: '"Positive."' and '"positive".' both mean positive.
    while True:
        before = text
        text = text.rstrip(_TRAILING).strip()
        if len(text) >= 2 and text[0] in _QUOTES and text[-1] in _QUOTES:
            text = text[1:-1].strip()
        if text == before:
            return text


# --- generic failures --------------------------------------------------------------------------

_REFUSAL = re.compile(
    r"^(?:i'?m sorry|i am sorry|sorry, (?:but )?i|i apologi[sz]e|i cannot|i can'?t|i can not"
    r"|i'?m (?:not able|unable)|i am (?:not able|unable)|i'?m afraid i"
    r"|as an ai\b|as an? (?:large )?language model|i'?m just an ai"
    r"|i do not feel comfortable|i don'?t feel comfortable)"
)


def is_refusal(text: str) -> bool:
    """True when the text opens with a common refusal or apology phrase."""
    return _REFUSAL.match(normalize(text).replace("’", "'").lstrip(_QUOTES)) is not None


def generic_failure(output: str, expected: str, max_chars: int | None) -> Score | None:
    """The task-independent failure of an output, or None when it needs the task's scorer.

    Empty and refusal are not flagged when the expected value itself is blank or a refusal,
    so that tasks whose right answer is to decline still score on the merits. Length is
    measured on the stripped output: a trailing newline is not the model's fault.
    """
    stripped = output.strip()
    if not stripped and expected.strip():
        return _fail("empty")
    if is_refusal(stripped) and not is_refusal(expected):
        return _fail("refusal")
    if max_chars is not None and len(stripped) > max_chars:
        return _fail("too_long", chars=len(stripped), max_chars=max_chars)
    return None


@dataclass(frozen=True)
class _Checked:
    """A scorer behind the generic checks; composition keeps the scorers themselves flat."""

    inner: Scorer
    max_chars: int | None

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def binary(self) -> bool:
        return self.inner.binary

    def score(self, output: str, expected: str) -> Score:
        failure = generic_failure(output, expected, self.max_chars)
        return failure if failure is not None else self.inner.score(output, expected)


def scorer_settings(scorer: Scorer) -> dict[str, Any]:
    """What a scorer that depends on a model says about itself (embedder, judge, prompt)."""
    inner = scorer.inner if isinstance(scorer, _Checked) else scorer
    settings = getattr(inner, "settings", None)
    return {"name": scorer.name, **settings} if isinstance(settings, dict) else {}


# --- exact, contains ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ExactScorer:
    name = "exact"
    binary = True

    def score(self, output: str, expected: str) -> Score:
        if normalize(output) == normalize(expected):
            return _pass()
        return _fail("wrong_answer")


@dataclass(frozen=True)
class ContainsScorer:
    name = "contains"
    binary = True

    def score(self, output: str, expected: str) -> Score:
        if normalize(expected) in normalize(output):
            return _pass()
        return _fail("not_contained")


# --- label -------------------------------------------------------------------------------------

# A run of '_' or '-' joins two words only between letters or digits: "card_arrival",
# "card-arrival" and "card arrival" are one label, but a sign or a grade mark is part of the
# value a person reads ("-1" is not "1", "A-" and "A+" are not "A").
_JOINERS = re.compile(r"(?<=[^\W_])[_\-]+(?=[^\W_])")
_SPACES = re.compile(r"\s+")


def _label_key(text: str) -> str:
    # Models write "card_arrival" as "card arrival" or "Card-Arrival"; one spelling for all.
    return _SPACES.sub(" ", _JOINERS.sub(" ", normalize(text))).strip()


label_key = _label_key  # public: shouldtune.labels groups expected values by it


def _ends_at_boundary(text: str, end: int) -> bool:
    return end == len(text) or not (text[end].isalnum() or text[end] == "_")


def _unique(found: set[str]) -> str | None:
    return next(iter(found)) if len(found) == 1 else None


def parse_label(output: str, labels: list[str]) -> str | None:
    """The one label the output names, or None when it names none or several.

    In order: the whole output equals a label (normalized); else the output starts with a
    label, the longest one winning so that "card_arrival ..." is not read as "card"; else
    exactly one label appears as a whole word, not counting a label found only inside a longer
    label's mention.
    """
    normalized = normalize(output)
    found = {label for label in labels if normalize(label) == normalized}
    if found:
        return _unique(found)
    text = _label_key(output)
    keys = {label: _label_key(label) for label in labels}
    found = {label for label, key in keys.items() if key and key == text}
    if found:
        return _unique(found)

    prefixes = [
        (len(key), label)
        for label, key in keys.items()
        if key and text.startswith(key) and _ends_at_boundary(text, len(key))
    ]
    if prefixes:
        longest = max(length for length, _ in prefixes)
        return _unique({label for length, label in prefixes if length == longest})

    spans: list[tuple[int, int, str]] = []
    for label, key in keys.items():
        if key:
            pattern = re.compile(rf"(?<![\w]){re.escape(key)}(?![\w])")
            spans.extend((m.start(), m.end(), label) for m in pattern.finditer(text))
    standalone = {
        label
        for start, end, label in spans
        if not any(
            other != label and s <= start and end <= e and e - s > end - start
            for s, e, other in spans
        )
    }
    return _unique(standalone)


@dataclass(frozen=True)
class LabelScorer:
    labels: tuple[str, ...]
    name = "label"
    binary = True

    def score(self, output: str, expected: str) -> Score:
        predicted = parse_label(output, list(self.labels))
        if predicted is None:
            return _fail("label_outside_set", predicted=None)
        if normalize(predicted) != normalize(expected):
            return _fail("wrong_label", predicted=predicted)
        return Score(1.0, True, None, {"predicted": predicted})


# --- json --------------------------------------------------------------------------------------

_FENCE = re.compile(r"```[ \t]*(?:json)?[ \t]*\n?(.*?)```", re.DOTALL | re.IGNORECASE)
_MAX_STARTS = 200  # bounds the work on long, JSON-free outputs


def _first_json(text: str) -> dict[str, Any] | list[Any] | None:
    decoder = json.JSONDecoder()
    starts = [i for i, ch in enumerate(text) if ch in "{["][:_MAX_STARTS]
    for start in starts:
        try:
            value, _ = decoder.raw_decode(text, start)
        except (json.JSONDecodeError, RecursionError):
            # A degenerate output ("[[[[..." thousands deep) is invalid JSON, not a crash.
            continue
        if isinstance(value, dict | list):
            return value
    return None


def extract_json(text: str) -> dict[str, Any] | list[Any] | None:
    """The first JSON object or array in the text, looking inside ``` fences first."""
    for fenced in _FENCE.findall(text):
        value = _first_json(fenced)
        if value is not None:
            return value
    return _first_json(text)


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: unlike Python's ==, true is not 1 and "1" is not 1; 1 and 1.0 are equal."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


def _load_schema(path: Path) -> Any:
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ScorerError(f"scorer_options.json_schema: cannot read {path}: {error}") from None
    cls = jsonschema.validators.validator_for(schema)
    try:
        cls.check_schema(schema)
    except jsonschema.exceptions.SchemaError as error:
        raise ScorerError(f"{path}: not a valid JSON Schema: {error.message}") from None
    return cls(schema)


def _compare_fields(value: Any, expected: dict[str, Any]) -> Score:
    if not isinstance(value, dict):
        return _fail("wrong_values", reason=f"expected a JSON object, got {type(value).__name__}")
    missing = [key for key in expected if key not in value]
    extra = [key for key in value if key not in expected]
    wrong = [key for key in expected if key in value and not json_equal(value[key], expected[key])]
    matched = len(expected) - len(missing) - len(wrong)
    share = matched / len(expected) if expected else 1.0
    detail = {"missing": missing, "extra": extra, "wrong": wrong}
    # Missing fields are a format failure, wrong values a content one: format is reported first.
    if missing:
        return Score(share, False, "missing_fields", detail)
    if wrong:
        return Score(share, False, "wrong_values", detail)
    if extra:
        return Score(share, False, "extra_fields", detail)
    return Score(share, True, None, detail)


@dataclass(frozen=True)
class JsonScorer:
    """Valid JSON, valid against the schema if one is set, and per-field against an object.

    When the expected value is a JSON object the score is the share of its top-level fields
    the output matches; when it is an array the whole value must be equal; otherwise (plain
    text, a JSON scalar) only validity and the schema count.
    """

    validator: Any = None
    name = "json"
    binary = False

    def score(self, output: str, expected: str) -> Score:
        try:
            value = extract_json(output)
            return self._score(value, expected)
        except RecursionError:  # nested too deep for the schema check or the comparison
            return _fail("invalid_json")

    def _score(self, value: dict[str, Any] | list[Any] | None, expected: str) -> Score:
        if value is None:
            return _fail("invalid_json")
        if self.validator is not None:
            error = jsonschema.exceptions.best_match(self.validator.iter_errors(value))
            if error is not None:
                return _fail("schema_violation", error=error.message, path=error.json_path)
        try:
            wanted = json.loads(expected)
        except json.JSONDecodeError:
            return _pass()
        if isinstance(wanted, dict):
            return _compare_fields(value, wanted)
        if isinstance(wanted, list):
            return _pass() if json_equal(value, wanted) else _fail("wrong_values")
        return _pass()


# --- regex -------------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as error:
        raise ScorerError(f"regex scorer: invalid pattern {pattern!r}: {error}") from None


@dataclass(frozen=True)
class RegexScorer:
    """The whole stripped output must match the pattern, or the expected value as a pattern."""

    pattern: str | None = None
    name = "regex"
    binary = True

    def __post_init__(self) -> None:
        if self.pattern is not None:
            _compile(self.pattern)  # a bad pattern fails when the scorer is built, not mid-run

    def score(self, output: str, expected: str) -> Score:
        pattern = self.pattern if self.pattern is not None else expected
        if _compile(pattern).fullmatch(output.strip()):
            return _pass()
        return _fail("no_match", pattern=pattern)


# --- f1 ----------------------------------------------------------------------------------------

_ARTICLES = frozenset({"a", "an", "the"})


def f1_tokens(text: str) -> list[str]:
    """SQuAD-style answer tokens: normalized, punctuation removed, articles dropped."""
    kept = "".join(
        ch
        for ch in normalize(text)
        if ch not in string.punctuation and not unicodedata.category(ch).startswith("P")
    )
    return [token for token in kept.split() if token not in _ARTICLES]


@dataclass(frozen=True)
class F1Scorer:
    name = "f1"
    binary = False

    def score(self, output: str, expected: str) -> Score:
        predicted, gold = f1_tokens(output), f1_tokens(expected)
        if not predicted or not gold:
            value = 1.0 if predicted == gold else 0.0
            return Score(value, value >= 0.5, None if value else "low_overlap")
        common = sum((Counter(predicted) & Counter(gold)).values())
        precision = common / len(predicted)
        recall = common / len(gold)
        f1 = 0.0 if common == 0 else 2 * precision * recall / (precision + recall)
        detail = {"precision": precision, "recall": recall}
        return Score(f1, f1 >= 0.5, None if f1 >= 0.5 else "low_overlap", detail)


# --- python ------------------------------------------------------------------------------------


def load_function(reference: str) -> Callable[[str, str], object]:
    """Import the function named by 'path/to/file.py:function' from that file."""
    path_text, sep, function_name = reference.rpartition(":")
    if not sep or not path_text or not function_name:
        raise ScorerError(
            f"scorer_options.function must look like 'path/to/file.py:function', got {reference!r}"
        )
    path = Path(path_text)
    if not path.is_file():
        raise ScorerError(f"python scorer: no such file: {path}")
    # A name per file, so that two scorer files never replace each other in sys.modules.
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    module_name = f"_shouldtune_user_scorer_{digest}"
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    if module_spec is None or module_spec.loader is None:
        raise ScorerError(f"python scorer: cannot import {path} (is it a .py file?)")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_name] = module
    try:
        module_spec.loader.exec_module(module)
    except Exception as error:
        del sys.modules[module_name]
        raise ScorerError(
            f"python scorer: importing {path} failed: {type(error).__name__}: {error}"
        ) from error
    function = getattr(module, function_name, None)
    if not callable(function):
        raise ScorerError(f"python scorer: {path} has no function {function_name!r}")
    return function  # type: ignore[no-any-return]


@dataclass(frozen=True)
class PythonScorer:
    """The user's function gives a float in [0, 1] or a bool; 0.5 and above passes."""

    function: Callable[[str, str], object]
    reference: str
    name = "python"
    binary = False

    def score(self, output: str, expected: str) -> Score:
        try:
            result = self.function(output, expected)
        except Exception as error:
            raise ScorerError(
                f"python scorer {self.reference} raised {type(error).__name__}: {error}"
            ) from error
        # bool is a numbers.Real; NaN fails the range check.
        if isinstance(result, numbers.Real) and 0.0 <= float(result) <= 1.0:
            value = float(result)
        else:
            raise ScorerError(
                f"python scorer {self.reference} returned {result!r}; "
                "it must return a float in [0, 1] or a bool"
            )
        return Score(value, value >= 0.5, None if value >= 0.5 else "failed")


def infer_label_task(expected_values: list[str]) -> bool:
    """Whether the expected values look like a closed label set (scorer "auto").

    The heuristic: between 2 and 100 distinct values; values repeat, i.e. the distinct count
    is at most max(2, half the number of examples); and every value is a short single line
    (non-blank, at most 64 characters, no newline). Values are compared after stripping.
    """
    values = [value.strip() for value in expected_values]
    distinct = set(values)
    if not 2 <= len(distinct) <= 100:
        return False
    if len(distinct) > max(2.0, 0.5 * len(values)):
        return False
    return all(value and len(value) <= 64 and "\n" not in value for value in distinct)


__all__ = [
    "CATEGORIES",
    "ContainsScorer",
    "ExactScorer",
    "F1Scorer",
    "JsonScorer",
    "LabelScorer",
    "PythonScorer",
    "RegexScorer",
    "Score",
    "Scorer",
    "ScorerError",
    "extract_json",
    "f1_tokens",
    "generic_failure",
    "infer_label_task",
    "is_refusal",
    "json_equal",
    "load_function",
    "normalize",
    "parse_label",
    "scorer_settings",
]

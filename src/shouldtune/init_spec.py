"""`shouldtune init DATA`: a commented task.yaml guessed from an examples file.

The guesses, in order: the input and expected fields by their names (input, text,
question, ... and expected, label, answer, ...); failing that, by their shape (the longest
free text is the input; a short column whose values repeat, else the next longest text, is
the expected output). The scorer is the one `scorer: auto` would resolve to on these
values (`scoring.infer_label_task` after `labels.canonical_spellings`, as the run does),
except that JSON objects get the json scorer and answers of several words f1. Every guess is
written as a comment beside its key with the alternatives, and the spec is validated against
the whole file before anything is written, so `shouldtune check` accepts what this writes.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

from shouldtune.data import RawRecords, load_examples, read_records, template_fields, to_text
from shouldtune.labels import canonical_spellings
from shouldtune.prompts import default_instructions
from shouldtune.scoring import infer_label_task
from shouldtune.spec import SpecError, spec_from_dict

# Names compared after lowercasing, with spaces and '-' read as '_'; earlier ones win.
INPUT_NAMES = (
    "input",
    "text",
    "question",
    "prompt",
    "query",
    "utterance",
    "sentence",
    "message",
    "content",
    "instruction",
    "document",
    "body",
    "review",
    "comment",
    "description",
    "passage",
    "source",
    "x",
)
EXPECTED_NAMES = (
    "expected",
    "label",
    "output",
    "answer",
    "target",
    "gold",
    "category",
    "class",
    "intent",
    "sentiment",
    "response",
    "completion",
    "reference",
    "solution",
    "tag",
    "y",
)
ID_NAMES = ("id", "_id", "uid", "uuid", "guid", "example_id", "idx", "key")
# Answers longer than this many words on average are free text: f1 gives credit for the
# words they share, where exact fails any rewording.
FREE_TEXT_WORDS = 3.0
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
# Words YAML 1.1 reads as booleans or null: written quoted so they stay strings.
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}
SCORERS = {
    "label": "one of a closed set of labels",
    "exact": "the whole answer must match",
    "f1": "credit for the words shared with the expected answer",
    "json": "a JSON object, scored field by field",
}


class InitError(SpecError):
    """`init` cannot write a task spec: the message says why (exit 2)."""


@dataclass(frozen=True)
class Column:
    name: str
    texts: list[str]
    """The filled values as text (stripped), in file order."""
    missing: int
    """Records where the field is absent, null or blank."""
    json_objects: int
    """Values that are JSON objects (an object in JSON, or a string holding one)."""

    @property
    def mean_chars(self) -> float:
        return sum(map(len, self.texts)) / len(self.texts) if self.texts else 0.0

    @property
    def mean_words(self) -> float:
        return sum(len(t.split()) for t in self.texts) / len(self.texts) if self.texts else 0.0

    @property
    def distinct(self) -> int:
        return len(set(self.texts))


@dataclass(frozen=True)
class Guess:
    key: str
    value: str
    why: str


@dataclass(frozen=True)
class InitResult:
    path: Path
    n_records: int
    guesses: list[Guess]

    def summary(self) -> list[str]:
        lines = [f"wrote {self.path} from {self.n_records:,} records:"]
        lines += [f"  {g.key}: {g.value} ({g.why})" for g in self.guesses]
        lines.append("  instructions: none yet: write what the model should do (see the file)")
        lines.append(f"next: shouldtune check {self.path}")
        return lines


def _norm(name: str) -> str:
    return re.sub(r"[\s-]+", "_", name.strip().lower())


def _is_json_object(value: object) -> bool:
    if isinstance(value, dict):
        return True
    if not isinstance(value, str) or not value.strip().startswith("{"):
        return False
    try:
        return isinstance(json.loads(value), dict)
    except (ValueError, RecursionError):
        return False


def columns_of(raw: RawRecords) -> list[Column]:
    found = []
    for name in raw.columns:
        texts: list[str] = []
        objects = 0
        for _, record in raw.records:
            value = record.get(name)
            if value is None or isinstance(value, bytes | bytearray | memoryview):
                continue
            text = to_text(value).strip()
            if text:
                texts.append(text)
                objects += _is_json_object(value)
        found.append(Column(name, texts, len(raw.records) - len(texts), objects))
    return found


def _by_name(
    columns: list[Column], names: tuple[str, ...], avoid: tuple[str, ...]
) -> Column | None:
    """The column named like one of `names`: the whole name first, then one of its words
    ('question_text', 'gold_label'), unless another word names the other role ('text_label')."""
    whole = _first_named(columns, names)
    if whole is not None:
        return whole
    for wanted in names:
        for column in columns:
            words = _norm(column.name).split("_")
            if len(wanted) > 1 and wanted in words and not set(words) & set(avoid):
                return column
    return None


def _first_named(columns: list[Column], names: tuple[str, ...]) -> Column | None:
    # The earliest name in `names` wins, whatever the column order.
    for wanted in names:
        for column in columns:
            if _norm(column.name) == wanted:
                return column
    return None


def _label_like(column: Column) -> bool:
    spelling = canonical_spellings(column.texts, None)
    return infer_label_task([spelling[t] for t in column.texts])


def guess_fields(
    columns: list[Column], *, input_given: str | None = None, expected_given: Column | None = None
) -> tuple[str, str, Column, str]:
    """The input (a field name or a template) and the expected column, each with why."""
    usable = [c for c in columns if c.texts and "{" not in c.name and "}" not in c.name]
    # Fields filled in every record first; the data check names the records that lack one.
    complete = [c for c in usable if c.missing == 0]
    pool = complete if len(complete) >= 2 else usable
    pool = [c for c in pool if _norm(c.name) not in ID_NAMES] or pool
    template = template_fields(input_given) if input_given is not None else []
    skip = set(template) or ({input_given} if input_given is not None else set())
    if expected_given is not None:
        skip.add(expected_given.name)
    free = [c for c in pool if c.name not in skip]
    inp = _by_name(free, INPUT_NAMES, EXPECTED_NAMES) if input_given is None else None
    exp = expected_given or _by_name([c for c in free if c is not inp], EXPECTED_NAMES, INPUT_NAMES)
    in_why = "given" if input_given is not None else "by its name"
    exp_why = "given" if expected_given is not None else "by its name"
    if input_given is None and inp is None:
        inp = max(_others(free, exp, columns), key=lambda c: (c.mean_chars, c.distinct))
        in_why = f"the longest text, {inp.mean_chars:.0f} characters on average"
    if exp is None:
        rest = _others(free, inp, columns)
        labels = [c for c in rest if _label_like(c)]
        if labels:
            exp = min(labels, key=lambda c: (c.distinct, c.mean_chars))
            exp_why = f"short values that repeat: {exp.distinct} distinct"
        else:
            exp = max(rest, key=lambda c: (c.mean_chars, c.distinct))
            exp_why = f"the next longest text, {exp.mean_chars:.0f} characters on average"
    input_name = input_given if input_given is not None else inp.name if inp else ""
    return input_name, in_why, exp, exp_why


def _others(free: list[Column], taken: Column | None, columns: list[Column]) -> list[Column]:
    rest = [c for c in free if c is not taken]
    if not rest:
        names = ", ".join(_quoted(c.name) for c in columns) or "(none)"
        raise InitError(
            "needs two fields filled in every record, an input and an expected output; "
            f"found {names}"
        )
    return rest


def guess_scorer(expected: Column) -> tuple[str, str]:
    """The scorer for these expected values, and why."""
    if expected.texts and expected.json_objects == len(expected.texts):
        return "json", "every expected value is a JSON object"
    if _label_like(expected):
        shown = ", ".join(sorted(set(canonical_spellings(expected.texts, None).values()))[:8])
        more = "" if expected.distinct <= 8 else ", ..."
        return "label", f"{expected.distinct} distinct short values that repeat: {shown}{more}"
    if expected.mean_words > FREE_TEXT_WORDS:
        return "f1", f"free-form answers, {expected.mean_words:.1f} words on average"
    return "exact", f"short answers, {expected.distinct} distinct: too many to be labels"


def _id_column(columns: list[Column], taken: set[str]) -> str | None:
    for column in columns:
        if (
            _norm(column.name) in ID_NAMES
            and column.name not in taken
            and column.missing == 0
            and column.distinct == len(column.texts)
        ):
            return column.name
    return None


def _scalar(value: str) -> str:
    """A YAML scalar that reads back as this exact string."""
    if _PLAIN.fullmatch(value) and value.lower() not in _YAML_WORDS:
        return value
    return json.dumps(value)  # JSON strings are YAML double-quoted scalars


def _comment(text: str) -> list[str]:
    return textwrap.wrap(text, width=90, initial_indent="# ", subsequent_indent="# ")


def _quoted(name: str) -> str:
    # For comments: one line whatever the name holds.
    return json.dumps(name)


def _column(columns: list[Column], given: str, what: str) -> Column:
    for column in columns:
        if column.name == given:
            return column
    names = ", ".join(_quoted(c.name) for c in columns)
    raise InitError(f"--{what} {_quoted(given)}: no such field (fields: {names})")


def render(
    data: Path,
    output: Path,
    *,
    input_field: str,
    input_why: str,
    expected: str,
    expected_why: str,
    scorer: str,
    scorer_why: str,
    others: list[str],
    id_column: str | None,
    n_records: int,
) -> str:
    """The task.yaml text: each key with the guess behind it as a comment."""
    try:
        data_ref = Path(os.path.relpath(data.resolve(), output.resolve().parent)).as_posix()
    except ValueError:  # another drive
        data_ref = str(data.resolve())
    alternatives = ", ".join(
        f"{name} ({words})" for name, words in SCORERS.items() if name != scorer
    )
    other = ", ".join(_quoted(name) for name in others) or "none"
    lines = [
        *_comment(
            f"Written by `shouldtune init` from {_quoted(data.name)} ({n_records:,} records). "
            "Each guess says why; change any of them, then run `shouldtune check` on this "
            "file. Every key: `shouldtune spec-docs`."
        ),
        "",
        f"data: {_scalar(data_ref)}",
        "",
        *_comment(
            f"The input: the field {_quoted(input_field)} ({input_why}). Other fields: {other}. "
            "A template combines fields, such as '{title}: {body}'."
        ),
        f"input: {_scalar(input_field)}",
        "",
        *_comment(f"The expected output: the field {_quoted(expected)} ({expected_why})."),
        f"expected: {_scalar(expected)}",
        "",
        *_comment(
            f"Scorer guessed: {scorer} ({SCORERS[scorer]}), because: {scorer_why}. "
            f"Alternatives: {alternatives}; also regex, contains, similarity (meaning), judge "
            "(a model grades), and auto (label or exact, decided when the run starts)."
        ),
        f"scorer: {scorer}",
        "",
        *_comment(
            "Missing instructions: write `instructions:` with what the model should do; "
            "without them the zero-shot rung is told only "
            f"{default_instructions(scorer == 'label')!r}. For example:"
        ),
        '# instructions: "Say what to do with each input and the form of the answer."',
        "",
        *_comment(
            "The score the task needs (0-1): choose it before you run, for what your use needs."
        ),
        "bar: 0.8",
        "",
        *_comment(
            "The model the prompt rungs ask (this is the default; `shouldtune models` lists "
            "the built-in ones; a served model is openai:NAME, ollama:NAME or "
            "http://HOST:PORT/v1:NAME)."
        ),
        "# model: smollm2-135m",
    ]
    if id_column is not None:
        lines += [
            "",
            *_comment(
                f"The field {_quoted(id_column)} looks like unique ids; uncomment to keep each "
                "example's id when its text changes (default: a hash of input and expected)."
            ),
            f"# id_field: {_scalar(id_column)}",
        ]
    return "\n".join(lines) + "\n"


def write_task(
    data: Path,
    output: Path,
    *,
    force: bool = False,
    input_field: str | None = None,
    expected: str | None = None,
) -> InitResult:
    """Guess a task spec from `data`, check it against the whole file, write it to `output`."""
    if output.exists() and not force:
        raise InitError(f"{output}: already exists (--force overwrites it)")
    if output.suffix.lower() not in (".yaml", ".yml"):
        raise InitError(f"{output}: a task spec is a .yaml file")
    raw = read_records(data)
    columns = columns_of(raw)
    try:
        if input_field is not None:
            try:
                names = template_fields(input_field) or [input_field]
            except ValueError as error:
                raise InitError(f"--input: {error}") from None
            for name in names:
                _column(columns, name, "input")
        given = _column(columns, expected, "expected") if expected is not None else None
        input_name, in_why, exp, exp_why = guess_fields(
            columns, input_given=input_field, expected_given=given
        )
    except InitError as error:
        raise InitError(f"{data}: {error}") from None
    scorer, scorer_why = guess_scorer(exp)
    # The spec is checked against the whole file (not just the records read) before writing.
    spec = spec_from_dict(
        {"data": str(data), "input": input_name, "expected": exp.name, "scorer": scorer},
        source=str(data),
    )
    n_records = len(load_examples(spec))
    taken = {*(template_fields(input_name) or [input_name]), exp.name}
    text = render(
        data,
        output,
        input_field=input_name,
        input_why=in_why,
        expected=exp.name,
        expected_why=exp_why,
        scorer=scorer,
        scorer_why=scorer_why,
        others=[c.name for c in columns if c.name not in taken],
        id_column=_id_column(columns, taken) if not raw.truncated else None,
        n_records=n_records,
    )
    try:
        with output.open("w" if force else "x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise InitError(f"{output}: already exists (--force overwrites it)") from None
    except OSError as error:
        raise InitError(f"{output}: cannot write: {error.strerror or error}") from None
    guesses = [
        Guess("input", input_name, in_why),
        Guess("expected", exp.name, exp_why),
        Guess("scorer", scorer, scorer_why),
    ]
    return InitResult(output, n_records, guesses)

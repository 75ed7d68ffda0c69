"""`shouldtune init`: the guesses it writes, and that `check` accepts the file (in-process)."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shouldtune.cli import app
from shouldtune.data import read_records
from shouldtune.init_spec import columns_of, guess_fields, guess_scorer
from shouldtune.spec import load_spec

runner = CliRunner()
INTENTS = ("refund", "delivery", "password reset")


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _jsonl(path: Path, rows: Sequence[Mapping[str, object]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _tickets(n: int = 30) -> list[list[str]]:
    # id, customer message, intent: the message is long free text, the intent repeats.
    return [
        [str(i), f"hello, ticket {i}: I would like some help with my {INTENTS[i % 3]} today", y]
        for i, y in enumerate(INTENTS[i % 3] for i in range(n))
    ]


def _init(data: Path, out: Path, *extra: str) -> str:
    result = runner.invoke(app, ["init", str(data), "-o", str(out), *extra])
    assert result.exit_code == 0, result.output
    return result.output


def _check(spec: Path, *flags: str) -> str:
    # mock: no tokenizer to load; the first test checks with the default model.
    result = runner.invoke(app, ["check", str(spec), *(flags or ("--model", "mock"))])
    assert result.exit_code == 0, result.output
    return result.output


def test_csv_by_name_label_scorer_and_check_accepts_it(tmp_path: Path) -> None:
    data = _csv(tmp_path / "tickets.csv", ["ticket_id", "Question", "Category"], _tickets())
    out = tmp_path / "task.yaml"
    said = _init(data, out)
    spec = load_spec(out)
    assert (spec.input, spec.expected, spec.scorer) == ("Question", "Category", "label")
    assert spec.data == data  # written relative to the spec's folder, read back from there
    assert "next: shouldtune check" in said
    text = out.read_text()
    assert "by its name" in text and "3 distinct short values" in text
    # A comment, not a key: the user is told to write the instructions.
    assert "\n# Missing instructions: write `instructions:`" in text
    assert spec.instructions is None
    assert "split:" in _check(out, "--cache-dir", str(tmp_path / "cache"))


def test_jsonl_by_shape_when_no_name_matches(tmp_path: Path) -> None:
    # Neither field has a known name: the long free text is the input, the short repeating
    # one the expected output.
    rows = [
        {"kind": y, "blurb": f"a long message number {i} about the {y} of an order"}
        for i, y in enumerate(INTENTS[i % 3] for i in range(24))
    ]
    data = _jsonl(tmp_path / "d.jsonl", rows)
    out = tmp_path / "sub" / "spec.yaml"
    out.parent.mkdir()
    _init(data, out)
    spec = load_spec(out)
    assert (spec.input, spec.expected, spec.scorer) == ("blurb", "kind", "label")
    assert "the longest text" in out.read_text() and "short values that repeat" in out.read_text()
    _check(out)


def test_json_objects_get_the_json_scorer(tmp_path: Path) -> None:
    rows = [
        {"prompt": f"book a table for {i} people", "target": {"people": i, "intent": "book"}}
        for i in range(12)
    ]
    out = tmp_path / "task.yaml"
    _init(_jsonl(tmp_path / "slots.jsonl", rows), out)
    assert load_spec(out).scorer == "json"
    _check(out)


@pytest.mark.parametrize(
    ("answers", "scorer"),
    [
        ([f"the capital city is number {i} on the list" for i in range(20)], "f1"),
        ([f"{i * 7}" for i in range(20)], "exact"),
    ],
)
def test_free_text_is_f1_and_short_distinct_answers_exact(
    tmp_path: Path, answers: list[str], scorer: str
) -> None:
    data = _csv(
        tmp_path / "qa.csv",
        ["question", "answer"],
        [[f"what is item {i}?", a] for i, a in enumerate(answers)],
    )
    out = tmp_path / "task.yaml"
    _init(data, out)
    assert load_spec(out).scorer == scorer


def test_yaml_words_and_spaced_names_are_quoted(tmp_path: Path) -> None:
    # A column named 'yes' and one with a space must read back as those exact strings.
    rows = [[f"the text of row {i} is here", "no" if i % 2 else "yes"] for i in range(20)]
    out = tmp_path / "task.yaml"
    _init(_csv(tmp_path / "d.csv", ["my text", "yes"], rows), out)
    spec = load_spec(out)
    assert (spec.input, spec.expected) == ("my text", "yes")
    _check(out)


def test_flags_override_the_guesses(tmp_path: Path) -> None:
    rows = [
        {"title": f"t{i}", "body": f"body text {i} here", "label": INTENTS[i % 3]}
        for i in range(15)
    ]
    data = _jsonl(tmp_path / "d.jsonl", rows)
    out = tmp_path / "task.yaml"
    _init(data, out, "--input", "{title}: {body}", "--expected", "label")
    assert load_spec(out).input == "{title}: {body}"
    result = runner.invoke(app, ["init", str(data), "-o", str(out), "--force", "--expected", "x"])
    assert result.exit_code == 2
    assert f'{data}: --expected "x": no such field' in result.output


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    data = _csv(tmp_path / "d.csv", ["text", "label"], [r[1:] for r in _tickets()])
    out = tmp_path / "task.yaml"
    out.write_text("mine\n")
    result = runner.invoke(app, ["init", str(data), "-o", str(out)])
    assert result.exit_code == 2
    assert "already exists (--force overwrites it)" in result.output
    assert out.read_text() == "mine\n"
    _init(data, out, "--force")
    assert load_spec(out).expected == "label"


def test_bad_data_exits_2_with_file_line_and_writes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text('{"text": "a b c", "label": "x"}\n{"text": \n[1, 2]\n')
    out = tmp_path / "task.yaml"
    result = runner.invoke(app, ["init", str(data), "-o", str(out)])
    assert result.exit_code == 2
    assert f"{data}:2: invalid JSON" in result.output
    assert f"{data}:3: record is a JSON array" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_a_guessed_field_blank_past_the_sample_is_named_with_its_line(tmp_path: Path) -> None:
    # Guessed from the first records; the whole file is checked before anything is written.
    rows = [{"text": f"message {i} text", "label": INTENTS[i % 3]} for i in range(12)]
    rows.append({"text": "late", "label": ""})
    data = _jsonl(tmp_path / "d.jsonl", rows)
    raw = read_records(data, max_records=12)
    assert raw.truncated
    result = runner.invoke(app, ["init", str(data), "-o", str(tmp_path / "t.yaml")])
    assert result.exit_code == 2
    assert f"{data}:13: label: blank" in result.output


def test_one_field_is_not_enough(tmp_path: Path) -> None:
    data = _jsonl(tmp_path / "d.jsonl", [{"text": f"t{i}"} for i in range(5)])
    result = runner.invoke(app, ["init", str(data), "-o", str(tmp_path / "t.yaml")])
    assert result.exit_code == 2
    assert f"{data}: needs two fields" in result.output


def test_guesses_on_columns_directly(tmp_path: Path) -> None:
    data = _csv(
        tmp_path / "d.csv",
        ["id", "src", "tgt"],
        [[str(i), f"a source sentence of some length {i}", f"t {i}"] for i in range(9)],
    )
    columns = columns_of(read_records(data))
    name, why, expected, _ = guess_fields(columns)
    # The id column is neither input nor expected; the longer text is the input.
    assert (name, expected.name) == ("src", "tgt")
    assert "longest text" in why
    assert guess_scorer(expected)[0] == "exact"


@pytest.mark.parametrize("suffix", [".json", ".parquet"])
def test_json_arrays_and_parquet_too(tmp_path: Path, suffix: str) -> None:
    rows = [
        {"utterance": f"please help me with a {y} now", "intent": y}
        for y in (INTENTS[i % 3] for i in range(18))
    ]
    data = tmp_path / f"d{suffix}"
    if suffix == ".json":
        data.write_text(json.dumps(rows, indent=1))
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), data)
    out = tmp_path / "task.yaml"
    _init(data, out)
    spec = load_spec(out)
    assert (spec.input, spec.expected, spec.scorer) == ("utterance", "intent", "label")
    _check(out)


def test_a_word_of_the_name_counts_unless_it_names_the_other_role(tmp_path: Path) -> None:
    rows = [[f"the body of review {i} goes here", INTENTS[i % 3]] for i in range(12)]
    data = _csv(tmp_path / "d.csv", ["Review Body", "text_label"], rows)
    columns = columns_of(read_records(data))
    name, why, expected, exp_why = guess_fields(columns)
    # 'text_label' holds an input word and an expected word: neither role by its name, so
    # its shape decides.
    assert (name, expected.name) == ("Review Body", "text_label")
    assert why == "by its name" and exp_why.startswith("short values that repeat")

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shouldtune.data import MAX_ISSUES, DataError, DataIssue, content_id, load_examples
from shouldtune.spec import TaskSpec


def write(path: Path, content: bytes | dict[str, list[Any]]) -> Path:
    if isinstance(content, dict):
        pq.write_table(pa.table(content), path)
    else:
        path.write_bytes(content)
    return path


def issues_of(spec: TaskSpec, **limits: int) -> list[DataIssue]:
    with pytest.raises(DataError) as info:
        load_examples(spec, **limits)
    return info.value.issues


def jsonl(*records: Any) -> bytes:
    return "".join(json.dumps(record) + "\n" for record in records).encode()


OK = {"text": "hello", "label": "greet"}

# (case, file name, content, spec keys, expected issue prefixes; {file} is the file's path)
MALFORMED: list[tuple[str, str, bytes | dict[str, list[Any]], dict[str, Any], list[str]]] = [
    (
        "blank expected",
        "d.jsonl",
        jsonl(OK, OK | {"text": "bye"}, {"text": "x", "label": "  "}),
        {},
        ["{file}:3: label: blank (every record needs an expected output)"],
    ),
    (
        "invalid json line",
        "d.jsonl",
        jsonl(OK) + b'{"text": "a", "label": }\n' + jsonl(OK),
        {},
        ["{file}:2: invalid JSON: Expecting value (column 24)"],
    ),
    (
        "csv missing column",
        "d.csv",
        b"text,category\na,b\nc,d\n",
        {},
        ["{file}:1: label: no such column (records need the expected field 'label'; "],
    ),
    (
        "csv ragged row",
        "d.csv",
        b"text,label\na,b\nc,d,e\nf,g\n",
        {},
        ["{file}:3: row has 3 values but the header has 2 columns"],
    ),
    (
        "csv ragged row after a multi-line value",
        "d.csv",
        b'text,label\n"two\nlines",b\nshort\n',
        {},
        ["{file}:4: row has 1 value but the header has 2 columns"],
    ),
    (
        "not utf-8",
        "d.jsonl",
        jsonl(OK, OK, OK) + '{"text": "caf\u00e9", "label": "x"}\n'.encode("latin-1"),
        {},
        ["{file}:4: not UTF-8 text: byte 0xe9 at column 14"],
    ),
    ("empty file", "d.jsonl", b"\n  \n", {}, ["{file}: empty file: no records"]),
    ("empty csv", "d.csv", b"", {}, ["{file}: empty file: no records"]),
    (
        "json array element missing the field",
        "d.json",
        b'[\n  {"text": "a", "label": "b"},\n  {"text": "c", "label": "d"},\n\n'
        b'  {"text": "e"},\n  {"text": "f", "label": "g"}\n]\n',
        {},
        [
            "{file}:5: label: missing (records need the expected field 'label'; "
            "fields present: text)"
        ],
    ),
    (
        "json object wrapping the records",
        "d.json",
        b'{"version": 1,\n "examples": [\n  {"text": "a", "label": "b"},\n  {"label": "d"}]}',
        {},
        ["{file}:4: text: missing (records need the input field 'text'; fields present: label)"],
    ),
    (
        "json object with two lists",
        "d.json",
        b'{"train": [], "test": []}',
        {},
        ["{file}:1: expected an array of records, or an object holding one list of records"],
    ),
    (
        "invalid json document",
        "d.json",
        b'[\n {"text": "a", "label": "b"},\n {"text": "c" "label": "d"}\n]',
        {},
        ["{file}:3: invalid JSON: Expecting ',' delimiter"],
    ),
    (
        "json document that is not an array",
        "d.json",
        b'"just a string"',
        {},
        ["{file}:1: expected an array of records, found a JSON string"],
    ),
    (
        "parquet missing column",
        "d.parquet",
        {"text": ["a", "b"], "category": ["x", "y"]},
        {},
        ["{file}: label: no such column (records need the expected field 'label'; "],
    ),
    (
        "parquet null expected",
        "d.parquet",
        {"text": ["a", "b", "c"], "label": ["x", "y", None]},
        {},
        ["{file}:3: label: null (every record needs an expected output)"],
    ),
    (
        "oversized record",
        "d.jsonl",
        jsonl(OK, {"text": "x" * 100, "label": "y"}),
        {"max_record_bytes": 60},
        ["{file}:2: record is 126 bytes, over the 60-byte limit (max_record_bytes)"],
    ),
    (
        "too many records",
        "d.jsonl",
        jsonl(OK, OK, OK),
        {"max_records": 2},
        ["{file}:3: more than 2 records (max_records)"],
    ),
    (
        "record not an object",
        "d.jsonl",
        jsonl(OK, ["hello", "greet"], "text"),
        {},
        [
            "{file}:2: record is a JSON array, not an object with fields",
            "{file}:3: record is a JSON string, not an object with fields",
        ],
    ),
    (
        "template with missing fields",
        "d.jsonl",
        jsonl(
            {"title": "t", "label": "x"}, {"title": "t", "body": "b", "label": "x"}, {"label": "x"}
        ),
        {"input": "{title}: {body}"},
        [
            "{file}:1: body: missing (the input template uses it; fields present: title, label)",
            "{file}:3: title: missing (the input template uses it; fields present: label)",
            "{file}:3: body: missing (the input template uses it; fields present: label)",
        ],
    ),
    (
        "template with a null field",
        "d.jsonl",
        jsonl({"title": "t", "body": None, "label": "x"}),
        {"input": "{title}: {body}"},
        ["{file}:1: body: null (the input template uses it)"],
    ),
    (
        "duplicate ids",
        "d.jsonl",
        jsonl(OK | {"id": "a"}, OK | {"id": "b"}, OK | {"id": "a"}),
        {"id_field": "id"},
        ["{file}:3: id: duplicate id 'a' (first used on line 1)"],
    ),
    (
        "missing id",
        "d.jsonl",
        jsonl(OK | {"id": 1}, OK, OK | {"id": " "}),
        {"id_field": "id"},
        [
            "{file}:2: id: missing (id_field is 'id': every record needs an id; "
            "fields present: text, label)",
            "{file}:3: id: blank id (id_field is 'id': every record needs an id)",
        ],
    ),
    (
        "unknown extension",
        "d.txt",
        b"text,label\na,b\n",
        {},
        ["{file}: unknown file type '.txt': use one of .jsonl, .json, .csv, .parquet"],
    ),
    (
        "null expected",
        "d.json",
        b'[{"text": "a", "label": "b"},\n {"text": "c", "label": null}]',
        {},
        ["{file}:2: label: null (every record needs an expected output)"],
    ),
    (
        "whitespace-only input",
        "d.jsonl",
        jsonl(OK, {"text": " \t ", "label": "x"}),
        {},
        ["{file}:2: text: blank (the input is empty)"],
    ),
    (
        "csv blank expected cell",
        "d.csv",
        b"text,label\na,b\nc,\n",
        {},
        ["{file}:3: label: blank (every record needs an expected output)"],
    ),
    (
        "csv repeated header column",
        "d.csv",
        b"text,label,text\na,b,c\n",
        {},
        ["{file}:1: text: column appears more than once in the header"],
    ),
    (
        "label outside the label set",
        "d.jsonl",
        jsonl({"text": "a", "label": "yes"}, {"text": "b", "label": "maybe"}),
        {"labels": ["yes", "no"]},
        ["{file}:2: label: 'maybe' is not one of the labels (yes, no)"],
    ),
    (
        "only a csv header",
        "d.csv",
        b"text,label\n",
        {},
        ["{file}: no records found (the file holds no examples)"],
    ),
    ("empty json array", "d.json", b"[ ]", {}, ["{file}: no records found"]),
]


@pytest.mark.parametrize(
    ("name", "content", "keys", "expected"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
def test_malformed_files_name_file_line_and_field(
    tmp_path: Path,
    name: str,
    content: bytes | dict[str, list[Any]],
    keys: dict[str, Any],
    expected: list[str],
) -> None:
    path = write(tmp_path / name, content)
    keys = dict(keys)
    limits = {key: keys.pop(key) for key in ("max_record_bytes", "max_records") if key in keys}
    spec = TaskSpec(data=path, input=keys.pop("input", "text"), expected="label", **keys)
    messages = [str(issue) for issue in issues_of(spec, **limits)]
    assert len(messages) == len(expected), messages
    for message, prefix in zip(messages, expected, strict=True):
        assert message.startswith(prefix.format(file=path)), message


def test_missing_file_says_where_it_looked(tmp_path: Path) -> None:
    path = tmp_path / "nope.jsonl"
    (issue,) = issues_of(TaskSpec(data=path, input="text", expected="label"))
    assert str(issue) == f"{path}: no such file (looked for {path})"


def test_relative_path_is_read_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "d.jsonl", jsonl(OK))
    monkeypatch.chdir(tmp_path)
    examples = load_examples(TaskSpec(data=Path("d.jsonl"), input="text", expected="label"))
    assert [ex.input for ex in examples] == ["hello"]
    (issue,) = issues_of(TaskSpec(data=Path("gone.jsonl"), input="text", expected="label"))
    assert issue.message == f"no such file (looked for gone.jsonl in {tmp_path})"


def test_every_problem_in_a_file_is_reported_at_once(tmp_path: Path) -> None:
    content = (
        jsonl(OK, {"text": "a"}, {"label": "b"})
        + b"not json\n"
        + jsonl({"text": "", "label": ""}, 7, OK)
    )
    path = write(tmp_path / "d.jsonl", content)
    issues = issues_of(TaskSpec(data=path, input="text", expected="label"))
    assert [(issue.line, issue.field) for issue in issues] == [
        (2, "label"),
        (3, "text"),
        (4, None),
        (5, "text"),
        (5, "label"),
        (6, None),
    ]


def test_issue_list_is_capped_with_a_count_of_the_rest(tmp_path: Path) -> None:
    path = write(tmp_path / "d.jsonl", jsonl(*[{"text": "a"}] * (MAX_ISSUES + 37)))
    issues = issues_of(TaskSpec(data=path, input="text", expected="label"))
    assert len(issues) == MAX_ISSUES + 1
    assert str(issues[-1]) == f"{path}: ... and 37 more problems"


def test_data_issue_text_omits_missing_parts() -> None:
    assert str(DataIssue("d.csv", 7, "label", "missing")) == "d.csv:7: label: missing"
    assert str(DataIssue("d.csv", 7, None, "bad row")) == "d.csv:7: bad row"
    assert str(DataIssue("d.csv", None, "label", "no column")) == "d.csv: label: no column"
    assert str(DataIssue("d.csv", None, None, "empty")) == "d.csv: empty"
    error = DataError([DataIssue("a", 1, None, "x"), DataIssue("a", 2, None, "y")])
    assert str(error) == "a:1: x\na:2: y"


def test_bad_template_is_reported_before_reading(tmp_path: Path) -> None:
    path = write(tmp_path / "d.jsonl", jsonl(OK))
    (issue,) = issues_of(TaskSpec(data=path, input="{} and {}", expected="label"))
    assert issue.line is None
    assert "needs field names" in issue.message


# --- files that load ---------------------------------------------------------------------

RECORDS = [
    {"id": "r1", "text": "  first  ", "label": "a"},
    {"id": "r2", "text": "second", "label": "b"},
    {"id": "r3", "text": "third", "label": "a"},
]


def expected_rows(lines: list[int]) -> list[tuple[str, str, str, int]]:
    return [
        (str(r["id"]), str(r["text"]).strip(), str(r["label"]), line)
        for r, line in zip(RECORDS, lines, strict=True)
    ]


def loaded(path: Path) -> list[tuple[str, str, str, int]]:
    spec = TaskSpec(data=path, input="text", expected="label", id_field="id")
    return [(ex.id, ex.input, ex.expected, ex.line) for ex in load_examples(spec)]


def test_jsonl_round_trip_skips_blank_lines(tmp_path: Path) -> None:
    content = jsonl(RECORDS[0]) + b"\n   \n" + jsonl(*RECORDS[1:])
    assert loaded(write(tmp_path / "d.jsonl", content)) == expected_rows([1, 4, 5])


def test_json_array_round_trip_reports_each_element_line(tmp_path: Path) -> None:
    path = write(tmp_path / "d.json", json.dumps(RECORDS, indent=2).encode())
    assert loaded(path) == expected_rows([2, 7, 12])


def test_json_wrapped_array_round_trip(tmp_path: Path) -> None:
    text = '{"meta": {"n": 3},\n "examples": [\n' + ",\n".join(map(json.dumps, RECORDS)) + "]}"
    assert loaded(write(tmp_path / "d.json", text.encode())) == expected_rows([3, 4, 5])


def test_csv_round_trip_with_bom_crlf_and_blank_rows(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, ["id", "text", "label"], lineterminator="\r\n")
        writer.writeheader()
        writer.writerow(RECORDS[0])
        writer.writerow({"id": "", "text": "", "label": ""})
        writer.writerows(RECORDS[1:])
    assert loaded(path) == expected_rows([2, 4, 5])


def test_csv_multi_line_value_keeps_its_first_line(tmp_path: Path) -> None:
    path = write(tmp_path / "d.csv", b'text,label\n"one\ntwo",a\nthree,b\n')
    examples = load_examples(TaskSpec(data=path, input="text", expected="label"))
    assert [(ex.input, ex.line) for ex in examples] == [("one\ntwo", 2), ("three", 4)]


def test_csv_field_over_the_csv_module_default_limit_loads(tmp_path: Path) -> None:
    big = "x" * 200_000
    path = write(tmp_path / "d.csv", f"text,label\n{big},a\n".encode())
    (example,) = load_examples(TaskSpec(data=path, input="text", expected="label"))
    assert example.input == big
    assert csv.field_size_limit() == 131072


def test_parquet_round_trip_rows_are_one_based(tmp_path: Path) -> None:
    columns = {key: [r[key] for r in RECORDS] for key in ("id", "text", "label")}
    assert loaded(write(tmp_path / "d.parquet", columns)) == expected_rows([1, 2, 3])


def test_values_become_stripped_text(tmp_path: Path) -> None:
    records = [
        {"text": 42, "label": True},
        {"text": "b", "label": 3.5},
        {"text": "c", "label": {"z": 1, "a": ["é", None]}},
        {"text": "d", "label": [1, "two"]},
        {"text": "e", "label": False},
        {"text": "f", "label": "  padded\n"},
    ]
    path = write(tmp_path / "d.jsonl", jsonl(*records))
    examples = load_examples(TaskSpec(data=path, input="text", expected="label"))
    assert [(ex.input, ex.expected) for ex in examples] == [
        ("42", "true"),
        ("b", "3.5"),
        ("c", '{"a": ["é", null], "z": 1}'),
        ("d", '[1, "two"]'),
        ("e", "false"),
        ("f", "padded"),
    ]
    assert examples[0].fields == records[0]


def test_template_renders_fields_and_format_specs(tmp_path: Path) -> None:
    record = {"title": "T", "body": "B", "score": 0.25, "flag": True, "label": "x"}
    path = write(tmp_path / "d.jsonl", jsonl(record))
    spec = TaskSpec(data=path, input=" {title}: {body} ({score:.1f}, {flag}) ", expected="label")
    (example,) = load_examples(spec)
    assert example.input == "T: B (0.2, true)"


def test_content_ids_do_not_depend_on_file_order(tmp_path: Path) -> None:
    records = [{"text": f"t{i}", "label": "x"} for i in range(5)]
    first = write(tmp_path / "a.jsonl", jsonl(*records))
    second = write(tmp_path / "b.jsonl", jsonl(*reversed(records)))
    ids_a = {
        ex.input: ex.id
        for ex in load_examples(TaskSpec(data=first, input="text", expected="label"))
    }
    ids_b = {
        ex.input: ex.id
        for ex in load_examples(TaskSpec(data=second, input="text", expected="label"))
    }
    assert ids_a == ids_b
    assert len(set(ids_a.values())) == 5
    assert ids_a["t0"] == content_id("t0", "x")
    assert content_id("t0", "x") != content_id("t0x", "")
    assert len(ids_a["t0"]) == 12


def test_id_field_values_become_text(tmp_path: Path) -> None:
    path = write(tmp_path / "d.jsonl", jsonl(OK | {"id": 7}, OK | {"id": " x "}))
    spec = TaskSpec(data=path, input="text", expected="label", id_field="id")
    assert [ex.id for ex in load_examples(spec)] == ["7", "x"]

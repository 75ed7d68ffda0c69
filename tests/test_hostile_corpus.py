"""A corpus of malformed and hostile inputs, each run through the CLI in-process.

Every case asserts the exit code, the file:line (or file) its message names where one exists,
and that no traceback or escaped exception reaches the user. The model is scripted (no
weights) except where the case is about the model reference itself. docs/hostile-input.md
lists the categories.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.hostile import assert_clean_exit, invoke, use_scripted_model

Content = bytes | str | Callable[[Path], None]


def rows(*records: object) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


GOOD = [{"input": f"question {i}", "expected": ["yes", "no"][i % 2]} for i in range(8)]
OK = rows(*GOOD)


def parquet(table: dict[str, list[object]]) -> Callable[[Path], None]:
    return lambda path: pq.write_table(pa.table(table), path)


def fifo(path: Path) -> None:
    os.mkfifo(path)


def loop(path: Path) -> None:
    path.symlink_to(path)


def folder(path: Path) -> None:
    path.mkdir()


@dataclass(frozen=True)
class Case:
    id: str
    files: dict[str, Content]
    args: list[str] = field(default_factory=lambda: ["check", "{dir}/d.jsonl"])
    where: str | None = None  # must appear in the output; {dir} is the case's folder
    code: int = 2
    scripted: bool = True


def jsonl(case: str, content: bytes, where: str | None, *flags: str) -> Case:
    return Case(case, {"d.jsonl": content}, ["check", "{dir}/d.jsonl", *flags], where)


def json_doc(case: str, content: str, where: str | None) -> Case:
    return Case(case, {"d.json": content}, ["check", "{dir}/d.json"], where)


def csv(case: str, content: bytes | str, where: str | None) -> Case:
    return Case(case, {"d.csv": content}, ["check", "{dir}/d.csv"], where)


def pq_case(case: str, table: dict[str, list[object]], where: str | None) -> Case:
    return Case(case, {"d.parquet": parquet(table)}, ["check", "{dir}/d.parquet"], where)


def spec(case: str, yaml: str | bytes, where: str | None, data: bytes = OK) -> Case:
    return Case(case, {"task.yaml": yaml, "d.jsonl": data}, ["check", "{dir}/task.yaml"], where)


def flags(case: str, *extra: str, where: str | None = None, scripted: bool = True) -> Case:
    return Case(case, {"d.jsonl": OK}, ["check", "{dir}/d.jsonl", *extra], where, 2, scripted)


DEEP = "[" * 100_000 + "]" * 100_000
D = "{dir}/d.jsonl"
SERVED = "data: d.jsonl\nmodel: https://x.invalid/v1:m\napi:\n"
# Ten levels of nine aliases each: 9**10 values once expanded.
LAUGHS = "data: d.jsonl\nx0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"x{n}: &x{n} [{', '.join([f'*x{n - 1}'] * 9)}]\n" for n in range(1, 10)
)

CASES = [
    # --- JSONL records -------------------------------------------------------------------
    jsonl("jsonl-invalid-line", OK + b'{"input": "a", "expected": }\n', f"{D}:9: invalid JSON"),
    jsonl("jsonl-nan", OK + b'{"input": NaN, "expected": "yes"}\n', f"{D}:9: invalid JSON: NaN"),
    jsonl("jsonl-infinity", OK + b'{"input": "a", "expected": Infinity}\n', f"{D}:9:"),
    jsonl("jsonl-minus-infinity", OK + b'{"input": -Infinity, "expected": "no"}\n', f"{D}:9:"),
    jsonl(
        "jsonl-duplicate-key",
        OK + b'{"input": "a", "expected": "yes", "expected": "no"}\n',
        f"{D}:9: invalid JSON: duplicate key 'expected'",
    ),
    jsonl("jsonl-deep-recursion", OK + DEEP.encode() + b"\n", f"{D}:9: nested more than"),
    jsonl(
        "jsonl-deep-object-field",
        OK + b'{"input": "a", "expected": "b", "x": ' + b"[" * 80 + b"0" + b"]" * 80 + b"}\n",
        f"{D}:9: nested more than",
    ),
    jsonl("jsonl-record-is-array", OK + b"[1, 2]\n", f"{D}:9: record is a JSON array"),
    jsonl("jsonl-record-is-string", OK + b'"text"\n', f"{D}:9: record is a JSON string"),
    jsonl("jsonl-record-is-null", OK + b"null\n", f"{D}:9: record is a JSON null"),
    jsonl("jsonl-missing-expected", OK + b'{"input": "a"}\n', f"{D}:9: expected: missing"),
    jsonl("jsonl-null-expected", OK + b'{"input": "a", "expected": null}\n', f"{D}:9: expected"),
    jsonl("jsonl-blank-expected", OK + b'{"input": "a", "expected": " "}\n', f"{D}:9: expected"),
    jsonl("jsonl-blank-input", OK + b'{"input": "\\t", "expected": "no"}\n', f"{D}:9: input"),
    jsonl("jsonl-huge-line", OK + rows({"input": "x" * 1_100_000, "expected": "no"}), f"{D}:9:"),
    jsonl("jsonl-not-utf8", OK + b'{"input": "caf\xe9", "expected": "no"}\n', f"{D}:9: not UTF-8"),
    jsonl("jsonl-array-file", b"[\n" + OK, f"{D}:1: invalid JSON"),
    jsonl("jsonl-two-records-one-line", b'{"input":"a","expected":"b"}{"x":1}\n', f"{D}:1:"),
    jsonl("jsonl-utf16-no-bom", OK.decode().encode("utf-16-le"), f"{D}:1:"),
    jsonl("jsonl-bom-then-bad", b"\xef\xbb\xbf" + OK + b"{\n", f"{D}:9:"),
    jsonl("jsonl-crlf-bad-line", OK.replace(b"\n", b"\r\n") + b"{oops}\r\n", f"{D}:9:"),
    jsonl("jsonl-empty", b"", f"{D}: empty file"),
    jsonl("jsonl-whitespace-only", b"\n \n\t\n", f"{D}: empty file"),
    jsonl("jsonl-nan-in-number-field", OK + b'{"input": 1e999, "expected": "no"}\n', f"{D}:9:"),
    jsonl(
        "jsonl-duplicate-id",
        rows(*[r | {"id": "same"} for r in GOOD[:2]]),
        f"{D}:2: id: duplicate id 'same'",
        "--id-field",
        "id",
    ),
    jsonl(
        "jsonl-label-outside-declared-set",
        OK + rows({"input": "q", "expected": "maybe"}),
        f"{D}:9: expected: 'maybe' is not one of the labels",
        "--labels",
        "yes,no",
    ),
    jsonl(
        "jsonl-template-field-missing",
        rows({"title": "t", "expected": "yes"}),
        f"{D}:1: body: missing",
        "--input",
        "{title} {body}",
    ),
    # --- JSON documents ------------------------------------------------------------------
    json_doc("json-nan-element", '[\n{"input": "a", "expected": "b"},\n{"input": NaN}\n]', ":3:"),
    json_doc("json-duplicate-key", '[\n{"input": "a",\n "input": "b", "expected": "c"}\n]', ":2:"),
    json_doc("json-deep", "[\n" + DEEP + "\n]", "{dir}/d.json:2: nested more than"),
    json_doc("json-scalar", "42", "{dir}/d.json:1: expected an array of records"),
    json_doc("json-two-lists", '{"a": [], "b": []}', "{dir}/d.json:1:"),
    json_doc("json-truncated", '[\n{"input": "a",\n', "{dir}/d.json:3: invalid JSON"),
    json_doc("json-empty-array", "[]", "{dir}/d.json: no records"),
    json_doc("json-element-not-object", '[\n"a",\n"b"\n]', "{dir}/d.json:2: record is a JSON"),
    # --- CSV -----------------------------------------------------------------------------
    csv("csv-ragged-row", "input,expected\na,yes\nb,no,extra\n", "{dir}/d.csv:3: row has 3"),
    csv("csv-header-only", "input,expected\n", "{dir}/d.csv: no records"),
    csv("csv-empty", "", "{dir}/d.csv: empty file"),
    csv("csv-blank-rows-only", ",\n,\n", "{dir}/d.csv: empty file"),
    csv("csv-duplicate-column", "input,input,expected\na,b,c\n", "{dir}/d.csv:1: input: column"),
    csv("csv-missing-column", "text,expected\na,yes\n", "{dir}/d.csv:1: input: no such column"),
    csv("csv-crlf-blank-expected", "input,expected\r\na,yes\r\nb, \r\n", "{dir}/d.csv:3:"),
    csv("csv-utf16-ragged", "input,expected\na,yes\nb\n".encode("utf-16"), "{dir}/d.csv:3:"),
    csv("csv-not-utf8", b"input,expected\na,yes\n\xff\xfe,no\n", "{dir}/d.csv:3: not UTF-8"),
    # --- Parquet -------------------------------------------------------------------------
    pq_case("parquet-binary", {"input": [b"\x00\x01"], "expected": ["a"]}, "d.parquet:1: input"),
    pq_case("parquet-nan", {"input": ["a", "b"], "expected": [1.0, float("nan")]}, "d.parquet:2:"),
    pq_case("parquet-null", {"input": ["a", "b"], "expected": ["x", None]}, "d.parquet:2:"),
    pq_case("parquet-missing-column", {"text": ["a"], "expected": ["x"]}, "input: no such column"),
    pq_case("parquet-empty", {"input": pa.array([], pa.string()), "expected": []}, "empty file"),
    Case("parquet-corrupt", {"d.parquet": b"PAR1 junk"}, ["check", "{dir}/d.parquet"], "d.parquet"),
    # --- files ---------------------------------------------------------------------------
    Case("file-missing", {}, ["check", "{dir}/nope.jsonl"], "{dir}/nope.jsonl: no such file"),
    Case("file-is-folder", {"d.jsonl": folder}, where=f"{D}: not a file"),
    Case("file-is-fifo", {"d.jsonl": fifo}, where=f"{D}: not a file"),
    Case("file-symlink-loop", {"d.jsonl": loop}, where=D),
    Case("file-unknown-type", {"d.txt": "x"}, ["check", "{dir}/d.txt"], "unknown file type '.txt'"),
    # --- task specs ----------------------------------------------------------------------
    spec("spec-invalid-yaml", "data: d.jsonl\nbar: [0.5\n", "{dir}/task.yaml:3: invalid YAML"),
    spec("spec-unknown-key", "data: d.jsonl\nexpectd: x\n", "{dir}/task.yaml:2: expectd"),
    spec("spec-not-a-mapping", "- data\n", "{dir}/task.yaml: the task spec must be a mapping"),
    spec("spec-not-utf8", b"data: d.jsonl\nname: caf\xe9\n", "{dir}/task.yaml: cannot read"),
    spec("spec-template-attribute", "data: d.jsonl\ninput: '{input.__class__}'\n", "only plain"),
    spec("spec-template-index", "data: d.jsonl\ninput: '{input[0]}'\n", "only plain field names"),
    spec("spec-template-conversion", "data: d.jsonl\ninput: '{input!r}'\n", "conversions"),
    spec("spec-template-nested", "data: d.jsonl\ninput: '{input:{expected}}'\n", "format spec"),
    spec("spec-template-positional", "data: d.jsonl\ninput: '{0}'\n", "needs field names"),
    spec("spec-labels-one-to-scorer", "data: d.jsonl\nlabels: ['Yes', 'yes']\n", "one label"),
    spec("spec-labels-same", "data: d.jsonl\nlabels: ['yes', 'yes']\n", "labels must be distinct"),
    spec("spec-bar-out-of-range", "data: d.jsonl\nbar: 7\n", "bar"),
    spec("spec-data-missing", "data: nope.jsonl\n", "nope.jsonl: no such file"),
    spec("spec-empty-input-field", "data: d.jsonl\ninput: ' '\n", "input"),
    spec("spec-duplicate-key", "data: d.jsonl\nbar: 0.5\nbar: 0.9\n", "task.yaml:3: duplicate key"),
    spec("spec-duplicate-nested-key", "data: d.jsonl\nsplit:\n  seed: 1\n  seed: 2\n", "yaml:4:"),
    spec("spec-billion-laughs", LAUGHS, "{dir}/task.yaml:7: anchors and aliases expand"),
    spec("spec-alias-cycle", "data: d.jsonl\nlabels: &l [yes, *l]\n", "task.yaml:2: an alias"),
    spec(
        "spec-python-tag", "data: d.jsonl\nbar: !!python/object/apply:os.system [id]\n", "yaml:2:"
    ),
    spec(
        "spec-two-documents",
        "data: d.jsonl\n---\nbar: 0.5\n",
        "task.yaml:2: invalid YAML: expected a single document",
    ),
    spec("spec-duplicate-data-key", "data: d.jsonl\nbar: 0.5\ndata: e.jsonl\n", "yaml:3:"),
    spec("spec-deep-nesting", "data: d.jsonl\nbar: " + DEEP + "\n", "{dir}/task.yaml"),
    spec("spec-key-env-any-secret", f"{SERVED}  api_key_env: AWS_SECRET_ACCESS_KEY\n", "yaml:4:"),
    spec("spec-insecure-key-in-file", f"{SERVED}  allow_insecure_key: true\n", "yaml:4: api.allow"),
    # --- command-line flags --------------------------------------------------------------
    flags("flag-bar-too-high", "--bar", "3", where="bar"),
    flags("flag-test-fraction-zero", "--test-fraction", "0", where="--test-fraction: "),
    flags("flag-one-label", "--labels", "yes", where="at least two labels"),
    flags("flag-bogus-scorer", "--scorer", "bogus", where="scorer"),
    flags("flag-input-attribute", "--input", "{input.__class__.__mro__}", where="only plain"),
    flags("flag-unknown-model", "--model", "no-such-model", where="no-such-model", scripted=False),
    flags(
        "flag-model-url-with-credentials",
        "--model",
        "https://user:hunter2@example.invalid/v1:m",
        where="credentials do not belong in the URL",
        scripted=False,
    ),
    flags("flag-docs-missing", "--docs", "{dir}/no-docs", where="no-docs"),
    flags("flag-docs-is-a-file", "--docs", "{dir}/d.jsonl", where="docs must be a folder"),
    flags("flag-min-examples-negative", "--min-examples", "-5", where="--min-examples: "),
    flags(
        "flag-key-over-plain-http",
        *("--model", "http://10.0.0.7:8000/v1:m", "--api-key-env", "CORPUS_API_KEY"),
        where="would go over plain http to http://10.0.0.7:8000/v1",
        scripted=False,
    ),
    flags(
        "flag-key-over-plain-http-allowed-but-unset",
        *("--model", "http://10.0.0.7:8000/v1:m", "--api-key-env", "CORPUS_UNSET_TOKEN"),
        "--allow-insecure-key",
        where="set the API key in $CORPUS_UNSET_TOKEN",
        scripted=False,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_input(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, content in case.files.items():
        path = tmp_path / name
        if callable(content):
            content(path)
        elif isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
    if case.scripted:
        use_scripted_model(monkeypatch)
    outcome = invoke([arg.replace("{dir}", str(tmp_path)) for arg in case.args])
    assert_clean_exit(outcome, case.code)
    if case.where is not None:
        assert case.where.replace("{dir}", str(tmp_path)) in outcome.output, outcome.output
    assert "hunter2" not in outcome.output


def test_the_corpus_is_large() -> None:
    assert len(CASES) >= 60

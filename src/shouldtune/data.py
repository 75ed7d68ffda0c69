"""Load the user's examples (.jsonl, .json, .csv, .parquet) and validate every record.

Every problem is collected with its file, line and field and raised once as a DataError, so the
user fixes the whole file in one pass instead of meeting one error per run.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import hashlib
import io
import json
import math
import re
import string
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shouldtune.labels import canonical_spellings, colliding
from shouldtune.records import Example
from shouldtune.spec import TaskSpec

MAX_ISSUES = 200
# Records nest at most this deep (the record itself is level 1): deeper values are not data a
# prompt can use, and they exhaust Python's recursion in the parser and in JSON rendering.
MAX_DEPTH = 64
SUFFIXES = (".jsonl", ".json", ".csv", ".parquet")

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
# Text files that say their encoding with a byte order mark; UTF-32 first (its LE mark starts
# with UTF-16's).
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class _BadJson(ValueError):
    """JSON that Python's parser accepts but the data must not hold (NaN, duplicate keys)."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise _BadJson(f"duplicate key '{key}' in one object (which value is meant?)")
        seen.add(key)
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise _BadJson(f"{name} is not valid JSON (use null, or a number)")


_STRICT = json.JSONDecoder(object_pairs_hook=_unique_keys, parse_constant=_no_constant)


@dataclass(frozen=True)
class DataIssue:
    """One problem in the examples file; `line` is the row for Parquet."""

    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [where] if self.field is None else [where, self.field]
        return ": ".join([*parts, self.message])


def grouped(issues: Sequence[DataIssue], shown: int = 5) -> list[str]:
    """One line per distinct problem: a typo in a label repeated on 30 rows is one line that
    names the first few of them, not 30 lines that say the same."""
    groups: dict[tuple[str, str | None, str], list[int | None]] = {}
    for issue in issues:
        groups.setdefault((issue.file, issue.field, issue.message), []).append(issue.line)
    out = []
    for (file, key, message), lines in groups.items():
        numbers = [str(n) for n in lines if n is not None]
        # The first line keeps the file:line: form editors and CI annotations read.
        where = f"{file}:{numbers[0]}" if numbers else file
        text = ": ".join([where, *([key] if key is not None else []), message])
        if len(numbers) > 1:
            also = ", ".join(numbers[1:shown])
            more = f" and {len(numbers) - shown} more" if len(numbers) > shown else ""
            text += f" (also line{'s' if len(numbers) > 2 else ''} {also}{more})"
        out.append(text)
    return out


class DataError(Exception):
    """The examples file has problems; `issues` lists all of them (capped at MAX_ISSUES)."""

    def __init__(self, issues: list[DataIssue]) -> None:
        super().__init__("\n".join(grouped(issues)))
        self.issues = issues


class _Issues:
    def __init__(self, file: str) -> None:
        self.file = file
        self.kept: list[DataIssue] = []
        self.dropped = 0

    def add(self, line: int | None, field: str | None, message: str) -> None:
        if len(self.kept) < MAX_ISSUES:
            self.kept.append(DataIssue(self.file, line, field, message))
        else:
            self.dropped += 1

    def __len__(self) -> int:
        return len(self.kept) + self.dropped

    def all(self) -> list[DataIssue]:
        if not self.dropped:
            return list(self.kept)
        more = DataIssue(self.file, None, None, f"... and {self.dropped} more problems")
        return [*self.kept, more]


@dataclass
class _Source:
    """Records as (line, size in bytes, parsed value), plus the columns of tabular files."""

    records: Iterable[tuple[int, int, object]]
    columns: list[str] | None = None
    header_line: int | None = None


@dataclass
class _Plan:
    """What each record must provide, worked out once from the spec."""

    input: str
    input_fields: list[str]
    template: bool
    expected: str
    id_field: str | None
    labels: list[str] | None
    needs: dict[str, str] = field(default_factory=dict)  # field -> why records need it
    reported_missing: set[str] = field(default_factory=set)


class _TemplateFormatter(string.Formatter):
    # Without a format spec, values render like the expected field does (JSON-style for
    # bools, lists and objects); with one ("{score:.2f}") Python's own formatting applies.
    def format_field(self, value: Any, format_spec: str) -> Any:
        if not format_spec:
            return to_text(value)
        return super().format_field(value, format_spec)


def load_examples(
    spec: TaskSpec, *, max_record_bytes: int = 1_000_000, max_records: int = 1_000_000
) -> list[Example]:
    """Read and validate `spec.data`; raise DataError listing every problem found."""
    path = spec.data
    issues = _Issues(str(path))
    plan = _plan(spec, issues)
    source = _open(path, issues) if plan is not None else None
    if plan is None or source is None:
        raise DataError(issues.all())
    if source.columns is not None:
        _check_columns(source, plan, issues)
    examples: list[Example] = []
    first_line_of_id: dict[str, int] = {}
    n_records = 0
    with _csv_field_limit(max_record_bytes):
        for line, size, record in source.records:
            n_records += 1
            if n_records > max_records:
                issues.add(line, None, f"more than {max_records:,} records (max_records)")
                break
            if size > max_record_bytes:
                issues.add(
                    line,
                    None,
                    f"record is {size:,} bytes, over the {max_record_bytes:,}-byte limit "
                    "(max_record_bytes)",
                )
                continue
            example = _example(line, record, plan, issues, first_line_of_id)
            if example is not None:
                examples.append(example)
    if n_records == 0 and not issues:
        issues.add(None, None, "no records found (the file holds no examples)")
    if issues:
        raise DataError(issues.all())
    return examples


@dataclass(frozen=True)
class RawRecords:
    """The first records of a file as read, before any spec names its fields (`init`)."""

    records: list[tuple[int, dict[str, Any]]]
    """(line, record); the line is the row for Parquet."""
    columns: list[str]
    """The header of a tabular file, else every key in the order first seen."""
    truncated: bool
    """More records follow the ones read."""


def read_records(
    path: Path, *, max_records: int = 10_000, max_record_bytes: int = 1_000_000
) -> RawRecords:
    """The first `max_records` records of any supported file, each an object with fields.

    The file's problems (its type, encoding, syntax, a record that is not an object) raise
    DataError with file:line, as `load_examples` does; no field is required here.
    """
    issues = _Issues(str(path))
    source = _open(path, issues)
    if source is None:
        raise DataError(issues.all())
    rows: list[tuple[int, dict[str, Any]]] = []
    truncated = False
    with _csv_field_limit(max_record_bytes):
        for line, size, record in source.records:
            if len(rows) >= max_records:
                truncated = True
                break
            if size > max_record_bytes:
                issues.add(
                    line,
                    None,
                    f"record is {size:,} bytes, over the {max_record_bytes:,}-byte limit",
                )
            elif not isinstance(record, dict):
                issues.add(
                    line, None, f"record is a JSON {_kind(record)}, not an object with fields"
                )
            else:
                rows.append((line, record))
    if not rows and not issues:
        issues.add(None, None, "no records found (the file holds no examples)")
    if issues:
        raise DataError(issues.all())
    columns = list(source.columns) if source.columns is not None else []
    if source.columns is None:
        for _, record in rows:
            columns.extend(key for key in record if key not in columns)
    return RawRecords(rows, columns, truncated)


def to_text(value: object) -> str:
    """A field value as text: strings as they are, JSON for bools, null, lists and objects."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def content_id(input_text: str, expected: str) -> str:
    """Id from content alone, so it survives the file being reordered."""
    digest = hashlib.sha256(f"{input_text}\x1f{expected}".encode()).hexdigest()
    return digest[:12]


# --- the spec's fields -------------------------------------------------------------------


def template_fields(template: str) -> list[str]:
    """Field names a '{title}: {body}' template uses; [] when it is a plain field name.

    Raises ValueError for anything but plain names with optional format specs: attribute
    and index access ('{text.__class__}', '{a[0]}'), conversions ('{a!r}') and fields nested
    in a format spec would render Python internals, not the user's data, into prompts.
    """
    names: list[str] = []
    for _, name, format_spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if not name or name.isdigit():
            raise ValueError(f"'{{{name}}}': the template needs field names, like '{{title}}'")
        if _NOT_PLAIN.search(name):
            raise ValueError(
                f"'{{{name}}}': only plain field names are allowed (no '.', '[' or ']'); "
                "a nested value can be flattened into its own field"
            )
        if conversion is not None:
            raise ValueError(f"'{{{name}!{conversion}}}': conversions (!r, !s, !a) are not allowed")
        if format_spec and "{" in format_spec:
            raise ValueError(f"'{{{name}:{format_spec}}}': fields inside a format spec")
        if name not in names:
            names.append(name)
    return names


_NOT_PLAIN = re.compile(r"[.\[\]]")


def _plan(spec: TaskSpec, issues: _Issues) -> _Plan | None:
    try:
        names = template_fields(spec.input)
    except ValueError as error:
        issues.add(None, "input", f"the input template '{spec.input}' is not valid: {error}")
        return None
    for group in colliding(spec.labels or []):
        issues.add(
            None,
            "labels",
            f"{_names(repr(label) for label in group)} are one label to the scorer (case, "
            "width, spaces, '_' and '-' are ignored): keep one",
        )
        return None
    if names:
        needs = dict.fromkeys(names, "the input template uses it")
    else:
        needs = {spec.input: f"records need the input field '{spec.input}'"}
    needs.setdefault(spec.expected, f"records need the expected field '{spec.expected}'")
    if spec.id_field is not None:
        needs.setdefault(spec.id_field, f"id_field is '{spec.id_field}': every record needs an id")
    return _Plan(
        input=spec.input,
        input_fields=names or [spec.input],
        template=bool(names),
        expected=spec.expected,
        id_field=spec.id_field,
        labels=spec.labels,
        needs=needs,
    )


def _check_columns(source: _Source, plan: _Plan, issues: _Issues) -> None:
    # A missing column is one problem, not one per row.
    columns = source.columns or []
    for name, why in plan.needs.items():
        if name not in columns and name not in plan.reported_missing:
            plan.reported_missing.add(name)
            issues.add(
                source.header_line, name, f"no such column ({why}; columns: {_names(columns)})"
            )


# --- reading each format -----------------------------------------------------------------


def _open(path: Path, issues: _Issues) -> _Source | None:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        issues.add(
            None,
            None,
            f"unknown file type '{suffix or '(none)'}': use one of {', '.join(SUFFIXES)}",
        )
        return None
    if not path.exists():
        where = path if path.is_absolute() else f"{path} in {Path.cwd()}"
        issues.add(None, None, f"no such file (looked for {where})")
        return None
    if not path.is_file():
        issues.add(None, None, "not a file")
        return None
    if suffix == ".parquet":
        return _parquet_source(path, issues)
    text = _read_text(path, issues)
    if text is None:
        return None
    if not text.strip():
        issues.add(None, None, "empty file: no records")
        return None
    if suffix == ".jsonl":
        return _Source(_jsonl_records(text, issues))
    if suffix == ".json":
        return _Source(_json_records(text, issues))
    return _csv_source(text, issues)


def _read_text(path: Path, issues: _Issues) -> str | None:
    try:
        raw = path.read_bytes()
    except OSError as error:
        issues.add(None, None, f"cannot read: {error.strerror or error}")
        return None
    # Spreadsheet exports often start with a byte order mark; it is not part of the data, but
    # it says the encoding (Excel and PowerShell write UTF-16 with one).
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                issues.add(1, None, f"not valid {encoding.upper()} text (save the file as UTF-8)")
                return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - raw.rfind(b"\n", 0, error.start)
        issues.add(
            line,
            None,
            f"not UTF-8 text: byte 0x{raw[error.start]:02x} at column {column} cannot be decoded "
            "(save the file as UTF-8)",
        )
        return None


def _jsonl_records(text: str, issues: _Issues) -> Iterator[tuple[int, int, object]]:
    # Split on "\n" only: str.splitlines would also split on U+2028, which JSON strings may hold.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = _STRICT.decode(line)
        except json.JSONDecodeError as error:
            hint = " (a JSON array? name the file .json)" if line.strip() == "[" else ""
            issues.add(number, None, f"invalid JSON: {error.msg} (column {error.colno}){hint}")
            continue
        except _BadJson as error:
            issues.add(number, None, f"invalid JSON: {error}")
            continue
        except RecursionError:
            value = _TOO_DEEP
        if value is _TOO_DEEP or _depth(value) > MAX_DEPTH:
            issues.add(number, None, _too_deep(line))
            continue
        yield number, len(line.encode()), value


def _json_records(text: str, issues: _Issues) -> Iterator[tuple[int, int, object]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        issues.add(error.lineno, None, f"invalid JSON: {error.msg} (column {error.colno})")
        return
    except RecursionError:
        offset = _deep_offset(text)
        line = 1 if offset is None else text.count("\n", 0, offset) + 1
        issues.add(line, None, _too_deep(text))
        return
    decoder = json.JSONDecoder()
    if isinstance(document, list):
        start = _skip(text, 0)
    elif isinstance(document, dict):
        lists = [key for key, value in document.items() if isinstance(value, list)]
        if len(lists) != 1:
            issues.add(
                1,
                None,
                "expected an array of records, or an object holding one list of records "
                f"(this object holds {len(lists)} lists: {_names(lists)})",
            )
            return
        start = _member_start(text, lists[0], decoder)
    else:
        issues.add(1, None, f"expected an array of records, found a JSON {_kind(document)}")
        return
    for line, size, value in _array_elements(text, start, decoder):
        try:
            strict = _STRICT.decode(value)
        except _BadJson as error:
            issues.add(line, None, f"invalid JSON: {error}")
            continue
        if _depth(strict) > MAX_DEPTH:
            issues.add(line, None, _too_deep(value))
            continue
        yield line, size, strict


_TOO_DEEP = object()


def _depth(value: object) -> int:
    """How deep lists and objects nest (a scalar is 0), counted without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Iterable[object] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def _deep_offset(text: str) -> int | None:
    """Where the JSON text first nests deeper than MAX_DEPTH (brackets in strings skipped)."""
    depth = 0
    for match in _JSON_TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return match.start()
        elif token in "]}":
            depth -= 1
    return None


def _too_deep(text: str) -> str:
    offset = _deep_offset(text)
    where = "" if offset is None else f" (column {offset - text.rfind(chr(10), 0, offset)})"
    return f"nested more than {MAX_DEPTH} levels deep{where}: flatten the record"


def _skip(text: str, pos: int) -> int:
    match = _WHITESPACE.match(text, pos)
    return match.end() if match else pos


def _member_start(text: str, key: str, decoder: json.JSONDecoder) -> int:
    """Offset of the value of `key` in the top-level object (the text is known to be valid)."""
    pos = _skip(text, 0) + 1
    found = -1
    while True:
        name, pos = decoder.raw_decode(text, _skip(text, pos))
        pos = _skip(text, _skip(text, pos) + 1)
        if name == key:
            found = pos  # later duplicates win, as in json.loads
        _, pos = decoder.raw_decode(text, pos)
        pos = _skip(text, pos)
        if text[pos] == "}":
            return found
        pos += 1


def _array_elements(
    text: str, start: int, decoder: json.JSONDecoder
) -> Iterator[tuple[int, int, str]]:
    """Each element's JSON text in the array at `start`, with the line it starts on."""
    pos = start + 1
    line = text.count("\n", 0, pos) + 1
    counted = pos
    while True:
        pos = _skip(text, pos)
        if text[pos] == "]":
            return
        line += text.count("\n", counted, pos)
        counted = pos
        _, end = decoder.raw_decode(text, pos)
        yield line, len(text[pos:end].encode()), text[pos:end]
        pos = _skip(text, end)
        if text[pos] == ",":
            pos += 1


def _csv_source(text: str, issues: _Issues) -> _Source | None:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next((row for row in reader if not _blank_row(row)), None)
    except csv.Error as error:
        issues.add(reader.line_num, None, f"invalid CSV: {error}")
        return None
    if header is None:
        issues.add(None, None, "empty file: no records")
        return None
    header_line = reader.line_num
    # Spreadsheets save columns someone once touched as trailing unnamed ones (`a,b,,`).
    while header and not header[-1].strip():
        header = header[:-1]
    if any(not name.strip() for name in header):
        issues.add(header_line, None, "a column has no name in the header")
    for name in sorted({name for name in header if header.count(name) > 1 and name.strip()}):
        issues.add(header_line, name, "column appears more than once in the header")
    return _Source(_csv_rows(reader, header, issues), header, header_line)


def _csv_rows(reader: Any, header: list[str], issues: _Issues) -> Iterator[tuple[int, int, object]]:
    previous = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            # The reader's position is unreliable after an error, so stop here.
            issues.add(reader.line_num, None, f"invalid CSV: {error}")
            return
        # line_num counts physical lines, so a quoted value spanning lines still gets its start.
        line, previous = previous + 1, reader.line_num
        if _blank_row(row):
            continue
        if len(row) > len(header) and _blank_row(row[len(header) :]):
            row = row[: len(header)]  # the values of trailing unnamed, empty columns
        if len(row) != len(header):
            issues.add(
                line,
                None,
                f"row has {_count(len(row), 'value')} but the header has {len(header)} columns",
            )
            continue
        yield line, len(",".join(row).encode()), dict(zip(header, row, strict=True))


def _blank_row(row: Sequence[str]) -> bool:
    # Spreadsheets export empty rows as ",,,"; they are not records.
    return all(not value.strip() for value in row)


@contextmanager
def _csv_field_limit(max_record_bytes: int) -> Iterator[None]:
    # csv refuses fields over 128 KiB by default; the record size limit is the one that applies.
    previous = csv.field_size_limit()
    csv.field_size_limit(max(previous, max_record_bytes + 1))
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _parquet_source(path: Path, issues: _Issues) -> _Source | None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, ValueError, pa.ArrowException) as error:
        issues.add(None, None, f"cannot read as Parquet: {error}")
        return None
    if table.num_rows == 0:
        issues.add(None, None, "empty file: no records")
        return None
    return _Source(_parquet_rows(table, issues), list(table.column_names), None)


def _parquet_rows(table: Any, issues: _Issues) -> Iterator[tuple[int, int, object]]:
    import pyarrow as pa

    row_number = 0
    for batch in table.to_batches():
        try:
            records = batch.to_pylist()
        except (ValueError, OverflowError, pa.ArrowException) as error:
            # A value Python cannot hold (a date out of range, say) stops the file here.
            issues.add(row_number + 1, None, f"cannot read the rows from here on: {error}")
            return
        for record in records:
            row_number += 1
            if _depth(record) > MAX_DEPTH:
                issues.add(row_number, None, f"nested more than {MAX_DEPTH} levels deep")
                continue
            size = len(json.dumps(record, ensure_ascii=False, default=str).encode())
            yield row_number, size, record


# --- one record --------------------------------------------------------------------------


def _example(
    line: int,
    record: object,
    plan: _Plan,
    issues: _Issues,
    first_line_of_id: dict[str, int],
) -> Example | None:
    if not isinstance(record, dict):
        issues.add(line, None, f"record is a JSON {_kind(record)}, not an object with fields")
        return None
    before = len(issues)
    input_text = _input(line, record, plan, issues)
    expected = _expected(line, record, plan, issues)
    example_id = _id(line, record, plan, issues, first_line_of_id)
    if len(issues) > before or input_text is None or expected is None:
        return None
    return Example(
        id=example_id or content_id(input_text, expected),
        input=input_text,
        expected=expected,
        line=line,
        fields=record,
    )


def _input(line: int, record: dict[str, Any], plan: _Plan, issues: _Issues) -> str | None:
    ok = True
    for name in plan.input_fields:
        if _absent(line, record, name, plan, issues):
            ok = False
        elif record[name] is None:
            ok = False
            issues.add(line, name, f"null ({plan.needs[name]})")
        elif (problem := _not_text(record[name])) is not None:
            ok = False
            issues.add(line, name, problem)
    if not ok:
        return None
    if not plan.template:
        text = to_text(record[plan.input_fields[0]]).strip()
        if not text:
            issues.add(line, plan.input_fields[0], "blank (the input is empty)")
        return text
    try:
        text = _TemplateFormatter().vformat(plan.input, (), record).strip()
    except (AttributeError, IndexError, KeyError, TypeError, ValueError) as error:
        issues.add(line, None, f"cannot fill the input template: {error!r}")
        return None
    if not text:
        issues.add(line, None, "blank input (the input template renders to nothing)")
    return text


def _expected(line: int, record: dict[str, Any], plan: _Plan, issues: _Issues) -> str | None:
    name = plan.expected
    if _absent(line, record, name, plan, issues):
        return None
    value = record[name]
    if value is None:
        issues.add(line, name, "null (every record needs an expected output)")
        return None
    if (problem := _not_text(value)) is not None:
        issues.add(line, name, problem)
        return None
    text = to_text(value).strip()
    if not text:
        issues.add(line, name, "blank (every record needs an expected output)")
        return None
    if plan.labels is not None:
        # The declared spelling of the same label ("yes" for "Yes"): see shouldtune.labels.
        declared = canonical_spellings([text], plan.labels).get(text, text)
        if declared not in plan.labels:
            close = difflib.get_close_matches(text, plan.labels, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            issues.add(
                line, name, f"'{text}' is not one of the labels ({_names(plan.labels)}){hint}"
            )
        return declared
    return text


def _id(
    line: int,
    record: dict[str, Any],
    plan: _Plan,
    issues: _Issues,
    first_line_of_id: dict[str, int],
) -> str | None:
    name = plan.id_field
    if name is None or _absent(line, record, name, plan, issues):
        return None
    value = record[name]
    text = "" if value is None else to_text(value).strip()
    if not text:
        issues.add(line, name, f"blank id ({plan.needs[name]})")
        return None
    first = first_line_of_id.setdefault(text, line)
    if first != line:
        issues.add(line, name, f"duplicate id '{text}' (first used on line {first})")
    return text


def _not_text(value: object) -> str | None:
    """Why a value cannot stand for text, or None. Parquet and pandas exports hold these."""
    if isinstance(value, bytes | bytearray | memoryview):
        return "binary data, not text (store it as a string column)"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value} is not a value (a missing number? fill it in or drop the record)"
    return None


def _absent(line: int, record: dict[str, Any], name: str, plan: _Plan, issues: _Issues) -> bool:
    """Whether the record lacks the field; reported unless its whole column already was."""
    if name in record:
        return False
    if name not in plan.reported_missing:
        why = plan.needs[name]
        issues.add(line, name, f"missing ({why}; fields present: {_names(record)})")
    return True


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return "number" if math.isfinite(value) else "non-finite number"
    return type(value).__name__


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _names(names: Iterable[str], limit: int = 12) -> str:
    listed = list(names)
    if not listed:
        return "(none)"
    shown = ", ".join(str(name) for name in listed[:limit])
    return shown if len(listed) <= limit else f"{shown}, ... ({len(listed)} in all)"

"""Hostile input through the CLI in-process: user text that looks like markup, and friends.

Each case asserts an exit code and that no traceback or escaped exception reaches the user.
The model is scripted (tests.hostile), so no weights are read.
"""

from __future__ import annotations

import ctypes
import os
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import ClassVar

import pytest

from shouldtune.cache import CallCache
from shouldtune.data import DataError, load_examples
from shouldtune.ladder import prepare
from shouldtune.models.registry import load_model, requantized_q8_0
from shouldtune.models.remote import parse_remote
from shouldtune.rag.documents import read_documents
from shouldtune.results import Prepared
from shouldtune.rundir import RunDir, write_json_atomic
from shouldtune.scoring import JsonScorer
from shouldtune.spec import TaskSpec
from tests.fakes import ScriptedModel
from tests.hostile import (
    assert_clean_exit,
    echo_label,
    invoke,
    label_rows,
    use_scripted_model,
    write_jsonl,
)

MARKUP_LABELS = ["[/INST]", "[bold]", "[red]x[/]"]


@pytest.fixture
def markup_data(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "[bold]data[red].jsonl", label_rows(MARKUP_LABELS, n=45))


def test_check_shows_markup_labels_verbatim(
    markup_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_scripted_model(monkeypatch)
    outcome = invoke(["check", str(markup_data), "--input", "text", "--expected", "label"])
    assert_clean_exit(outcome, 0)
    assert "[/INST]" in outcome.output
    assert "[bold]" in outcome.output


def test_run_shows_markup_labels_and_paths_verbatim(
    markup_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_scripted_model(monkeypatch)
    args = ["run", str(markup_data), "--input", "text", "--expected", "label"]
    args += ["--rungs", "zero_shot,few_shot", "--calibrate", "off"]
    args += ["--runs-dir", str(tmp_path / "[red]runs"), "--max-test", "12"]
    outcome = invoke(args)
    assert_clean_exit(outcome, 0)
    assert "[red]runs" in outcome.output  # the run directory line, printed as written


def test_run_warning_with_markup_label_is_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A label with one example makes the pre-check warn, quoting the label.
    rows = [*label_rows(["[/INST]", "[bold]"], n=20), {"text": "lone => [/x]", "label": "[/x]"}]
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    use_scripted_model(monkeypatch)
    outcome = invoke(["check", str(data), "--input", "text", "--expected", "label"])
    assert_clean_exit(outcome, 0)
    assert "'[/x]'" in outcome.output


def test_error_message_with_markup_is_printed_verbatim(tmp_path: Path) -> None:
    # The error quotes the flag's value; markup in it must not crash the printer.
    outcome = invoke(["run", str(tmp_path / "d.jsonl"), "--fail-unless", "[/INST]"])
    assert_clean_exit(outcome, 2)
    assert "[/INST]" in outcome.output


# --- data: one label identity, Unicode forms, encodings -------------------------------------


def _prepare(spec: TaskSpec) -> Prepared:
    return prepare(spec, ScriptedModel(echo_label))


def test_labels_differing_in_case_are_one_label_everywhere(tmp_path: Path) -> None:
    rows = [{"text": f"q{i}", "label": ["Yes", "yes", "No", "NO."][i % 4]} for i in range(40)]
    spec = TaskSpec(data=write_jsonl(tmp_path / "d.jsonl", rows), input="text", expected="label")
    prepared = _prepare(spec)
    assert prepared.labels == ["No", "Yes"]  # the most common spelling, first seen on a tie
    assert prepared.precheck.label_distribution == {"No": 20, "Yes": 20}
    assert {ex.expected for ex in prepared.split.test} == {"No", "Yes"}


def test_declared_labels_take_the_data_in_any_case(tmp_path: Path) -> None:
    rows = [{"text": f"q{i}", "label": ["yes", "NO"][i % 2]} for i in range(20)]
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    spec = TaskSpec(data=data, input="text", expected="label", labels=["Yes", "No"])
    assert {ex.expected for ex in load_examples(spec)} == {"Yes", "No"}


def test_declared_labels_that_the_scorer_cannot_tell_apart_are_refused(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", label_rows(["a"], n=2))
    labels = ["card_arrival", "Card Arrival"]
    spec = TaskSpec(data=data, input="text", expected="label", labels=labels)
    with pytest.raises(DataError, match="one label to the scorer"):
        load_examples(spec)


def test_full_width_input_is_a_duplicate_and_a_conflict(tmp_path: Path) -> None:
    rows = [*label_rows(["pos", "neg"], n=20)]
    rows += [{"text": "ＨＥＬＬＯ world", "label": "pos"}, {"text": "hello world", "label": "neg"}]
    rows += [{"text": "café ok", "label": "pos"}, {"text": "cafe\u0301 ok", "label": "pos"}]
    spec = TaskSpec(data=write_jsonl(tmp_path / "d.jsonl", rows), input="text", expected="label")
    report = _prepare(spec).precheck
    assert report.exact_duplicates == 1  # é precomposed and decomposed
    assert [group.lines for group in report.conflicting_duplicates] == [[21, 22]]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-8-sig"])
def test_files_with_a_byte_order_mark_are_read(tmp_path: Path, encoding: str) -> None:
    text = "text,label\r\nhello,a\r\nbye,b\r\n"
    data = tmp_path / "d.csv"
    data.write_bytes(text.encode(encoding))
    spec = TaskSpec(data=data, input="text", expected="label")
    assert [(ex.input, ex.expected, ex.line) for ex in load_examples(spec)] == [
        ("hello", "a", 2),
        ("bye", "b", 3),
    ]


@pytest.mark.parametrize(
    "template",
    ["{text.__class__.__mro__}", "{text[0]}", "{text!r}", "{text:{width}}", "{0}", "{}"],
)
def test_templates_allow_field_names_and_format_specs_only(tmp_path: Path, template: str) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", label_rows(["a", "b"], n=4))
    with pytest.raises(DataError) as info:
        load_examples(TaskSpec(data=data, input=template, expected="label"))
    (issue,) = info.value.issues
    assert issue.line is None
    assert "the input template" in issue.message


def test_template_with_format_spec_still_renders(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", [{"x": 1.23456, "label": "a"}])
    (example,) = load_examples(TaskSpec(data=data, input="x={x:.2f}", expected="label"))
    assert example.input == "x=1.23"


# --- model outputs, docs folders, shared caches ----------------------------------------------


def test_json_scorer_scores_a_degenerate_deep_output_as_invalid() -> None:
    scorer = JsonScorer()
    for output in (
        "[" * 100_000,
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 50_000 + "1" + "}" * 50_000,
    ):
        score = scorer.score(output, '{"a": 1}')
        assert (score.value, score.category) == (0.0, "invalid_json")


def test_docs_folder_skips_pipes_and_link_loops(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.md").write_text("# Title\n\nSome text.\n")
    os.mkfifo(docs / "pipe.md")  # reading it would block forever
    (docs / "loop.md").symlink_to(docs / "loop.md")
    (docs / "a.md").symlink_to(docs / "b.md")
    (docs / "b.md").symlink_to(docs / "a.md")
    (docs / "sub").mkdir()
    (docs / "sub" / "up").symlink_to(docs / "sub" / "up")
    found = read_documents(docs, max_file_bytes=10_000, max_total_bytes=100_000)
    assert [d.path for d in found.documents] == ["good.md"]
    assert sorted(s.path for s in found.skipped) == ["a.md", "b.md", "loop.md", "pipe.md", "sub/up"]


def test_docs_folder_contains_any_parser_exception(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.md").write_text("fine\n")
    (docs / "bad.pdf").write_bytes(b"%PDF-1.4 hostile")

    def explode(data: bytes) -> list[str]:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr("shouldtune.rag.documents._pdf_pages", explode)
    found = read_documents(docs, max_file_bytes=10_000, max_total_bytes=100_000)
    assert [d.path for d in found.documents] == ["good.md"]
    (skipped,) = found.skipped
    assert skipped.path == "bad.pdf"
    assert "RecursionError" in skipped.reason


def test_requantizing_once_under_a_lock_and_publishing_it_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[str] = []
    writing = threading.Event()

    class Params(ctypes.Structure):
        _fields_: ClassVar = [("ftype", ctypes.c_int), ("allow_requantize", ctypes.c_bool)]

    class FakeLlama:
        LLAMA_FTYPE_MOSTLY_Q8_0 = 7

        @staticmethod
        def llama_model_quantize_default_params() -> ctypes.Structure:
            return Params()

        @staticmethod
        def llama_model_quantize(source: bytes, out: bytes, params: object) -> int:
            written.append(out.decode())
            with open(out, "wb") as handle:
                handle.write(b"half")
                writing.set()
                time.sleep(0.5)  # the other run arrives mid-write: it must wait, not write
                handle.write(b" and whole")
            return 0

    monkeypatch.setattr("shouldtune.models.llamacpp._quiet_llama", lambda: FakeLlama)
    source = tmp_path / "m.gguf"
    source.write_bytes(b"gguf")
    results: list[Path] = []
    runs = [
        threading.Thread(target=lambda: results.append(requantized_q8_0(source, tmp_path)))
        for _ in range(2)
    ]
    runs[0].start()
    writing.wait(timeout=10)
    runs[1].start()
    for run in runs:
        run.join()
    assert len(written) == 1  # the second run waited on the lock and took the first's file
    assert results[0] == results[1]
    assert results[0].read_bytes() == b"half and whole"
    assert not list(results[0].parent.glob("*.tmp"))


# --- served models: no server, secrets in URLs, private folders ------------------------------


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("provider", ["http", "ollama"])
def test_no_server_listening_is_one_line_naming_the_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, provider: str
) -> None:
    port = _unused_port()
    monkeypatch.setenv("OLLAMA_HOST", f"http://user:s3cret-token@127.0.0.1:{port}")
    model = f"http://127.0.0.1:{port}/v1:m" if provider == "http" else "ollama:llama3.2"
    data = write_jsonl(tmp_path / "d.jsonl", label_rows(["a", "b"], n=20))
    started = time.monotonic()
    args = ["run", str(data), "--input", "text", "--expected", "label", "--model", model]
    outcome = invoke([*args, "--rungs", "zero_shot", "--runs-dir", str(tmp_path / "runs")])
    assert_clean_exit(outcome, 2)
    assert f"127.0.0.1:{port}/v1" in outcome.output
    assert "s3cret" not in outcome.output
    assert time.monotonic() - started < 20  # no backoff: the first refusal ends the run


def test_url_credentials_from_the_environment_stay_out_of_everything_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "https://user:s3cret-token@example.invalid/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-unused")
    ref = parse_remote("openai:gpt-x")
    assert "s3cret" not in ref.base_url
    assert ref.connect_url == "https://user:s3cret-token@example.invalid/v1"
    model = load_model("openai:gpt-x", CallCache(tmp_path / "cache"))
    assert "s3cret" not in model.info.model_dump_json()
    # The run directory's writer scrubs any URL credential that still reaches it.
    target = tmp_path / "r.json"
    write_json_atomic(target, {"note": "from https://bob:hunter2@host/x"})
    assert "hunter2" not in target.read_text()


def test_cache_and_run_folders_are_private(tmp_path: Path) -> None:
    cache = CallCache(tmp_path / "new" / "cache")
    cache.close()
    run = RunDir.create(tmp_path / "runs", "task")
    for folder in (tmp_path / "new", tmp_path / "new" / "cache", tmp_path / "runs", run.path):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


@pytest.mark.slow
def test_first_use_of_the_builtin_model_prints_no_loader_log(tmp_path: Path) -> None:
    # Requantizing the shipped model once printed ~300 lines of llama.cpp logs.
    code = (
        "import sys; from pathlib import Path; "
        "from shouldtune.models.registry import builtin_path; "
        "builtin_path('smollm2-135m', Path(sys.argv[1]))"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "cache")],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=True,
    )
    assert done.stderr.strip() == ""
    assert done.stdout.strip() == ""

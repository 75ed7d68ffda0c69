"""Hostile input through the CLI in-process: user text that looks like markup, and friends.

Each case asserts an exit code and that no traceback or escaped exception reaches the user.
The model is scripted (tests.hostile), so no weights are read.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile import assert_clean_exit, invoke, label_rows, use_scripted_model, write_jsonl

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

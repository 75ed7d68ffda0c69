"""Control sequences in other people's data never reach the user's terminal raw."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shouldtune.terminal_text import escape, visible
from tests.hostile import assert_clean_exit, invoke, use_scripted_model

TITLE = "\x1b]0;owned\x07"  # sets the terminal window's title
RED = "\x1b[31m"
CLEAR = "\x1b[2J"


def test_visible_shows_controls_and_keeps_text() -> None:
    assert visible(f"a{RED}b\tc\nd") == "a\\x1b[31mb\tc\nd"
    assert visible("\x9b2J") == "\\x9b2J"
    assert escape("[bold]x\x07") == "\\[bold]x\\x07"


@pytest.mark.parametrize("command", ["check", "run"])
def test_escapes_in_labels_inputs_and_names_are_shown_not_sent(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    labels = [f"good{RED}", f"bad{TITLE}"]
    rows = [
        {"text": f"item {i} {CLEAR}=> {labels[i % 2]}", "label": labels[i % 2]} for i in range(60)
    ]
    data = tmp_path / f"d{CLEAR}.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    # The file name reaches the terminal too, in the stages and the run folder's name.
    use_scripted_model(monkeypatch)
    args = [command, str(data), "--input", "text", "--expected", "label"]
    if command == "run":
        args += ["--runs-dir", str(tmp_path / "runs"), "--rungs", "zero_shot"]
    outcome = invoke(args)
    assert_clean_exit(outcome, 0)
    assert "\x1b" not in outcome.output and "\x07" not in outcome.output
    assert "\\x1b" in outcome.output


def test_an_error_naming_a_hostile_file_is_shown_not_sent(tmp_path: Path) -> None:
    data = tmp_path / f"d{TITLE}.jsonl"
    data.write_text('{"input": "x"}\n{"input": \n')
    outcome = invoke(["check", str(data)])
    assert_clean_exit(outcome, 2)
    assert "\x1b" not in outcome.output and "\x07" not in outcome.output
    assert "\\x1b]0;owned\\x07" in outcome.output

"""Helpers for hostile-input tests: the CLI in-process with a scripted model, no weights.

`run` loads its model through `shouldtune.ladder.load_model` and `check` through
`shouldtune.models.registry.load_model`; `scripted_cli` swaps both for a ScriptedModel.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shouldtune.cli import app
from tests.fakes import ScriptedModel, last_input

runner = CliRunner()


@dataclass(frozen=True)
class Outcome:
    code: int
    output: str  # stdout and stderr together
    exception: BaseException | None


def invoke(args: Sequence[str]) -> Outcome:
    result = runner.invoke(app, list(args))
    # An exception that escaped the CLI (other than the SystemExit typer raises) is a crash.
    escaped = None if isinstance(result.exception, SystemExit) else result.exception
    return Outcome(result.exit_code, result.output, escaped)


def echo_label(prompt: str) -> str:
    """Answers the text after the last '=> ' of the input: the tests put the label there."""
    return last_input(prompt).rsplit("=> ", 1)[-1]


def use_scripted_model(
    monkeypatch: pytest.MonkeyPatch, answer: Callable[[str], str] = echo_label
) -> None:
    def load(reference: str, *args: object, **kwargs: object) -> ScriptedModel:
        return ScriptedModel(answer)

    monkeypatch.setattr("shouldtune.ladder.load_model", load)
    monkeypatch.setattr("shouldtune.models.registry.load_model", load)


def write_jsonl(path: Path, rows: Sequence[object]) -> Path:
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n")
    return path


def label_rows(labels: Sequence[str], n: int = 40) -> list[dict[str, str]]:
    """n records cycling through the labels; each input names its label after '=> '."""
    return [
        {"text": f"item {i} => {labels[i % len(labels)]}", "label": labels[i % len(labels)]}
        for i in range(n)
    ]


def assert_clean_exit(outcome: Outcome, code: int) -> None:
    assert outcome.exception is None, repr(outcome.exception)
    assert "Traceback" not in outcome.output, outcome.output
    assert outcome.code == code, outcome.output

"""A damaged run folder is named, file and field, by `report` and `compare`: never a crash."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hostile import assert_clean_exit, invoke


def _folder_for(name: str) -> Callable[[Path], None]:
    def damage(run: Path) -> None:
        (run / name).unlink()
        (run / name).mkdir()

    return damage


def _bytes(name: str, content: bytes) -> Callable[[Path], None]:
    def damage(run: Path) -> None:
        (run / name).write_bytes(content)

    return damage


def _edit_results(change: Callable[[dict[str, object]], None]) -> Callable[[Path], None]:
    def damage(run: Path) -> None:
        raw = json.loads((run / "results.json").read_text())
        change(raw)
        (run / "results.json").write_text(json.dumps(raw))

    return damage


DEEP = b"[" * 100_000 + b"]" * 100_000
DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "results-a-folder": (_folder_for("results.json"), "results.json: a folder where a file"),
    "results-latin1": (_bytes("results.json", b'{"task": "caf\xe9"}'), "not UTF-8 text"),
    "results-deep": (_bytes("results.json", DEEP), "results.json: nested too deep"),
    "results-a-list": (_bytes("results.json", b"[1, 2]"), "results.json: expected a JSON object"),
    "results-wrong-type": (
        _edit_results(lambda raw: raw.update(rungs="many")),
        "results.json: rungs: Input should be a valid list",
    ),
    "manifest-a-list": (_bytes("manifest.json", b"[]"), "manifest.json: expected a JSON object"),
    "manifest-a-folder": (_folder_for("manifest.json"), "manifest.json: a folder where a file"),
    "predictions-latin1": (_bytes("predictions.jsonl", b'{"id": "\xff"}\n'), "not UTF-8 text"),
    "predictions-a-folder": (
        _folder_for("predictions.jsonl"),
        "predictions.jsonl: a folder where a file",
    ),
    "predictions-bad-line": (
        _bytes("predictions.jsonl", b'{"id": 3}\n'),
        "predictions.jsonl:1: ",
    ),
    "predictions-deep": (_bytes("predictions.jsonl", DEEP + b"\n"), "predictions.jsonl:1: "),
}


@pytest.mark.parametrize("case", list(DAMAGE), ids=list(DAMAGE))
@pytest.mark.parametrize("command", ["report", "compare"])
def test_a_damaged_run_is_named_not_crashed_on(
    case: str, command: str, label_run: Path, tmp_path: Path
) -> None:
    damage, message = DAMAGE[case]
    other = tmp_path / "other-run"
    shutil.copytree(label_run, other)
    damage(label_run)
    args = (
        ["report", str(label_run)]
        if command == "report"
        else ["compare", str(other), str(label_run)]
    )
    outcome = invoke(args)
    assert_clean_exit(outcome, 2)
    assert message in outcome.output, outcome.output
    assert len(outcome.output.splitlines()) <= 8, outcome.output  # a few lines, not a dump

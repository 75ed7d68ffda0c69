"""`run` with CI gates, `report` and `compare`, in-process with a scripted model.

The CLI loads its model through `shouldtune.ladder.load_model`; the tests swap that for a
ScriptedModel, so no weights are read and nothing is added to the shipped code for tests.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shouldtune.cli import app
from shouldtune.report.write import REPORT_FILES
from tests.fakes import ScriptedModel
from tests.report.conftest import RUNGS, color_task, shaky

runner = CliRunner()


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every model reference the CLI asked for; the model answers like `shaky`."""
    asked: list[str] = []

    def load(reference: str, *args: object, **kwargs: object) -> ScriptedModel:
        asked.append(reference)
        return ScriptedModel(shaky)

    monkeypatch.setattr("shouldtune.ladder.load_model", load)
    return asked


def run_cli(tmp_path: Path, *flags: str) -> tuple[int, str, str]:
    spec = color_task(tmp_path)
    args = [
        "run",
        str(spec.data),
        "--input",
        "text",
        "--expected",
        "label",
        "--rungs",
        ",".join(RUNGS),
        "--runs-dir",
        str(tmp_path / "runs"),
        "--cache-dir",
        str(tmp_path / "cache"),
        *flags,
    ]
    result = runner.invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


def only_run(tmp_path: Path) -> Path:
    (found,) = (tmp_path / "runs").iterdir()
    return found


@pytest.mark.parametrize(
    ("flags", "code"),
    [
        ((), 0),
        (("--fail-under", "0.6"), 0),  # few-shot's interval is [63.3%, 91.8%]
        (("--fail-under", "0.7"), 3),  # its point (81.5%) is above, its low end is not
        (("--fail-unless", "prompt,inconclusive"), 0),
        (("--fail-unless", "PROMPT"), 3),
        (("--fail-unless", "PROMPT", "--fail-under", "0.5"), 3),
    ],
)
def test_run_gates(tmp_path: Path, loads: list[str], flags: tuple[str, ...], code: int) -> None:
    exit_code, stdout, stderr = run_cli(tmp_path, *flags)
    assert exit_code == code, stdout + stderr
    assert ("gate failed" in stderr) == (code == 3)
    for name in REPORT_FILES:  # the run is saved and reported whatever the gate says
        assert (only_run(tmp_path) / name).exists()


def test_gate_message_names_the_numbers(tmp_path: Path, loads: list[str]) -> None:
    _, _, stderr = run_cli(tmp_path, "--fail-under", "0.7")
    assert "highest low end is few_shot's 63.3%" in " ".join(stderr.split())


def test_json_output_is_still_json_when_the_gate_fails(tmp_path: Path, loads: list[str]) -> None:
    exit_code, stdout, _ = run_cli(tmp_path, "--json", "--fail-unless", "FINE_TUNE")
    assert exit_code == 3
    assert json.loads(stdout)["verdict"]["kind"] == "INCONCLUSIVE"


def test_unknown_verdict_exits_2_before_running(tmp_path: Path, loads: list[str]) -> None:
    exit_code, _, stderr = run_cli(tmp_path, "--fail-unless", "MAYBE")
    assert exit_code == 2
    assert "unknown verdict MAYBE" in stderr
    assert loads == []


def test_fail_under_outside_0_1_exits_2(tmp_path: Path, loads: list[str]) -> None:
    exit_code, _, _ = run_cli(tmp_path, "--fail-under", "80")
    assert exit_code == 2 and loads == []


def test_report_rerenders_a_saved_run(tmp_path: Path, loads: list[str]) -> None:
    run_cli(tmp_path)
    run_dir = only_run(tmp_path)
    before = {name: (run_dir / name).read_bytes() for name in REPORT_FILES}
    for name in REPORT_FILES:
        (run_dir / name).unlink()
    result = runner.invoke(app, ["report", str(run_dir)])
    assert result.exit_code == 0, result.output
    assert "INCONCLUSIVE" in result.stdout
    assert {name: (run_dir / name).read_bytes() for name in REPORT_FILES} == before
    gated = runner.invoke(app, ["report", str(run_dir), "--fail-unless", "PROMPT"])
    assert gated.exit_code == 3


def test_report_on_something_else_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "no such run directory" in result.stderr
    assert "Traceback" not in result.output


@pytest.fixture
def two_runs(tmp_path: Path, loads: list[str]) -> tuple[Path, Path]:
    run_cli(tmp_path)
    run_cli(tmp_path, "--seed", "1")
    first, second = sorted((tmp_path / "runs").iterdir())
    return first, second


def _compare(two_runs: tuple[Path, Path], *flags: str) -> str:
    result = runner.invoke(app, ["compare", *map(str, two_runs), *flags])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize(
    ("flags", "check"),
    [
        ((), lambda out: "The test sets differ" in out and "B against A" in out),
        (
            ("--md",),
            lambda out: out.startswith("## shouldtune compare") and "| `few_shot` |" in out,
        ),
        (("--json",), lambda out: json.loads(out)["test_sets"]["same"] is False),
    ],
    ids=["terminal", "markdown", "json"],
)
def test_compare_outputs(
    two_runs: tuple[Path, Path], flags: tuple[str, ...], check: Callable[[str], bool]
) -> None:
    assert check(_compare(two_runs, *flags))


def test_compare_names_what_changed(two_runs: tuple[Path, Path]) -> None:
    data = json.loads(_compare(two_runs, "--json"))
    assert "split.seed: 0 -> 1" in data["changed"]


def test_report_prints_the_folder_it_was_given(label_run: Path, tmp_path: Path) -> None:
    moved = tmp_path / "moved-run"
    shutil.copytree(label_run, moved)
    result = runner.invoke(app, ["report", str(moved)])
    assert result.exit_code == 0, result.output
    assert f"run directory: {moved}" in " ".join(result.output.split())

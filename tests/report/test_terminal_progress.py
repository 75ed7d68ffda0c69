"""Progress off a terminal: plain lines every N seconds or every tenth, with rate and ETA."""

from __future__ import annotations

import io
import json
import re
import threading
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from shouldtune.cli import app
from shouldtune.report import terminal
from shouldtune.report.terminal import TerminalReporter

LINE = re.compile(r"^(\S+) (\d+)/(\d+) \((\d+)%\)(, [\d.]+/s, ETA \S+( \S+)?)?$")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def plain_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if LINE.match(line)]


def test_a_line_every_interval_even_between_tenths() -> None:
    out = io.StringIO()
    clock = Clock()
    reporter = TerminalReporter(Console(file=out, width=200), every_s=30.0, clock=clock)
    reporter.rung_started("zero_shot", 1000)
    for done in range(1, 6):  # 0.5% of the rung: no tenth crossed
        clock.now += 31.0
        reporter.advance(done, 1000)
    lines = plain_lines(out.getvalue())
    assert len(lines) == 1 + 5  # the start, then one per interval
    assert lines[-1].startswith("zero_shot 5/1000 (0%), 0.03/s, ETA ")


def test_a_line_every_tenth_and_none_in_between() -> None:
    out = io.StringIO()
    clock = Clock()
    reporter = TerminalReporter(Console(file=out, width=200), every_s=30.0, clock=clock)
    reporter.rung_started("few_shot", 200)
    for done in range(1, 201):
        clock.now += 0.01  # far below the interval: only the tenths print
        reporter.advance(done, 200)
    lines = plain_lines(out.getvalue())
    assert [int(LINE.match(x).group(2)) for x in lines] == [0, *range(20, 201, 20)]  # type: ignore[union-attr]


def test_a_terminal_gets_the_bar_not_lines() -> None:
    out = io.StringIO()
    reporter = TerminalReporter(Console(file=out, force_terminal=True, width=200))
    reporter.rung_started("zero_shot", 10)
    for done in range(1, 11):
        reporter.advance(done, 10)
    assert reporter._progress is not None
    reporter._progress.stop()
    assert plain_lines(out.getvalue()) == []


def test_the_cli_prints_progress_lines_when_not_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(terminal, "PROGRESS_EVERY_S", 0.0)  # every call
    rows = [{"input": f"item {i}", "expected": f"l{i % 2}"} for i in range(40)]
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = CliRunner().invoke(
        app,
        [
            "run",
            str(data),
            "--model",
            "mock",
            "--rungs",
            "zero_shot",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--runs-dir",
            str(tmp_path / "runs"),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [line for line in plain_lines(result.output) if line.startswith("zero_shot ")]
    n_test = int(LINE.match(lines[0]).group(3))  # type: ignore[union-attr]
    counts = [line.split()[1] for line in lines]
    assert [c for c in counts if c.endswith(f"/{n_test}")] == [
        f"{i}/{n_test}" for i in range(n_test + 1)
    ]
    # The calibration probe before the test examples is a phase with its own count.
    probe = [c for c in counts if not c.endswith(f"/{n_test}")]
    n_probe = int(probe[0].split("/")[1])
    assert probe == [f"{i}/{n_probe}" for i in range(1, n_probe + 1)]
    assert "deciding on calibration on" in result.output
    # The run is over: no watcher may print into a later command's output.
    assert not [t for t in threading.enumerate() if t.name == "progress"]


def test_another_phase_restarts_the_count() -> None:
    out = io.StringIO()
    clock = Clock()
    reporter = TerminalReporter(Console(file=out, width=200), every_s=30.0, clock=clock)
    reporter.rung_started("lora", 10)
    clock.now = 100.0
    reporter.advance(5, 50)  # training steps: a new total, its own rate from here
    clock.now = 110.0
    reporter.advance(50, 50)
    lines = plain_lines(out.getvalue())
    assert lines[-2] == "lora 5/50 (10%)"  # no rate yet: the phase has just begun
    assert lines[-1] == "lora 50/50 (100%), 4.50/s, ETA 0s"


def test_a_stage_inside_a_rung_restarts_the_rate_clock() -> None:
    """A prompt search's rounds come before its test examples: they must not slow the rate."""
    clock = [0.0]
    console = Console(file=io.StringIO(), force_terminal=False, width=200)
    reporter = TerminalReporter(console, clock=lambda: clock[0], every_s=0.0)
    reporter.rung_started("prompt_search", 10)
    clock[0] = 600.0  # ten minutes of search
    reporter.stage("prompt search round 1: ...")
    clock[0] = 605.0
    reporter.advance(5, 10)
    last = console.file.getvalue().splitlines()[-1]  # type: ignore[attr-defined]
    assert "1.00/s" in last and "ETA 5s" in last


def off_terminal(clock: Clock) -> tuple[io.StringIO, TerminalReporter]:
    """A reporter writing to a log (not a terminal), a line every 30 s of `clock`."""
    out = io.StringIO()
    return out, TerminalReporter(Console(file=out, width=200), every_s=30.0, clock=clock)


def test_a_long_quiet_call_gets_a_still_working_line() -> None:
    clock = Clock()
    out, reporter = off_terminal(clock)
    reporter.rung_started("zero_shot", 400)
    reporter.stage("zero_shot: deciding on calibration on 35 train examples")
    clock.now += 20.0
    assert reporter.heartbeat(quiet_s=50.0) is False  # quiet, but not for long
    clock.now += 40.0
    assert reporter.heartbeat(quiet_s=50.0) is True
    assert "deciding on calibration on 35 train examples: still working, 1.0 min" in out.getvalue()
    assert reporter.heartbeat(quiet_s=50.0) is False  # that line counts as output
    reporter.advance(1, 400)
    clock.now += 51.0
    reporter.advance(2, 400)  # a progress line (past the 30 s interval) resets the quiet
    assert reporter.heartbeat(quiet_s=50.0) is False


def test_a_terminal_gets_no_still_working_lines() -> None:
    out = io.StringIO()
    reporter = TerminalReporter(Console(file=out, force_terminal=True, width=200))
    reporter.stage("loading")
    assert reporter.heartbeat(quiet_s=0.0) is False


def test_rates_count_from_the_start_of_the_test_examples_not_the_search() -> None:
    clock = Clock()
    out, reporter = off_terminal(clock)
    reporter.rung_started("prompt_search", 100)
    reporter.stage("prompt search round 1")
    clock.now += 600.0  # ten minutes of search before the first test example
    reporter.advance(0, 100)
    clock.now += 10.0
    reporter.advance(10, 100)
    (last,) = [x for x in plain_lines(out.getvalue()) if x.startswith("prompt_search 10/")]
    assert last == "prompt_search 10/100 (10%), 1.00/s, ETA 1.5 min"


def test_closing_the_reporter_ends_its_watcher() -> None:
    reporter = TerminalReporter(Console(file=io.StringIO(), width=200))  # the real clock
    reporter.stage("loading")
    watchers = [t for t in threading.enumerate() if t.name == "progress"]
    assert len(watchers) == 1 and watchers[0].is_alive()
    reporter.close()
    assert not watchers[0].is_alive()
    assert reporter.heartbeat(quiet_s=0.0) is False  # closed: silent

"""Two runs on one cache at once, and runs killed with SIGKILL, on the mock model (no weights).

Each run is a real process sharing SHOULDTUNE_CACHE_DIR. A killed run is resumed by running
the same command again; its results must equal those of a run never interrupted (timings,
run folders and cache hit counts aside).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from shouldtune.cache import CallCache
from tests.hostile import invoke

SRC = str(Path(__file__).resolve().parents[1] / "src")
LABELS = ["yes", "no", "maybe"]
# What differs between two equal runs: clocks, folders, and how much came from the cache.
VOLATILE = {
    "wall_s",
    "search_s",
    "planned_s",
    "mean_latency_s",
    "latency_s",
    "run_dir",
    "computed_calls",
    "cached_calls",
    "cached",
    "fresh_prompt_tokens",
    "fresh_completion_tokens",
}

# Runs the CLI after arranging for this process to SIGKILL itself: at model call number
# ARGV[1] (mid-rung), or, with ARGV[1] == "report.md", half-way through writing that file.
KILLER = """
import os, signal, sys, pathlib
from shouldtune.models.mock import MockModel
point, args = sys.argv[1], sys.argv[2:]
if point.isdigit():
    calls = [0]
    def counted(name):
        original = getattr(MockModel, name)
        def call(self, *a, **k):
            calls[0] += 1
            if calls[0] > int(point):
                os.kill(os.getpid(), signal.SIGKILL)
            return original(self, *a, **k)
        return call
    for name in ("generate", "loglik"):
        setattr(MockModel, name, counted(name))
else:
    path_open = pathlib.Path.open
    class HalfThenDie:
        def __init__(self, handle):
            self.handle = handle
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            self.handle.close()
        def write(self, data):
            self.handle.write(data[: len(data) // 2])
            self.handle.flush()
            os.kill(os.getpid(), signal.SIGKILL)
    def dying_open(self, mode="r", *a, **k):
        handle = path_open(self, mode, *a, **k)
        return HalfThenDie(handle) if self.name.startswith(point) and "w" in mode else handle
    pathlib.Path.open = dying_open
from shouldtune.cli import main
sys.argv = ["shouldtune", *args]
main()
"""


def stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [stable(v) for v in value]
    return value


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "d.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i in range(60):
            label = LABELS[i % 3]  # the mock echoes the input: a bare label passes
            text = label if i % 4 == 0 else f"question {i} about {label}"
            out.write(json.dumps({"input": text, "expected": label}) + "\n")
    return path


def args(data: Path, runs: Path) -> list[str]:
    return ["run", str(data), "--model", "mock", "--runs-dir", str(runs), "--max-test", "15"]


def spawn(cache: Path, argv: list[str], point: str | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "SHOULDTUNE_CACHE_DIR": str(cache)}
    command = ["-c", KILLER, point, *argv] if point else ["-m", "shouldtune", *argv]
    return subprocess.Popen(
        [sys.executable, *command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_here(cache: Path, argv: list[str], monkeypatch: pytest.MonkeyPatch) -> Path:
    """The command in this process; returns its run folder."""
    monkeypatch.setenv("SHOULDTUNE_CACHE_DIR", str(cache))
    outcome = invoke(argv)
    assert outcome.code == 0, outcome.output
    runs = Path(argv[argv.index("--runs-dir") + 1])
    return max(runs.iterdir(), key=lambda path: path.stat().st_mtime_ns)


def results(run_dir: Path, name: str = "results.json") -> Any:
    return stable(json.loads((run_dir / name).read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def reference(data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted run on a cache of its own (one for the module: runs are seconds)."""
    root = tmp_path_factory.mktemp("reference")
    with pytest.MonkeyPatch.context() as monkeypatch:
        return run_here(root / "cache", args(data, root / "runs"), monkeypatch)


def test_two_runs_on_one_cache_at_once(data: Path, tmp_path: Path, reference: Path) -> None:
    cache = tmp_path / "shared"
    both = [spawn(cache, args(data, tmp_path / f"runs-{n}")) for n in (1, 2)]
    for process in both:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-3000:]
        assert "Traceback" not in err
    for n in (1, 2):
        (run_dir,) = (tmp_path / f"runs-{n}").iterdir()
        assert results(run_dir) == results(reference)
        assert results(run_dir, "report.json") == results(reference, "report.json")


@pytest.mark.parametrize("calls", [5, 40])
def test_killed_mid_rung_resumes_to_the_same_results(
    calls: int, data: Path, tmp_path: Path, reference: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    killed = spawn(cache, args(data, tmp_path / "runs"), point=str(calls))
    killed.communicate(timeout=300)
    assert killed.returncode == -signal.SIGKILL
    (dead,) = (tmp_path / "runs").iterdir()
    assert not (dead / "results.json").exists()  # it died mid-ladder
    kept = CallCache(cache)
    assert kept.count() >= calls - 1  # its finished calls survived the kill (one in flight)
    kept.close()
    resumed = run_here(cache, args(data, tmp_path / "runs"), monkeypatch)
    assert results(resumed) == results(reference)


def test_killed_mid_report_leaves_no_half_file_and_report_rewrites_it(
    data: Path, tmp_path: Path, reference: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    killed = spawn(tmp_path / "cache", args(data, tmp_path / "runs"), point="report.md")
    killed.communicate(timeout=300)
    assert killed.returncode == -signal.SIGKILL
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert (run_dir / "results.json").exists() and (run_dir / "report.json").exists()
    assert not (run_dir / "report.md").exists()  # the half-written file was never published
    outcome = invoke(["report", str(run_dir)])
    assert outcome.code == 0, outcome.output
    # Whole: as long as the uninterrupted run's, down to its last line (latencies differ).
    ours, theirs = ((d / "report.md").read_text().splitlines() for d in (run_dir, reference))
    assert (len(ours), ours[-1]) == (len(theirs), theirs[-1])
    assert results(run_dir, "report.json") == results(reference, "report.json")
    assert not [p.name for p in run_dir.iterdir() if p.name.endswith(".tmp")]

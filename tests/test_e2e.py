"""End to end on the real embedded model: the CLI, the run directory, the cache, resume."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from shouldtune.cli import app
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.slow
runner = CliRunner()


def _results(runs: Path) -> dict[str, Any]:
    (run_dir,) = sorted(runs.iterdir())[-1:]
    results: dict[str, Any] = json.loads((run_dir / "results.json").read_text())
    return results


def test_cli_run_on_bundled_example_then_rerun_from_cache(tmp_path: Path) -> None:
    task = EXAMPLES / "support-triage" / "task.yaml"
    args = [
        "run",
        str(task),
        "--max-test",
        "12",
        "--runs-dir",
        str(tmp_path / "runs"),
        "--rungs",
        "zero_shot,few_shot",
        "--all-rungs",
    ]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    for text in ("zero_shot", "few_shot", "95% CI"):
        assert text in first.output
    results = _results(tmp_path / "runs")
    rungs = results["rungs"]
    assert isinstance(rungs, list) and [r["rung"] for r in rungs] == ["zero_shot", "few_shot"]
    for rung in rungs:
        score = rung["score"]
        assert score["method"] == "wilson"
        assert 0.0 <= score["low"] <= score["point"] <= score["high"] <= 1.0
        assert rung["n"] == 12 and rung["computed_calls"] == 12
    assert results["verdict"]["kind"] in {"PROMPT", "INCONCLUSIVE"}

    time.sleep(1.1)  # a new run directory name
    start = time.perf_counter()
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    assert time.perf_counter() - start < 20
    again = _results(tmp_path / "runs")
    assert [r["computed_calls"] for r in again["rungs"]] == [0, 0]
    assert [r["score"] for r in again["rungs"]] == [r["score"] for r in rungs]


def test_generated_answers_scored_exactly(tmp_path: Path) -> None:
    data = tmp_path / "capitals.jsonl"
    pairs = [
        ("France", "Paris"),
        ("Italy", "Rome"),
        ("Japan", "Tokyo"),
        ("Spain", "Madrid"),
        ("Germany", "Berlin"),
        ("Egypt", "Cairo"),
        ("Canada", "Ottawa"),
        ("Peru", "Lima"),
    ]
    data.write_text("\n".join(json.dumps({"country": c, "capital": k}) for c, k in pairs) + "\n")
    result = runner.invoke(
        app,
        [
            "run",
            str(data),
            "--input",
            "What is the capital of {country}? One word.",
            "--expected",
            "capital",
            "--scorer",
            "contains",
            "--test-fraction",
            "0.5",
            "--max-new-tokens",
            "12",
            "--runs-dir",
            str(tmp_path / "runs"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["verdict"]["kind"] == "NOT_ENOUGH_DATA"
    assert payload["scorer"] == "contains"
    run_dir = Path(payload["run_dir"])
    preds = [json.loads(x) for x in (run_dir / "predictions.jsonl").read_text().splitlines()]
    assert {p["method"] for p in preds} == {"generate"}
    assert all(p["completion_tokens"] > 0 for p in preds)
    assert all(p["output"] for p in preds)
    assert all(p["passed"] == (p["expected"].lower() in p["output"].lower()) for p in preds)


def test_killed_run_resumes_without_recomputing(tmp_path: Path) -> None:
    cache_dir = tmp_path / "kill-cache"
    task = EXAMPLES / "support-triage" / "task.yaml"
    cmd = [
        sys.executable,
        "-m",
        "shouldtune",
        "run",
        str(task),
        "--max-test",
        "16",
        # The prompt rungs only: resuming is about cached model calls, not training.
        "--rungs",
        "zero_shot,few_shot",
        # No calibration probe: every cached call is then a test example's, which the
        # arithmetic below relies on.
        "--calibrate",
        "off",
        "--runs-dir",
        str(tmp_path / "runs"),
        "--cache-dir",
        str(cache_dir),
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    db = cache_dir / "calls.sqlite"
    done = 0
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists():
            try:
                with sqlite3.connect(db) as conn:
                    done = conn.execute("select count(*) from calls").fetchone()[0]
            except sqlite3.OperationalError:
                done = 0  # the file exists, its table not yet: the run is opening its cache
            if done >= 8:
                break
        time.sleep(0.2)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(db) as conn:
        cached = conn.execute("select count(*) from calls").fetchone()[0]
    assert 8 <= cached < 32
    rerun = subprocess.run([*cmd, "--json"], capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    payload = json.loads(rerun.stdout)
    computed = sum(r["computed_calls"] for r in payload["rungs"])
    assert computed == 32 - cached


def test_lora_rung_end_to_end(tmp_path: Path, model_cache: object) -> None:
    from tests.conftest import SHARED_MODEL_CACHE

    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    for shared in ("models", "students"):  # reuse the slow-to-make model files, not answers
        (SHARED_MODEL_CACHE / shared).mkdir(parents=True, exist_ok=True)
        (cache_dir / shared).symlink_to(SHARED_MODEL_CACHE / shared)
    spec = tmp_path / "task.yaml"
    spec.write_text(
        (EXAMPLES / "sentiment" / "task.yaml")
        .read_text()
        .replace("data: data.jsonl", f"data: {EXAMPLES / 'sentiment' / 'data.jsonl'}")
        + "rungs: [zero_shot, lora]\nall_rungs: true\nsplit:\n  max_test: 12\n"
        + "lora:\n  max_steps: 8\n  batch_size: 4\n  target_modules: [q_proj, v_proj]\n"
        + "  probe_n: 20\n"  # the default 150-item probe would add a minute or more
    )
    result = runner.invoke(
        app,
        [
            "run",
            str(spec),
            "--runs-dir",
            str(tmp_path / "runs"),
            "--cache-dir",
            str(cache_dir),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    lora = next(r for r in payload["rungs"] if r["rung"] == "lora")
    assert lora["n"] == 12
    assert 0.0 <= lora["score"]["low"] <= lora["score"]["point"] <= lora["score"]["high"] <= 1.0
    forgetting = lora["settings"]["forgetting"]
    assert forgetting["kl_mean"] >= 0.0 and forgetting["n_probe"] == 20
    assert lora["settings"]["training"]["steps"] == 8
    # The rung's time counts its training, not only its test calls.
    assert lora["wall_s"] >= lora["settings"]["training"]["wall_s"] > 0
    assert lora["mean_prompt_tokens"] > 0 and lora["mean_latency_s"] > 0
    artifacts = Path(payload["run_dir"]) / "artifacts" / "lora"
    assert (artifacts / "adapter.gguf").exists()
    assert (artifacts / "adapter" / "adapter_model.safetensors").exists()
    assert "ADAPTER" in (artifacts / "Modelfile").read_text()
    preds = [
        json.loads(line)
        for line in (Path(payload["run_dir"]) / "predictions.jsonl").read_text().splitlines()
    ]
    assert {p["rung"] for p in preds} == {"zero_shot", "lora"}
    assert payload["verdict"]["kind"] in {"FINE_TUNE", "INCONCLUSIVE", "PROMPT"}

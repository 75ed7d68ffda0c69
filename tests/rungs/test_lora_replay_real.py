"""The lora rung with replay on the real embedded model: a few steps, a small probe.

About the mechanics, not the effect: replay examples are mixed in (and recorded), none is
a probe item, and forgetting comes back with its intervals.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shouldtune.analysis.general_probe import probe_part
from shouldtune.cli import app
from shouldtune.training.lora import LoraJob
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.slow


def test_lora_rung_with_replay(tmp_path: Path, model_cache: object) -> None:
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
        + "rungs: [zero_shot, lora]\nall_rungs: true\nsplit:\n  max_test: 8\n"
        + "lora:\n  max_steps: 4\n  batch_size: 4\n  target_modules: [q_proj, v_proj]\n"
        + "  replay: 0.25\n  probe_n: 16\n"
    )
    runs, cached = str(tmp_path / "runs"), str(cache_dir)
    result = CliRunner().invoke(
        app, ["run", str(spec), "--runs-dir", runs, "--cache-dir", cached, "--json"]
    )
    assert result.exit_code == 0, result.output
    lora = next(r for r in json.loads(result.stdout)["rungs"] if r["rung"] == "lora")
    settings = lora["settings"]
    n_task = settings["train_examples"]
    assert settings["replay_examples"] == round(0.25 * n_task / 0.75)
    assert any(f"{settings['replay_examples']} replay examples" in n for n in lora["notes"])
    forgetting = settings["forgetting"]
    assert forgetting["n_probe"] == 16
    assert forgetting["probe_drop_low"] <= forgetting["probe_drop"] <= forgetting["probe_drop_high"]
    assert "paired" in forgetting["summary"]
    (job_file,) = (cache_dir / "lora").glob("*/job.json")
    job = LoraJob.from_json(job_file.read_text())
    assert len(job.replay) == settings["replay_examples"]
    probe = [item.question for item in probe_part()]
    assert not any(question in example.prompt for example in job.replay for question in probe)

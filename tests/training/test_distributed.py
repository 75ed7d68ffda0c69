"""The LoRA trainer under `accelerate launch` with 2 CPU processes (data parallel, gloo)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shouldtune.cache import CallCache
from shouldtune.training.lora import COMPLETE, LoraJob, TrainExample
from shouldtune.training.student import student_dir

pytestmark = pytest.mark.slow


def test_two_process_accelerate_launch_trains_one_adapter(
    tmp_path: Path, model_cache: CallCache
) -> None:
    folder, digest = student_dir("smollm2-135m", model_cache)
    examples = [
        TrainExample(f"Input: item {i}\nOutput:", f" {'odd' if i % 2 else 'even'}\n")
        for i in range(16)
    ]
    job = LoraJob(
        student_dir=str(folder),
        student_sha256=digest,
        examples=examples,
        target_modules=["q_proj", "v_proj"],
        batch_size=2,
        max_steps=2,
        val_fraction=0.0,
    )
    job_file = tmp_path / "job.json"
    job_file.write_text(job.to_json())
    work = tmp_path / "work"
    launcher = Path(sys.executable).parent / "accelerate"
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [
            str(launcher),
            "launch",
            "--multi_gpu",
            "--num_processes",
            "2",
            "--num_machines",
            "1",
            "--mixed_precision",
            "no",
            "--dynamo_backend",
            "no",
            "--main_process_port",
            "29533",
            "-m",
            "shouldtune.training.job",
            str(job_file),
            str(work),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "world_size=2" in done.stdout
    adapter = work / job.key() / "adapter"
    assert (adapter / COMPLETE).exists()
    report = json.loads((adapter / "train_report.json").read_text())
    assert report["steps"] == 2

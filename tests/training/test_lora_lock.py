"""Two runs on one cache training the same LoRA job: the second waits and reuses the first's."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from shouldtune.filelock import exclusive
from shouldtune.training.lora import COMPLETE, LoraJob, TrainExample, train


def test_a_second_run_waits_for_the_first_and_reuses_its_adapter(tmp_path: Path) -> None:
    # Imported first, so that the wait below is the lock's, not the imports' (seconds).
    import torch  # noqa: F401
    from transformers import AutoTokenizer, Trainer, TrainingArguments  # noqa: F401

    from shouldtune.models.hf import quiet_transformers

    quiet_transformers()

    # No student on disk: were this run to train rather than wait, it would fail loading it.
    job = LoraJob("/nonexistent-student", "f" * 64, [TrainExample("q", "a")])
    adapter = tmp_path / job.key() / "adapter"
    holding = threading.Event()

    def first_run() -> None:  # holds the job's lock like a training run, then publishes
        with exclusive(tmp_path / f".{job.key()}.lock"):
            holding.set()
            time.sleep(1.0)
            adapter.mkdir(parents=True)
            (adapter / "train_report.json").write_text(
                json.dumps({"adapter_dir": str(adapter), "steps": 6, "epochs_run": 3.0})
            )
            (adapter / COMPLETE).write_text("")

    other = threading.Thread(target=first_run)
    other.start()
    holding.wait(timeout=10)
    report = train(job, tmp_path)
    other.join()
    assert report.reused and report.steps == 6

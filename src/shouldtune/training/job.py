"""Run one LoRA job from a JSON file: the entry point for `accelerate launch`.

    accelerate launch --num_processes 2 --cpu -m shouldtune.training.job job.json WORK_DIR

The ladder trains in-process through the same `train` function; this entry point lets the
Trainer run data-parallel (several GPUs, several nodes, or several CPU processes).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

from shouldtune.training.lora import LoraJob, train


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m shouldtune.training.job JOB.json WORK_DIR", file=sys.stderr)
        return 2
    job = LoraJob.from_json(Path(args[0]).read_text())
    world = int(os.environ.get("WORLD_SIZE", "1"))
    print(f"shouldtune LoRA job {job.key()}: world_size={world}", flush=True)
    report = train(job, Path(args[1]), say=lambda message: print(message, flush=True))
    print(json.dumps({k: v for k, v in asdict(report).items() if k != "log"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

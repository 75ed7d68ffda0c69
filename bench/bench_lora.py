"""LoRA training throughput: shouldtune's trainer against a plain Trainer + peft baseline.

Same student (the embedded SmolLM2-135M, dequantized), same examples, same LoRA settings,
same number of optimizer steps and batch size, in one process, one after the other.

  ours      shouldtune.training.lora.train: length-grouped batches padded to their own
            longest example, loss (and the vocabulary projection) on the answer only,
            no validation slice
  baseline  transformers Trainer + peft, random batches padded to the longest example in
            the data set, loss on every token

Throughput counts real (non-padding) tokens per second of training, so the two are
comparable. Printed as a ratio from one run.

Usage: python bench/bench_lora.py [--steps 12] [--task examples/support-triage/task.yaml]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from shouldtune.cache import CallCache
from shouldtune.ladder import prepare
from shouldtune.models.registry import load_model
from shouldtune.prompts import messages_for, system_prompt
from shouldtune.spec import load_spec
from shouldtune.training.lora import LoraJob, TrainExample, tokenize, train
from shouldtune.training.student import student_dir

ROOT = Path(__file__).resolve().parents[1]


def baseline(job: LoraJob, records: list[dict[str, list[int]]], work: Path) -> float:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments

    tokenizer = AutoTokenizer.from_pretrained(job.student_dir)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    longest = max(len(r["input_ids"]) for r in records)
    padded = [
        {
            "input_ids": r["input_ids"] + [pad] * (longest - len(r["input_ids"])),
            "attention_mask": [1] * len(r["input_ids"]) + [0] * (longest - len(r["input_ids"])),
            "labels": r["input_ids"] + [-100] * (longest - len(r["input_ids"])),
        }
        for r in records
    ]
    model = AutoModelForCausalLM.from_pretrained(job.student_dir, dtype=torch.float32)
    config = LoraConfig(
        r=job.rank,
        lora_alpha=int(job.alpha),
        lora_dropout=job.dropout,
        target_modules=list(job.target_modules),
        task_type="CAUSAL_LM",
    )
    args = TrainingArguments(
        output_dir=str(work),
        per_device_train_batch_size=job.batch_size,
        max_steps=job.max_steps or 1,
        learning_rate=job.learning_rate,
        save_strategy="no",
        report_to=[],
        disable_tqdm=True,
        use_cpu=True,
        seed=job.seed,
    )

    def collate(batch: list[dict[str, list[int]]]) -> dict[str, Any]:
        return {k: torch.tensor([b[k] for b in batch]) for k in batch[0]}

    trainer = Trainer(
        model=get_peft_model(model, config), args=args, train_dataset=padded, data_collator=collate
    )
    start = time.perf_counter()
    trainer.train()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--task", type=Path, default=ROOT / "examples/support-triage/task.yaml")
    args = parser.parse_args()

    cache = CallCache()
    spec = load_spec(args.task)
    model = load_model(spec.model, cache)
    prepared = prepare(spec, model)
    system = system_prompt(spec, prepared.labels)
    examples = [
        TrainExample(
            model.render(messages_for(system, [], e)),
            model.answer_suffix(messages_for(system, [], e), e.expected),
        )
        for e in prepared.split.train
    ]
    folder, digest = student_dir(spec.model, cache)
    job = LoraJob(
        student_dir=str(folder),
        student_sha256=digest,
        examples=examples,
        batch_size=args.batch_size,
        max_steps=args.steps,
        val_fraction=0.0,
        target_modules=list(spec.lora.target_modules),
    )
    from transformers import AutoTokenizer

    records = tokenize(job, AutoTokenizer.from_pretrained(str(folder)))
    tokens_per_step = sum(len(r["input_ids"]) for r in records) / len(records) * args.batch_size
    real_tokens = tokens_per_step * args.steps
    longest = max(len(r["input_ids"]) for r in records)
    print(
        f"task {spec.task_name}: {len(records)} train examples, mean "
        f"{tokens_per_step / args.batch_size:.0f} tokens, longest {longest}; "
        f"{args.steps} steps of {args.batch_size}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        ours = train(job, Path(tmp) / "ours").wall_s  # Trainer.train() alone, like the baseline
        base = baseline(job, records, Path(tmp) / "baseline")
    print(f"{'trainer':<10} {'seconds':>8} {'real tokens/s':>14}")
    print(f"{'ours':<10} {ours:8.1f} {real_tokens / ours:14.1f}")
    print(f"{'baseline':<10} {base:8.1f} {real_tokens / base:14.1f}")
    print(f"ratio: {base / ours:.2f}x the baseline's training throughput")
    print("(both timed around Trainer.train(); ours includes its checkpoint writes)")


if __name__ == "__main__":
    main()

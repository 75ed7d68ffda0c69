"""LoRA training with transformers' Trainer and peft.

What is ours here: completion-only labels (the loss is on the answer, never the prompt),
length-grouped batches padded only to their own longest example (no compute on padding),
answer-only logits and a shared prompt prefix run once per batch (`batching.py`),
checkpoints marked complete only after they are fully written (a killed run resumes from
the last complete one), one timed trial step that gives an ETA before training starts,
and early stopping on a validation slice of train. The same `train` runs in one process
or under `accelerate launch` (data parallel), because the Trainer handles both.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from shouldtune.cache import call_key
from shouldtune.filelock import exclusive
from shouldtune.token_ids import common_prefix
from shouldtune.training.batching import (
    AnswerOnlyCollator,
    batch_loss,
    cache_argument,
    supports_answer_only,
)
from shouldtune.training.engine import load_for_training

COMPLETE = "COMPLETE"


@dataclass(frozen=True)
class TrainExample:
    prompt: str  # the rendered prompt, ending where the answer starts
    completion: str  # the answer plus the end-of-turn marker


@dataclass(frozen=True)
class LoraJob:
    """Everything that determines the adapter; its hash names the work folder."""

    student_dir: str
    student_sha256: str
    examples: list[TrainExample]
    rank: int = 16
    alpha: float = 32.0
    dropout: float = 0.05
    target_modules: list[str] = field(default_factory=lambda: ["q_proj", "v_proj"])
    epochs: float = 3.0
    learning_rate: float = 1e-3
    batch_size: int = 8
    val_fraction: float = 0.1
    patience: int = 2
    max_steps: int | None = None
    seed: int = 0
    # General examples mixed into training only (replay.py); never in the validation slice.
    replay: list[TrainExample] = field(default_factory=list)

    def key(self) -> str:
        fields = asdict(self)
        fields.pop("student_dir")  # the weights' hash identifies the student, not its path
        if not fields["replay"]:
            # A job without replay keeps the key it had before replay existed (its cache).
            fields.pop("replay")
        return call_key(kind="lora", **fields)[:24]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> LoraJob:
        raw = json.loads(text)
        raw["examples"] = [TrainExample(**e) for e in raw["examples"]]
        raw["replay"] = [TrainExample(**e) for e in raw.get("replay", [])]
        return cls(**raw)


@dataclass
class TrainReport:
    adapter_dir: str
    steps: int
    epochs_run: float
    train_tokens: int = 0
    train_loss: float | None = None
    best_val_loss: float | None = None
    wall_s: float = 0.0
    tokens_per_s: float = 0.0
    eta_s: float | None = None
    resumed_from: str | None = None
    reused: bool = False
    # Where the tokens/s was measured: the cost model measures its MFU from it (cost.measure_mfu).
    device: str = ""
    dtype: str = "float32"
    engine: str = "transformers"  # or "unsloth" (CUDA GPU with the gpu extra)
    replay_examples: int = 0  # general examples mixed into training (replay.py)
    log: list[dict[str, float]] = field(default_factory=list)


Progress = Callable[[int, int], None]


def tokenize(job: LoraJob, tokenizer: Any, *, replay: bool = False) -> list[dict[str, list[int]]]:
    """input_ids with labels masked (-100) over the prompt: completion-only loss.

    The task examples, or with `replay` the job's replay examples.
    """
    records = []
    for example in job.replay if replay else job.examples:
        prompt_ids = tokenizer(example.prompt, add_special_tokens=False)["input_ids"]
        full_ids = tokenizer(example.prompt + example.completion, add_special_tokens=False)[
            "input_ids"
        ]
        n_prompt = common_prefix(prompt_ids, full_ids)
        labels = [-100] * n_prompt + full_ids[n_prompt:]
        records.append(
            {"input_ids": full_ids, "attention_mask": [1] * len(full_ids), "labels": labels}
        )
    return records


Record = dict[str, list[int]]


def split_for_training(
    records: list[Record], replay_records: list[Record], val_fraction: float, seed: int
) -> tuple[list[Record], list[Record]]:
    """(validation slice, training set): a seeded share of the task examples is held out.

    Replay joins the training side only: early stopping watches the task alone.
    """
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    n_val = min(64, int(len(records) * val_fraction)) if len(records) >= 20 else 0
    val = [records[i] for i in order[:n_val]]
    return val, [records[i] for i in order[n_val:]] + replay_records


def latest_complete_checkpoint(work: Path) -> Path | None:
    """The newest checkpoint with its completion marker; half-written ones are removed."""
    best: tuple[int, Path] | None = None
    for path in work.glob("checkpoint-*"):
        if not (path / COMPLETE).exists():
            shutil.rmtree(path, ignore_errors=True)
            continue
        step = int(path.name.split("-")[-1])
        if best is None or step > best[0]:
            best = (step, path)
    return best[1] if best else None


def _is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def train(
    job: LoraJob,
    work_root: Path,
    *,
    progress: Progress | None = None,
    say: Callable[[str], None] | None = None,
) -> TrainReport:
    """Train (or reuse, or resume) the adapter for `job`; returns where it is and how it went."""
    from shouldtune.models.hf import quiet_transformers

    quiet_transformers()
    work = work_root / job.key()
    adapter_dir = work / "adapter"
    if (adapter_dir / COMPLETE).exists():
        return _reused(adapter_dir)
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        # The ranks of one data-parallel job share the folder by design: no lock among them.
        return _train(job, work, progress, say)
    # Two runs on one cache training the same job would write (and the resume would delete)
    # each other's checkpoints: the second waits, then reuses the first one's adapter.
    with exclusive(work_root / f".{job.key()}.lock", "waiting for another run training this job"):
        if (adapter_dir / COMPLETE).exists():
            return _reused(adapter_dir)
        return _train(job, work, progress, say)


def _reused(adapter_dir: Path) -> TrainReport:
    saved = json.loads((adapter_dir / "train_report.json").read_text())
    saved.update(reused=True, adapter_dir=str(adapter_dir))
    return TrainReport(**saved)


def _train(
    job: LoraJob,
    work: Path,
    progress: Progress | None,
    say: Callable[[str], None] | None,
) -> TrainReport:
    import torch
    from transformers import (
        AutoTokenizer,
        DataCollatorForSeq2Seq,
        EarlyStoppingCallback,
        PrinterCallback,
        Trainer,
        TrainerCallback,
        TrainingArguments,
    )

    adapter_dir = work / "adapter"
    work.mkdir(parents=True, exist_ok=True)
    (work / "job.json").write_text(job.to_json())
    tell = say or (lambda message: None)

    student_tokenizer = AutoTokenizer.from_pretrained(job.student_dir)
    records = tokenize(job, student_tokenizer)
    replay_records = tokenize(job, student_tokenizer, replay=True)
    loaded = load_for_training(
        job,
        tokenizer=student_tokenizer,
        max_seq_length=max(
            (len(r["input_ids"]) for r in records + replay_records),
            default=512,
        ),
    )
    model, base, tokenizer = loaded.model, loaded.base, loaded.tokenizer
    val, train_set = split_for_training(records, replay_records, job.val_fraction, job.seed)
    steps_per_epoch = max(1, math.ceil(len(train_set) / job.batch_size))
    max_steps = job.max_steps or max(1, math.ceil(steps_per_epoch * job.epochs))
    eval_every = max(1, steps_per_epoch // 2) if val else None

    cache_name = cache_argument(base)
    # Under data parallelism the wrapped model must see one forward per backward.
    share_prefix = cache_name is not None and int(os.environ.get("WORLD_SIZE", "1")) == 1
    # unsloth brings its own fused loss (it never builds the full logits); its patched
    # forward gets the plain right-padded batch.
    collator: Any = (
        AnswerOnlyCollator(tokenizer.pad_token_id, share_prefix=share_prefix)
        if supports_answer_only(base) and loaded.engine == "transformers"
        else DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=-100)
    )
    eta = _eta_seconds(model, collator, train_set, job.batch_size, max_steps, cache_name)
    mixed = f" ({len(job.replay)} of them replay)" if job.replay else ""
    tell(
        f"training LoRA r={job.rank} on {len(train_set)} examples{mixed}: {max_steps} steps, "
        f"ETA {eta:.0f}s"
    )

    class Marks(TrainerCallback):
        def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if _is_main_process():
                checkpoint = work / f"checkpoint-{state.global_step}"
                if checkpoint.exists():
                    (checkpoint / COMPLETE).write_text("")

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if progress is not None:
                progress(state.global_step, state.max_steps)

    args = TrainingArguments(
        output_dir=str(work),
        per_device_train_batch_size=job.batch_size,
        per_device_eval_batch_size=job.batch_size,
        learning_rate=job.learning_rate,
        lr_scheduler_type="cosine",
        warmup_steps=max(1, max_steps // 20),
        max_steps=max_steps,
        train_sampling_strategy="group_by_length",
        logging_steps=max(1, max_steps // 20),
        eval_strategy="steps" if val else "no",
        eval_steps=eval_every,
        save_strategy="steps",
        save_steps=eval_every or max(1, steps_per_epoch),
        save_total_limit=2,
        load_best_model_at_end=bool(val),
        metric_for_best_model="eval_loss" if val else None,
        greater_is_better=False,
        seed=job.seed,
        data_seed=job.seed,
        report_to=[],
        disable_tqdm=True,
        dataloader_num_workers=0,
        remove_unused_columns=False,
        use_cpu=not torch.cuda.is_available(),
        ddp_backend=(
            "gloo"
            if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not torch.cuda.is_available()
            else None
        ),
    )
    callbacks: list[Any] = [Marks()]
    if val:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=job.patience))

    class SharedPrefixTrainer(Trainer):
        """The Trainer with one hook changed: the loss runs a batch's shared prefix once."""

        def compute_loss(
            self,
            model: Any,
            inputs: dict[str, Any],
            return_outputs: bool = False,
            num_items_in_batch: Any = None,
        ) -> Any:
            if "prefix_ids" not in inputs:
                return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            extra = {}
            if self.model_accepts_loss_kwargs and num_items_in_batch is not None:
                extra["num_items_in_batch"] = num_items_in_batch
            outputs = batch_loss(model, inputs, cache_name, **extra)
            return (outputs.loss, outputs) if return_outputs else outputs.loss

    trainer = SharedPrefixTrainer(
        model=model,
        args=args,
        train_dataset=train_set,
        eval_dataset=val or None,
        data_collator=collator,
        callbacks=callbacks,
    )
    # Logs go to the train report, not to stdout (which `run --json` keeps for the JSON).
    trainer.remove_callback(PrinterCallback)
    resume = latest_complete_checkpoint(work)
    if resume is not None:
        tell(f"resuming LoRA training from {resume.name}")
    start = time.perf_counter()
    output = trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    wall = time.perf_counter() - start
    state = trainer.state
    real_tokens = sum(len(r["input_ids"]) for r in train_set)
    steps_done = state.global_step - (int(resume.name.split("-")[-1]) if resume else 0)
    tokens_seen = real_tokens * steps_done / max(1, steps_per_epoch)
    evals = [e["eval_loss"] for e in state.log_history if "eval_loss" in e]
    report = TrainReport(
        adapter_dir=str(adapter_dir),
        steps=state.global_step,
        epochs_run=float(state.epoch or 0.0),
        train_tokens=real_tokens,
        train_loss=float(output.training_loss),
        best_val_loss=min(evals) if evals else None,
        wall_s=wall,
        tokens_per_s=tokens_seen / wall if wall > 0 else 0.0,
        eta_s=eta,
        resumed_from=resume.name if resume else None,
        device=torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
        engine=loaded.engine,
        replay_examples=len(job.replay),
        dtype=str(next(model.parameters()).dtype).removeprefix("torch."),
        log=[
            {k: float(v) for k, v in e.items() if isinstance(v, int | float)}
            for e in state.log_history
        ],
    )
    if _is_main_process():
        tmp = work / "adapter.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        report_fields = asdict(report)
        (tmp / "train_report.json").write_text(json.dumps(report_fields, indent=1))
        (tmp / COMPLETE).write_text("")
        shutil.rmtree(adapter_dir, ignore_errors=True)
        tmp.rename(adapter_dir)
        for checkpoint in work.glob("checkpoint-*"):
            shutil.rmtree(checkpoint, ignore_errors=True)
    return report


def _eta_seconds(
    model: Any,
    collator: Any,
    records: list[dict[str, list[int]]],
    batch_size: int,
    steps: int,
    cache_name: str | None,
) -> float:
    """Seconds the whole run should take, from one timed forward+backward pass."""
    if not records:
        return 0.0
    sample = sorted(records, key=lambda r: len(r["input_ids"]))
    middle = sample[len(sample) // 2 : len(sample) // 2 + batch_size]
    batch = collator(middle)
    model.train()
    start = time.perf_counter()
    out = batch_loss(model, batch, cache_name)  # both collators return tensors
    out.loss.backward()
    model.zero_grad(set_to_none=True)
    elapsed = time.perf_counter() - start
    # Optimizer work and evaluation add roughly a fifth on top of forward and backward.
    return elapsed * steps * 1.2

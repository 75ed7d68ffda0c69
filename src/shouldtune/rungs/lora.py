"""Rung 3: fine-tune a LoRA adapter on the train split, score it on the same test split.

The tuned model is asked with the zero-shot prompt (instructions and input, no
demonstrations): that short prompt is what it would be served with. When the student is
a GGUF model, the adapter is exported to GGUF and scored in llama.cpp, the engine the
prompt rungs ran on; a transformers student is scored in transformers with peft.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shouldtune.evaluate import EvalContext, ask_unrecorded, evaluate
from shouldtune.models.base import Model, ModelError, prompt_for
from shouldtune.models.registry import load_model, resolve
from shouldtune.plan import STEP_FORWARDS, steps_for
from shouldtune.prompts import messages_for, system_prompt
from shouldtune.records import Example, Prediction, RungResult
from shouldtune.rung_settings import Forgetting, SweepRecord
from shouldtune.spec import LoraSpec
from shouldtune.sweep import Fitted, carve, sweep, sweep_points
from shouldtune.train_size import subsample, train_size

if TYPE_CHECKING:
    from shouldtune.training.lora import TrainReport

NAME = "lora"


def run(
    ctx: EvalContext, train: Sequence[Example], test: Sequence[Example]
) -> tuple[RungResult, list[Prediction]]:
    from shouldtune.training.student import student_dir

    started = time.perf_counter()
    spec = ctx.spec
    # The student may differ from the prompted model (a big served model vs a small local one).
    student_ref = spec.student_model
    if student_ref is None:
        raise ModelError(f"model {spec.model!r} is served over HTTP: set student to fine-tune")
    folder, digest = student_dir(student_ref, ctx.cache)
    # The prompts must be rendered in the student's own chat format.
    own = student_ref != spec.model
    student = (
        load_model(student_ref, ctx.cache, context_length=spec.context_length) if own else ctx.model
    )
    points = sweep_points(spec.lora)
    size = train_size(len(train), spec.lora)
    train = subsample(train, size, spec.split.seed, labeled=ctx.labels is not None)
    if size.reason:
        ctx.say(size.reason)
    try:
        system = system_prompt(spec, ctx.labels)
        base = Student(
            ref=student_ref,
            folder=folder,
            digest=digest,
            system=system,
            params=student.info.n_params,
            revision=student.info.revision,  # the Hub commit, for a Hub name
        )
        if points:
            result, predictions = _run_sweep(ctx, base, student, points, train, test)
        else:
            exclude = [e.input for e in test]
            report = train_adapter(ctx, base, student, spec.lora, train, exclude)
    finally:
        if own:
            student.close()
    if not points:
        result, predictions = score_adapter(ctx, base, spec.lora, report, len(train), test)
    result.settings.train_pool = size.pool
    if size.reason:
        result.settings.train_note = size.reason
        result.notes.append(size.reason)
    # Training and the forgetting probe are part of this rung's cost, not only its test calls.
    result.wall_s = time.perf_counter() - started
    return result, predictions


@dataclass(frozen=True)
class Student:
    """The model the rung fine-tunes, and what every setting's adapter shares."""

    ref: str
    folder: Path
    digest: str
    system: str
    params: int | None
    revision: str | None


def train_adapter(
    ctx: EvalContext,
    base: Student,
    student: Model,
    options: LoraSpec,
    train: Sequence[Example],
    exclude: Sequence[str] = (),
) -> TrainReport:
    """Train (or reuse from the cache: the job's key covers its settings) one adapter.

    `exclude`: inputs replay must never use (the test split's).
    """
    from shouldtune.training.lora import LoraJob, TrainExample
    from shouldtune.training.lora import train as train_lora
    from shouldtune.training.replay import replay_examples

    examples = [
        TrainExample(
            student.render(messages_for(base.system, [], e)),
            student.answer_suffix(messages_for(base.system, [], e), e.expected),
        )
        for e in train
    ]
    # The base student's own answers to general prompts, so the adapter keeps them.
    replay = replay_examples(
        student,
        options.replay,
        len(examples),
        seed=ctx.spec.split.seed,
        cache=ctx.cache,
        exclude=list(exclude),
    )
    job = LoraJob(
        student_dir=str(base.folder),
        student_sha256=base.digest,
        examples=examples,
        rank=options.rank,
        alpha=options.alpha,
        dropout=options.dropout,
        target_modules=list(options.target_modules),
        epochs=options.epochs,
        learning_rate=options.learning_rate,
        batch_size=options.batch_size,
        val_fraction=options.val_fraction,
        patience=options.patience,
        max_steps=options.max_steps,
        seed=ctx.spec.split.seed,
        replay=replay,
    )
    return train_lora(job, ctx.cache.root / "lora", progress=ctx.progress, say=ctx.say)


def open_tuned(
    ctx: EvalContext, base: Student, options: LoraSpec, report: TrainReport
) -> tuple[Model, dict[str, str], dict[str, Any]]:
    """The tuned model, its artifacts and its forgetting figures (measured once per adapter)."""
    adapter = Path(report.adapter_dir)
    tuned, artifacts = _tuned_model(base.ref, ctx, base.folder, adapter)
    if options.merge:
        artifacts["merged"] = str(_merged(base.folder, adapter))
    try:
        forgetting = _forgetting(base.folder, adapter, tuned, options.probe_n, ctx.spec.split.seed)
    except BaseException:
        tuned.close()
        raise
    return tuned, artifacts, forgetting


def score_adapter(
    ctx: EvalContext,
    base: Student,
    options: LoraSpec,
    report: TrainReport,
    train_n: int,
    test: Sequence[Example],
    *,
    extra: dict[str, Any] | None = None,
    copy: bool = True,
) -> tuple[RungResult, list[Prediction]]:
    """One adapter scored on the test split, with its settings, forgetting and artifacts."""
    tuned, artifacts, forgetting = open_tuned(ctx, base, options, report)
    try:
        items = [(example, messages_for(base.system, [], example)) for example in test]
        tuned_ctx = replace(ctx, model=tuned)
        settings: dict[str, Any] = {
            "student": base.ref,
            "student_params": base.params,
            "student_revision": base.revision,
            "train_examples": train_n,
            "replay_examples": report.replay_examples,
            "training": {k: v for k, v in asdict(report).items() if k != "log"},
            "lora": options.model_dump(mode="json"),
            "forgetting": forgetting,
            "artifacts": artifacts,
            "system_prompt": base.system,
            **(extra or {}),
        }
        notes = []
        if report.reused:
            notes.append("adapter reused from the cache (same student, data and settings)")
        if report.resumed_from:
            notes.append(f"training resumed from {report.resumed_from}")
        if report.replay_examples:
            notes.append(
                f"{report.replay_examples} replay examples (the base model's answers to general "
                f"prompts) mixed into {train_n} task examples"
            )
        result, predictions = evaluate(tuned_ctx, NAME, items, settings=settings, notes=notes)
    finally:
        tuned.close()
    if copy and ctx.run_dir is not None:
        _copy_artifacts(artifacts, ctx.run_dir / "artifacts" / "lora")
    return result, predictions


def _tuned_model(
    reference: str, ctx: EvalContext, folder: Path, adapter: Path
) -> tuple[Model, dict[str, str]]:
    from shouldtune.training.gguf_export import export_gguf_lora, ollama_modelfile

    resolved = resolve(reference, ctx.cache.root)
    artifacts = {"adapter": str(adapter)}
    if resolved.backend == "llama.cpp":
        from shouldtune.models.llamacpp import LlamaCppModel

        gguf_path = adapter.parent / "adapter.gguf"
        if not gguf_path.exists():
            config = json.loads((folder / "config.json").read_text())
            export_gguf_lora(adapter, config, gguf_path)
        (adapter.parent / "Modelfile").write_text(ollama_modelfile(resolved.path, gguf_path))
        artifacts.update(gguf_adapter=str(gguf_path), modelfile=str(adapter.parent / "Modelfile"))
        model = LlamaCppModel(
            resolved.path,
            name=f"{resolved.name}+lora",
            file_sha256=ctx.cache.file_hash(resolved.path),
            context_length=ctx.spec.context_length,
            lora_path=gguf_path,
            lora_sha256=ctx.cache.file_hash(gguf_path),
            revision=resolved.revision,
        )
        return model, artifacts
    from shouldtune.models.hf import HFModel

    model_hf = HFModel(
        folder,
        name=f"{resolved.name}+lora",
        file_sha256=ctx.cache.file_hash(folder),
        context_length=ctx.spec.context_length,
        adapter_dir=adapter,
        adapter_sha256=ctx.cache.file_hash(adapter / "adapter_model.safetensors"),
        revision=resolved.revision,
    )
    return model_hf, artifacts


def _merged(folder: Path, adapter: Path) -> Path:
    """Base + adapter folded into one transformers model folder, made once per adapter."""
    target = adapter.parent / "merged"
    if (target / "config.json").exists():
        return target
    from shouldtune.training.student import load_peft

    model, tokenizer = load_peft(folder, adapter)
    tmp = adapter.parent / "merged.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    model.merge_and_unload().save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    tmp.rename(target)
    return target


def _forgetting(
    folder: Path, adapter: Path, tuned: Model, probe_n: int, seed: int
) -> dict[str, Any]:
    from shouldtune.analysis.forgetting import measure
    from shouldtune.analysis.general_probe import POOL_VERSION
    from shouldtune.training.student import load_peft

    # Figures on another probe (size, sample or pool) are another measurement.
    cached = adapter / f"forgetting-p{POOL_VERSION}-n{probe_n}-s{seed}.json"
    if cached.exists():
        loaded: dict[str, Any] = json.loads(cached.read_text())
        return loaded
    model, tokenizer = load_peft(folder, adapter)
    figures = measure(model, tokenizer, tuned.render, probe_n=probe_n, seed=seed)
    value = {**figures.model_dump(), "ppl_change": figures.ppl_change, "summary": figures.summary()}
    cached.write_text(json.dumps(value, indent=1))
    return value


def _copy_artifacts(artifacts: dict[str, str], target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for source in artifacts.values():
        path = Path(source)
        if path.is_dir():
            shutil.copytree(path, target / path.name, dirs_exist_ok=True)
        elif path.exists():
            shutil.copy2(path, target / path.name)


# --- the sweep (shouldtune.sweep runs it; this runner trains and scores) -----------------


class _RealRunner:
    """Trains adapters on the student and scores them with the tuned model."""

    def __init__(
        self,
        ctx: EvalContext,
        base: Student,
        student: Model,
        pool: Sequence[Example],
        *,
        exclude: Sequence[str] = (),
    ) -> None:
        self.ctx, self.base, self.student, self.pool = ctx, base, student, pool
        self.exclude = exclude

    def options(self, overrides: dict[str, Any]) -> LoraSpec:
        return self.ctx.spec.lora.at(overrides)

    def fit(self, overrides: dict[str, Any], val: Sequence[Example]) -> Fitted:
        options = self.options(overrides)
        report = train_adapter(self.ctx, self.base, self.student, options, self.pool, self.exclude)
        tuned, _, forgetting = open_tuned(self.ctx, self.base, options, report)
        try:
            tuned_ctx = replace(self.ctx, model=tuned)
            scores = [
                ask_unrecorded(tuned_ctx, NAME, e, messages_for(self.base.system, [], e)).score
                for e in val
            ]
        finally:
            tuned.close()
        return Fitted(
            overrides=overrides,
            val_scores=scores,
            forgetting=Forgetting.model_validate(forgetting),
            handle=report,
            wall_s=0.0 if report.reused else report.wall_s,
            adapter=report.adapter_dir,
        )

    def test(
        self, fitted: Fitted, test: Sequence[Example], record: SweepRecord | None
    ) -> tuple[RungResult, list[Prediction]]:
        report: TrainReport = fitted.handle
        extra = {"sweep": record.model_dump(mode="json")} if record is not None else None
        return score_adapter(
            self.ctx,
            self.base,
            self.options(fitted.overrides),
            report,
            len(self.pool),
            test,
            extra=extra,
            copy=record is not None,  # the chosen adapter is the run's artifact
        )


def sweep_eta(
    student: Model, system: str, example: Example, steps: Sequence[int], batch: Sequence[int]
) -> float | None:
    """Seconds of training the sweep should take: the plan's rule from one timed forward."""
    if not student.scores_labels:
        return None
    messages = messages_for(system, [], example)
    start = time.perf_counter()
    student.loglik(
        prompt_for(student, messages), [student.answer_suffix(messages, example.expected)]
    )
    forward_s = time.perf_counter() - start
    return sum(s * b * forward_s * STEP_FORWARDS for s, b in zip(steps, batch, strict=True))


def _run_sweep(
    ctx: EvalContext,
    base: Student,
    student: Model,
    points: Sequence[dict[str, Any]],
    train: Sequence[Example],
    test: Sequence[Example],
) -> tuple[RungResult, list[Prediction]]:
    """The lora rung with a sweep: carve the validation slice, tell the ETA, run the sweep."""
    spec = ctx.spec
    val, pool = carve(train, ctx.labels, spec.split.seed)
    options = [spec.lora.at(p) for p in points]
    steps = [steps_for(len(pool), o) for o in options]
    eta = sweep_eta(student, base.system, pool[0], steps, [o.batch_size for o in options])
    eta_words = f", about {eta / 60:.1f} minutes of training (rough)" if eta is not None else ""
    ctx.say(
        f"sweep: {len(points)} settings, {sum(steps)} training steps in all on {len(pool)} "
        f"train examples, chosen on {len(val)} validation examples{eta_words}"
    )
    # Replay must never train on a test input; only the inputs' text is passed, no score.
    runner = _RealRunner(ctx, base, student, pool, exclude=[e.input for e in test])
    return sweep(points, runner, val, test, spec.forgetting, say=ctx.say)

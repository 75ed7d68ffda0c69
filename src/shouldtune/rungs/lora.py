"""Rung 3: fine-tune a LoRA adapter on the train split, score it on the same test split.

The tuned model is asked with the zero-shot prompt (instructions and input, no
demonstrations): that short prompt is what it would be served with. When the student is
a GGUF model, the adapter is exported to GGUF and scored in llama.cpp, the engine the
prompt rungs ran on; a transformers student is scored in transformers with peft.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from shouldtune.evaluate import EvalContext, evaluate
from shouldtune.models.base import Model, ModelError
from shouldtune.models.registry import load_model, resolve
from shouldtune.prompts import messages_for, system_prompt
from shouldtune.records import Example, Prediction, RungResult

NAME = "lora"


def run(
    ctx: EvalContext, train: Sequence[Example], test: Sequence[Example]
) -> tuple[RungResult, list[Prediction]]:
    from shouldtune.training.lora import LoraJob, TrainExample
    from shouldtune.training.lora import train as train_lora
    from shouldtune.training.replay import replay_examples
    from shouldtune.training.student import student_dir

    spec = ctx.spec
    options = spec.lora
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
    try:
        system = system_prompt(spec, ctx.labels)
        student_params = student.info.n_params
        student_revision = student.info.revision  # the Hub commit, for a Hub name
        examples = [
            TrainExample(
                student.render(messages_for(system, [], e)),
                student.answer_suffix(messages_for(system, [], e), e.expected),
            )
            for e in train
        ]
        # The base student's own answers to general prompts, so the adapter keeps them.
        replay = replay_examples(
            student,
            options.replay,
            len(examples),
            seed=spec.split.seed,
            cache=ctx.cache,
            exclude=[e.input for e in test],
        )
        job = LoraJob(
            student_dir=str(folder),
            student_sha256=digest,
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
            seed=spec.split.seed,
            replay=replay,
        )
        report = train_lora(job, ctx.cache.root / "lora", progress=ctx.progress, say=ctx.say)
        adapter = Path(report.adapter_dir)
        tuned, artifacts = _tuned_model(student_ref, ctx, folder, adapter)
        if options.merge:
            artifacts["merged"] = str(_merged(folder, adapter))
    finally:
        if own:
            student.close()
    try:
        forgetting = _forgetting(folder, adapter, tuned, options.probe_n, spec.split.seed)
        items = [(example, messages_for(system, [], example)) for example in test]
        tuned_ctx = replace(ctx, model=tuned)
        settings: dict[str, Any] = {
            "student": student_ref,
            "student_params": student_params,
            "student_revision": student_revision,
            "train_examples": len(train),
            "replay_examples": len(replay),
            "training": {k: v for k, v in asdict(report).items() if k != "log"},
            "lora": options.model_dump(mode="json"),
            "forgetting": forgetting,
            "artifacts": artifacts,
            "system_prompt": system,
        }
        notes = []
        if report.reused:
            notes.append("adapter reused from the cache (same student, data and settings)")
        if report.resumed_from:
            notes.append(f"training resumed from {report.resumed_from}")
        if replay:
            notes.append(
                f"{len(replay)} replay examples (the base model's answers to general prompts) "
                f"mixed into {len(train)} task examples"
            )
        result, predictions = evaluate(tuned_ctx, NAME, items, settings=settings, notes=notes)
    finally:
        tuned.close()
    if ctx.run_dir is not None:
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

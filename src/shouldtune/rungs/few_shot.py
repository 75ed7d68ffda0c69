"""Rung 1b: the instructions plus k demonstrations drawn from the train split only.

By default one fixed set of demonstrations serves every test example: the prompt prefix is
then shared and computed once, and the result does not depend on which example happens to
be asked. `selection: similar` instead gives each test example the k train examples nearest
to it (the RAG rung's embedder): a stronger prompt baseline before anyone pays for training.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from shouldtune.budget import max_new_tokens
from shouldtune.evaluate import EvalContext, evaluate
from shouldtune.models.base import ContextOverflow, Message
from shouldtune.prompts import (
    default_k,
    messages_for,
    pick_demonstrations,
    probe_examples,
    system_prompt,
)
from shouldtune.records import Example, Prediction, RungResult

NAME = "few_shot"
_ANSWER_ROOM = 16


@dataclass(frozen=True)
class Demonstrations:
    """The demonstrations for each test example (one shared list unless similar)."""

    selection: str
    k: int
    per_example: list[list[Example]]
    shared: bool


def choose(ctx: EvalContext, train: Sequence[Example], test: Sequence[Example]) -> Demonstrations:
    spec = ctx.spec
    k = spec.few_shot.k or default_k(ctx.labels)
    if spec.few_shot.selection == "similar":
        from shouldtune.rag.embedder import load_embedder
        from shouldtune.rag.similar import nearest_examples

        embedder = ctx.embedder or load_embedder(
            spec.rag.embedder, ctx.cache, batch_size=spec.rag.batch_size
        )
        return Demonstrations(
            "similar", k, nearest_examples(embedder, ctx.cache, train, test, k), shared=False
        )
    balanced = spec.few_shot.selection == "balanced" and ctx.labels is not None
    demos = pick_demonstrations(train, k, seed=spec.split.seed, balanced=balanced)
    return Demonstrations("balanced" if balanced else "random", k, [demos] * len(test), True)


def answer_room(ctx: EvalContext) -> int:
    return max_new_tokens(ctx.spec) if ctx.labels is None else _ANSWER_ROOM


def run(
    ctx: EvalContext, train: Sequence[Example], test: Sequence[Example]
) -> tuple[RungResult, list[Prediction]]:
    system = system_prompt(ctx.spec, ctx.labels)
    chosen = choose(ctx, train, test)
    notes: list[str] = []
    if chosen.shared:
        demos, dropped = _fit_context(ctx, system, chosen.per_example[0] if test else [], test)
        per_example = [demos] * len(test)
        if dropped:
            notes.append(f"{dropped} demonstration(s) dropped to fit the model's context")
    else:
        per_example = [
            fit_demonstrations(ctx, demos, _builder(system, example))
            for demos, example in zip(chosen.per_example, test, strict=True)
        ]
        trimmed = sum(
            1
            for kept, demos in zip(per_example, chosen.per_example, strict=True)
            if len(kept) < len(demos)
        )
        if trimmed:
            notes.append(f"{trimmed} example(s) had demonstrations dropped to fit the context")
    items = [
        (example, messages_for(system, demos, example))
        for demos, example in zip(per_example, test, strict=True)
    ]
    if chosen.shared:
        demo_ids = [d.id for d in per_example[0]] if per_example else []
    else:
        demo_ids = sorted({d.id for demos in per_example for d in demos})
    settings: dict[str, Any] = {
        "k": max((len(d) for d in per_example), default=0),
        "selection": chosen.selection,
        "demonstration_ids": demo_ids,
        "system_prompt": system,
    }
    probe = None
    if chosen.shared:  # per-example demonstrations would need a probe of their own
        demos = per_example[0] if per_example else []
        probe = [(e, messages_for(system, demos, e)) for e in probe_examples(train, demos)]
    result, predictions = evaluate(ctx, NAME, items, settings=settings, notes=notes, probe=probe)
    if not chosen.shared:
        for prediction, demos in zip(predictions, per_example, strict=True):
            prediction.detail["demonstration_ids"] = [d.id for d in demos]
    return result, predictions


BuildMessages = Callable[[list[Example]], list[Message]]


def _builder(system: str, example: Example) -> BuildMessages:
    return lambda kept: messages_for(system, kept, example)


def fit_demonstrations(
    ctx: EvalContext, demos: list[Example], build: BuildMessages, reserve: int = 0
) -> list[Example]:
    """Drop demonstrations from the front (the least similar) until build(kept) fits.

    `reserve` keeps room for text added later (the RAG rung's passages).
    """
    budget = ctx.model.info.context_length - answer_room(ctx) - reserve
    kept = list(demos)
    while kept and ctx.model.count_tokens(ctx.model.render(build(kept))) > budget:
        kept.pop(0)
    return kept


def _fit_context(
    ctx: EvalContext, system: str, demos: list[Example], test: Sequence[Example]
) -> tuple[list[Example], int]:
    """Drop demonstrations from the end until the longest test prompt fits the context."""
    if not test:
        return demos, 0
    longest = max(test, key=lambda e: len(e.input))
    budget = ctx.model.info.context_length - answer_room(ctx)
    kept = list(demos)
    while kept:
        prompt = ctx.model.render(messages_for(system, kept, longest))
        if ctx.model.count_tokens(prompt) <= budget:
            break
        kept.pop()
    if not kept and demos:
        raise ContextOverflow(
            ctx.model.count_tokens(ctx.model.render(messages_for(system, demos[:1], longest))),
            budget,
        )
    return kept, len(demos) - len(kept)

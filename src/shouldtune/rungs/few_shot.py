"""Rung 1b: the instructions plus k demonstrations drawn from the train split only.

One fixed set of demonstrations serves every test example: the prompt prefix is then shared
and computed once, and the result does not depend on which example happens to be asked.
"""

from __future__ import annotations

from collections.abc import Sequence

from shouldtune.evaluate import EvalContext, evaluate
from shouldtune.models.base import ContextOverflow
from shouldtune.prompts import default_k, messages_for, pick_demonstrations, system_prompt
from shouldtune.records import Example, Prediction, RungResult

NAME = "few_shot"
_ANSWER_ROOM = 16


def run(
    ctx: EvalContext, train: Sequence[Example], test: Sequence[Example]
) -> tuple[RungResult, list[Prediction]]:
    spec = ctx.spec
    k = spec.few_shot.k or default_k(ctx.labels)
    balanced = spec.few_shot.selection == "balanced" and ctx.labels is not None
    demos = pick_demonstrations(train, k, seed=spec.split.seed, balanced=balanced)
    system = system_prompt(spec, ctx.labels)
    notes: list[str] = []
    demos, dropped = _fit_context(ctx, system, demos, test)
    if dropped:
        notes.append(f"{dropped} demonstration(s) dropped to fit the model's context")
    items = [(example, messages_for(system, demos, example)) for example in test]
    settings = {
        "k": len(demos),
        "selection": "balanced" if balanced else "random",
        "demonstration_ids": [d.id for d in demos],
        "system_prompt": system,
    }
    return evaluate(ctx, NAME, items, settings=settings, notes=notes)


def _fit_context(
    ctx: EvalContext, system: str, demos: list[Example], test: Sequence[Example]
) -> tuple[list[Example], int]:
    """Drop demonstrations from the end until the longest test prompt fits the context."""
    if not test:
        return demos, 0
    longest = max(test, key=lambda e: len(e.input))
    answer_room = ctx.spec.max_new_tokens if ctx.labels is None else _ANSWER_ROOM
    budget = ctx.model.info.context_length - answer_room
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

"""Which demonstrations a prompt carries, and how many fit: shared by the prompt rungs.

The few-shot, prompt-search and RAG rungs pick demonstrations from the train split only, and
drop them when the prompt outgrows the model's context. They live here, below the rungs, so
that no rung imports another.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shouldtune.budget import max_new_tokens
from shouldtune.evaluate import EvalContext
from shouldtune.models.base import ContextOverflow, Message
from shouldtune.prompts import Layout, default_k, messages_for, pick_demonstrations
from shouldtune.records import Example, Prediction

_ANSWER_ROOM = 16

BuildMessages = Callable[[list[Example]], list[Message]]


@dataclass(frozen=True)
class Demonstrations:
    """The demonstrations for each test example (one shared list unless similar)."""

    selection: str
    k: int
    per_example: list[list[Example]]
    shared: bool


def choose(
    ctx: EvalContext,
    train: Sequence[Example],
    test: Sequence[Example],
    *,
    k: int | None = None,
    selection: str | None = None,
    seed: int | None = None,
) -> Demonstrations:
    """k demonstrations from `train` for each example of `test` (few-shot settings by default)."""
    spec = ctx.spec
    k = k or spec.few_shot.k or default_k(ctx.labels)
    selection = selection or spec.few_shot.selection
    if selection == "similar":
        from shouldtune.rag.embedder import load_embedder
        from shouldtune.rag.similar import nearest_examples

        embedder = ctx.embedder or load_embedder(
            spec.rag.embedder, ctx.cache, batch_size=spec.rag.batch_size
        )
        return Demonstrations(
            "similar", k, nearest_examples(embedder, ctx.cache, train, test, k), shared=False
        )
    balanced = selection == "balanced" and ctx.labels is not None
    seed = spec.split.seed if seed is None else seed
    demos = pick_demonstrations(train, k, seed=seed, balanced=balanced)
    return Demonstrations("balanced" if balanced else "random", k, [demos] * len(test), True)


def answer_room(ctx: EvalContext) -> int:
    return max_new_tokens(ctx.spec) if ctx.labels is None else _ANSWER_ROOM


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


def fit_shared(
    ctx: EvalContext,
    system: str,
    demos: list[Example],
    test: Sequence[Example],
    layout: Layout = "chat",
) -> tuple[list[Example], int]:
    """Drop demonstrations from the end until the longest test prompt fits the context."""
    if not test:
        return demos, 0
    longest = max(test, key=lambda e: len(e.input))
    budget = ctx.model.info.context_length - answer_room(ctx)
    kept = list(demos)
    while kept:
        prompt = ctx.model.render(messages_for(system, kept, longest, layout))
        if ctx.model.count_tokens(prompt) <= budget:
            break
        kept.pop()
    if not kept and demos:
        raise ContextOverflow(
            ctx.model.count_tokens(
                ctx.model.render(messages_for(system, demos[:1], longest, layout))
            ),
            budget,
        )
    return kept, len(demos) - len(kept)


def record_demonstrations(
    predictions: Sequence[Prediction],
    test: Sequence[Example],
    per_example: Sequence[Sequence[Example]],
) -> None:
    """Note in each prediction the demonstrations its prompt showed (chosen per input).

    Matched by id, not position: a rung evaluated sequentially may stop before the last test
    example, so there can be fewer predictions than inputs.
    """
    by_id = {e.id: demos for e, demos in zip(test, per_example, strict=True)}
    for prediction in predictions:
        prediction.detail["demonstration_ids"] = [d.id for d in by_id[prediction.example_id]]

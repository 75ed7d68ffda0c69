"""Which demonstrations a prompt carries, and how many fit: shared by the prompt rungs.

The few-shot rung and the RAG rung (and any rung that adds examples to a prompt) pick
demonstrations from the train split only, and drop them when the prompt outgrows the
model's context. They live here, below the rungs, so that no rung imports another.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shouldtune.evaluate import EvalContext
from shouldtune.models.base import Message
from shouldtune.prompts import default_k, pick_demonstrations
from shouldtune.records import Example

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
    return ctx.spec.max_new_tokens if ctx.labels is None else _ANSWER_ROOM


BuildMessages = Callable[[list[Example]], list[Message]]


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

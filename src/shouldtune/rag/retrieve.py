"""From a query to the passages placed in the prompt: search, token budget, context block."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from shouldtune.rag.chunking import Chunk
from shouldtune.rag.corpus import Corpus
from shouldtune.rag.index import ExactIndex, Index, IndexKind, IvfIndex, default_lists
from shouldtune.rag.store import EmbeddingStore


def make_index(kind: IndexKind, corpus: Corpus, store: EmbeddingStore, *, seed: int) -> Index:
    """The exact index, or an IVF index whose k-means lists are persisted with the embeddings."""
    if kind == "exact":
        return ExactIndex(corpus.vectors)
    lists = default_lists(len(corpus.chunks))
    ids = "\n".join(chunk.id for chunk in corpus.chunks)
    name = "ivf-" + hashlib.sha256(f"{ids}\n{lists}\n{seed}".encode()).hexdigest()[:24]
    saved = store.load_index(name)
    if saved is not None and {"centroids", "assignment"} <= saved.keys():
        centroids = saved["centroids"].astype(np.float32)
        assignment = saved["assignment"].astype(np.int64)
        if len(assignment) == len(corpus.chunks) and len(centroids) == lists:
            return IvfIndex.from_assignment(corpus.vectors, centroids, assignment)
    index = IvfIndex.build(corpus.vectors, lists=lists, seed=seed)
    store.save_index(name, {"centroids": index.centroids, "assignment": index.assignment()})
    return index


@dataclass(frozen=True)
class Passage:
    chunk: Chunk
    score: float
    rank: int  # 1-based rank in the search results


def block(chunk: Chunk) -> str:
    """One passage as the model reads it: its heading path, then its text.

    No file names or passage numbers: small models copy them into the answer ("1. The
    rootline-app.md ..."). Predictions keep the full citation of every passage instead.
    """
    return chunk.text


def within_budget(
    ranked: Sequence[Passage], budget: int, count_tokens: Callable[[str], int]
) -> tuple[list[Passage], int]:
    """The ranked passages that fit the token budget, best first; (kept, tokens used).

    A passage too large for what is left is skipped and the next one tried: a smaller lower
    ranked passage is more use to the model than an empty slot.
    """
    kept: list[Passage] = []
    used = 0
    for passage in ranked:
        cost = count_tokens(block(passage.chunk)) + 2  # the blank line between
        if used + cost <= budget:
            kept.append(passage)
            used += cost
    return kept, used


def context_text(passages: Sequence[Passage]) -> str:
    return "\n\n".join(block(p.chunk) for p in passages)

"""Similar-example demonstrations: the train examples nearest each test input."""

from __future__ import annotations

from collections.abc import Sequence

from shouldtune.cache import CallCache
from shouldtune.rag.embedder import Embedder, embed_cached
from shouldtune.rag.index import ExactIndex
from shouldtune.records import Example


def nearest_examples(
    embedder: Embedder,
    cache: CallCache,
    train: Sequence[Example],
    test: Sequence[Example],
    k: int,
) -> list[list[Example]]:
    """For each test example, its k nearest train examples by input, the nearest last.

    Nearest last: it then sits right before the question, where a small model weighs a
    demonstration most. Only train examples are candidates, so no test answer can leak.
    """
    if not train or not test or k < 1:
        return [[] for _ in test]
    pool = sorted(train, key=lambda e: e.id)  # ties break by id, not by file order
    train_vectors = embed_cached(embedder, cache, [e.input for e in pool])
    test_vectors = embed_cached(embedder, cache, [e.input for e in test])
    _, ids = ExactIndex(train_vectors).search(test_vectors, k)
    return [[pool[int(i)] for i in reversed(row)] for row in ids]

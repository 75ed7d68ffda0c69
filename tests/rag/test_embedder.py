"""The built-in embedder (all-MiniLM-L6-v2 from its PyPI package), offline, on the CPU."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from shouldtune.cache import CallCache
from shouldtune.rag.embedder import (
    BUILTIN_EMBEDDER,
    EmbedderError,
    embed_cached,
    load_embedder,
    resolve_embedder,
)


def test_builtin_embedder_gives_unit_vectors_that_rank_by_meaning(cache: CallCache) -> None:
    embedder = load_embedder(BUILTIN_EMBEDDER, cache, batch_size=2)
    assert embedder.identity.startswith("sentence-transformers:all-minilm-l6-v2:")
    texts = [
        "The robot weighs 7.4 kilograms.",
        "How heavy is the robot?",
        "Refunds are paid within 26 working days.",
    ]
    vectors = embedder.embed(texts)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[1] @ vectors[0] > vectors[1] @ vectors[2]
    assert embedder.texts_embedded == 3

    again = embed_cached(embedder, cache, texts[:2])
    assert embedder.texts_embedded == 5
    assert np.array_equal(embed_cached(embedder, cache, texts[:2]), again)  # from the cache
    assert embedder.texts_embedded == 5
    assert np.allclose(again, vectors[:2], atol=1e-5)


def test_a_path_that_is_not_a_model_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EmbedderError, match="not the built-in embedder"):
        resolve_embedder(str(tmp_path / "missing"))
    with pytest.raises(EmbedderError, match="not a model folder"):
        resolve_embedder(str(tmp_path))
    name, path = resolve_embedder(BUILTIN_EMBEDDER)
    assert name == BUILTIN_EMBEDDER and (path / "modules.json").is_file()

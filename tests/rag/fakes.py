"""A fake embedder for logic tests: bag of hashed words, deterministic, counts what it embeds."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

_WORD = re.compile(r"\w+")


class HashEmbedder:
    """Implements `shouldtune.rag.embedder.Embedder`: texts sharing words get close vectors."""

    def __init__(self, dim: int = 256, name: str = "hash") -> None:
        self._dim = dim
        self._identity = f"fake:{name}:{dim}"
        self.calls = 0
        self.texts: list[str] = []

    @property
    def identity(self) -> str:
        return self._identity

    @property
    def dim(self) -> int:
        return self._dim

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.calls += 1
        self.texts.extend(texts)
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self._dim] += 1.0
            if not out[row].any():
                out[row, 0] = 1.0
        normed: np.ndarray[Any, np.dtype[np.float32]] = out / np.linalg.norm(
            out, axis=1, keepdims=True
        )
        return normed

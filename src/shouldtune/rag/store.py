"""Embeddings on disk, one array per document content hash, under the cache folder.

Layout: `<cache>/rag/<embedder>/<chunking>/<file sha256>.npy`, where `<embedder>` is a hash
of the embedder's identity (model files included) and `<chunking>` names the chunk settings.
Keying by content rather than by path means an unchanged file is never embedded again, a
renamed one neither, and an edited file re-embeds only its own chunks. Writes go to a
temporary file and are renamed into place, so a killed run never leaves half an array.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class EmbeddingStore:
    def __init__(self, root: Path, embedder_identity: str, chunking: str) -> None:
        embedder_key = hashlib.sha256(embedder_identity.encode()).hexdigest()[:16]
        self.folder = root / embedder_key / chunking
        self.embedder_identity = embedder_identity

    def _path(self, name: str) -> Path:
        return self.folder / f"{name}.npy"

    def load(self, name: str, rows: int) -> Vectors | None:
        """The stored array, or None when it is missing, unreadable or of the wrong shape."""
        path = self._path(name)
        if not path.is_file():
            return None
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            return None
        if array.ndim != 2 or array.shape[0] != rows or array.dtype != np.float32:
            return None
        return np.asarray(array)

    def save(self, name: str, array: Vectors) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(name)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with tmp.open("wb") as handle:
            np.save(handle, np.ascontiguousarray(array, dtype=np.float32), allow_pickle=False)
        os.replace(tmp, path)

    def load_index(self, name: str) -> dict[str, npt.NDArray[np.generic]] | None:
        path = self.folder / f"{name}.npz"
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                return {key: np.asarray(data[key]) for key in data.files}
        except (OSError, ValueError, KeyError):
            return None

    def save_index(self, name: str, arrays: dict[str, npt.NDArray[np.generic]]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{name}.npz"
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with tmp.open("wb") as handle:
            np.savez(handle, allow_pickle=False, **arrays)
        os.replace(tmp, path)

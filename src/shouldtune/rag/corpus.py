"""The searchable corpus: every document's chunks and their embeddings, reused by content hash."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shouldtune.rag.chunking import Chunk, chunk_document
from shouldtune.rag.documents import DocumentSet
from shouldtune.rag.embedder import Embedder, Vectors
from shouldtune.rag.store import EmbeddingStore

_GROUP = 1024


@dataclass(frozen=True)
class Corpus:
    chunks: tuple[Chunk, ...]
    vectors: Vectors  # row i embeds chunks[i]
    embedded_chunks: int  # embedded in this call
    reused_chunks: int  # read back from the store
    embedded_files: tuple[str, ...]

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(chunk.source for chunk in self.chunks))


def build_corpus(
    documents: DocumentSet,
    embedder: Embedder,
    store: EmbeddingStore,
    *,
    chunk_tokens: int,
    overlap: int,
) -> Corpus:
    """Chunk every document and embed the chunks of files the store does not hold yet.

    New or changed files are embedded in groups of about `_GROUP` chunks, each group saved
    as soon as it is done, so an interrupted build keeps what it finished.
    """
    per_file: list[tuple[str, list[Chunk], Vectors | None]] = []
    for document in documents.documents:
        chunks = chunk_document(document, chunk_tokens=chunk_tokens, overlap=overlap)
        per_file.append((document.sha256, chunks, store.load(document.sha256, len(chunks))))
    # Two files with the same content share one array (their chunk texts are the same).
    todo = list(
        {sha: chunks for sha, chunks, stored in per_file if stored is None and chunks}.items()
    )
    fresh: dict[str, Vectors] = {}
    group: list[tuple[str, list[Chunk]]] = []
    for position, item in enumerate(todo):
        group.append(item)
        if sum(len(chunks) for _, chunks in group) >= _GROUP or position == len(todo) - 1:
            fresh.update(_embed_group(embedder, store, group))
            group = []
    embedded = sum(len(chunks) for _, chunks in todo)
    all_chunks: list[Chunk] = []
    parts: list[Vectors] = []
    reused = 0
    for sha, chunks, stored in per_file:
        if not chunks:
            continue
        all_chunks.extend(chunks)
        if stored is not None:
            reused += len(chunks)
            parts.append(stored)
        else:
            parts.append(fresh[sha])
    matrix = np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)
    changed = {sha for sha, _ in todo}
    return Corpus(
        chunks=tuple(all_chunks),
        vectors=np.ascontiguousarray(matrix, dtype=np.float32),
        embedded_chunks=embedded,
        reused_chunks=reused,
        embedded_files=tuple(d.path for d in documents.documents if d.sha256 in changed),
    )


def _embed_group(
    embedder: Embedder, store: EmbeddingStore, group: list[tuple[str, list[Chunk]]]
) -> dict[str, Vectors]:
    vectors = embedder.embed([chunk.embed_text for _, chunks in group for chunk in chunks])
    out: dict[str, Vectors] = {}
    row = 0
    for sha, chunks in group:
        part = vectors[row : row + len(chunks)]
        row += len(chunks)
        store.save(sha, part)
        out[sha] = part
    return out

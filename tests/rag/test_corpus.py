"""Embeddings are reused by content: an unchanged folder embeds nothing, an edit only itself."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from shouldtune.rag.chunking import chunk_document
from shouldtune.rag.corpus import Corpus, build_corpus
from shouldtune.rag.documents import read_documents
from shouldtune.rag.store import EmbeddingStore
from tests.rag.fakes import HashEmbedder


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("# A\n\nAlpha one.\n\n## More\n\nAlpha two.\n")
    (folder / "b.txt").write_text("Beta one.\n\nBeta two.\n\nBeta three.\n")
    (folder / "c.rst").write_text("C\n=\n\nGamma.\n")
    return folder


def build(docs: Path, embedder: HashEmbedder, cache: Path) -> Corpus:
    documents = read_documents(docs, max_file_bytes=10_000, max_total_bytes=100_000)
    store = EmbeddingStore(cache, embedder.identity, "t5-o0")
    return build_corpus(documents, embedder, store, chunk_tokens=5, overlap=0)


def test_unchanged_folder_embeds_nothing_the_second_time(docs: Path, tmp_path: Path) -> None:
    embedder = HashEmbedder()
    first = build(docs, embedder, tmp_path / "rag")
    assert first.embedded_chunks == len(first.chunks) == 6
    assert embedder.calls == 1 and len(embedder.texts) == 6  # one batched call
    second = build(docs, embedder, tmp_path / "rag")
    assert embedder.calls == 1  # nothing embedded
    assert (second.embedded_chunks, second.reused_chunks) == (0, 6)
    assert [c.id for c in second.chunks] == [c.id for c in first.chunks]
    assert np.array_equal(second.vectors, first.vectors)


def test_touching_a_file_embeds_nothing_and_editing_it_embeds_only_its_chunks(
    docs: Path, tmp_path: Path
) -> None:
    embedder = HashEmbedder()
    build(docs, embedder, tmp_path / "rag")
    os.utime(docs / "b.txt", (1_000_000, 1_000_000))  # newer mtime, same content
    assert build(docs, embedder, tmp_path / "rag").embedded_chunks == 0
    (docs / "b.txt").write_text("Beta one.\n\nBeta two, edited.\n\nBeta three.\n")
    before = len(embedder.texts)
    changed = build(docs, embedder, tmp_path / "rag")
    fresh = embedder.texts[before:]
    b_chunks = [c for c in changed.chunks if c.source == "b.txt"]
    assert fresh == [c.embed_text for c in b_chunks]
    assert changed.embedded_files == ("b.txt",)
    assert (changed.embedded_chunks, changed.reused_chunks) == (3, 3)
    # Every row still embeds its own chunk, new and reused ones alike.
    expected = HashEmbedder().embed([c.embed_text for c in changed.chunks])
    assert np.allclose(changed.vectors, expected)


def test_another_embedder_never_reads_these_vectors(docs: Path, tmp_path: Path) -> None:
    build(docs, HashEmbedder(), tmp_path / "rag")
    other = HashEmbedder(name="other")
    assert build(docs, other, tmp_path / "rag").embedded_chunks == 6


def test_a_damaged_array_is_embedded_again(docs: Path, tmp_path: Path) -> None:
    embedder = HashEmbedder()
    build(docs, embedder, tmp_path / "rag")
    documents = read_documents(docs, max_file_bytes=10_000, max_total_bytes=100_000)
    b_sha = next(d.sha256 for d in documents.documents if d.path == "b.txt")
    folder = EmbeddingStore(tmp_path / "rag", embedder.identity, "t5-o0").folder
    (folder / f"{b_sha}.npy").write_bytes(b"not an array")
    again = build(docs, embedder, tmp_path / "rag")
    assert again.embedded_files == ("b.txt",) and again.embedded_chunks == 3


def test_renamed_file_and_duplicate_content_are_not_embedded_twice(
    docs: Path, tmp_path: Path
) -> None:
    embedder = HashEmbedder()
    (docs / "copy.txt").write_text((docs / "b.txt").read_text())
    first = build(docs, embedder, tmp_path / "rag")
    assert first.embedded_chunks == 6  # b.txt and copy.txt share one array
    assert len(first.chunks) == 9
    (docs / "c.rst").rename(docs / "renamed.rst")
    assert build(docs, embedder, tmp_path / "rag").embedded_chunks == 0


def test_chunk_rows_line_up_with_their_text(docs: Path, tmp_path: Path) -> None:
    corpus = build(docs, HashEmbedder(), tmp_path / "rag")
    documents = read_documents(docs, max_file_bytes=10_000, max_total_bytes=100_000)
    expected = [
        c for d in documents.documents for c in chunk_document(d, chunk_tokens=5, overlap=0)
    ]
    assert [c.id for c in corpus.chunks] == [c.id for c in expected]
    assert corpus.vectors.shape == (len(expected), 256)

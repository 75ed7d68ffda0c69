"""Exact search is exact; the approximate index's recall is measured, not assumed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from shouldtune.rag.chunking import Chunk
from shouldtune.rag.corpus import Corpus
from shouldtune.rag.index import ExactIndex, IvfIndex, recall_at_k, spherical_kmeans
from shouldtune.rag.retrieve import make_index
from shouldtune.rag.store import EmbeddingStore

Vectors = npt.NDArray[np.float32]


def unit(rows: npt.NDArray[np.float64]) -> Vectors:
    normed: np.ndarray[Any, np.dtype[np.float32]] = (
        rows / np.linalg.norm(rows, axis=1, keepdims=True)
    ).astype(np.float32)
    return normed


def clustered(n: int, dim: int = 32, centers: int = 20, seed: int = 0) -> Vectors:
    """Vectors around a few directions, like sentence embeddings of a few topics."""
    rng = np.random.default_rng(seed)
    middles = rng.normal(size=(centers, dim))
    picks = rng.integers(0, centers, size=n)
    return unit(middles[picks] + 0.35 * rng.normal(size=(n, dim)))


def brute_force(vectors: Vectors, queries: Vectors, k: int) -> npt.NDArray[np.int64]:
    scores = queries @ vectors.T
    return np.array([sorted(range(len(row)), key=lambda i: (-row[i], i))[:k] for row in scores])


def test_exact_search_matches_brute_force_with_recall_one() -> None:
    vectors = clustered(500)
    queries = clustered(40, seed=1)
    scores, ids = ExactIndex(vectors).search(queries, 7)
    truth = brute_force(vectors, queries, 7)
    assert np.array_equal(ids, truth)
    assert recall_at_k(ids, truth) == 1.0
    assert np.all(np.diff(scores, axis=1) <= 1e-6)  # best first


def test_exact_ties_break_by_lower_id_and_k_is_capped() -> None:
    vectors = unit(np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
    _, ids = ExactIndex(vectors).search(unit(np.array([[1.0, 0.0]])), 10)
    assert ids.tolist() == [[0, 1, 2]]


def test_approximate_recall_is_high_and_measured_against_exact() -> None:
    vectors = clustered(3000)
    queries = clustered(100, seed=2)
    truth = ExactIndex(vectors).search(queries, 10)[1]
    index = IvfIndex.build(vectors, seed=0)
    assert len(index.centroids) == 55  # about sqrt(n) lists
    found = index.search(queries, 10)[1]
    recall = recall_at_k(found, truth)
    assert recall >= 0.8
    everything = IvfIndex.from_assignment(
        vectors, index.centroids, index.assignment(), probes=len(index.centroids)
    )
    assert recall_at_k(everything.search(queries, 10)[1], truth) == 1.0  # all lists = exact


def test_recall_at_k_counts_the_shared_share() -> None:
    truth = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    found = np.array([[4, 3, 9, 9], [5, 6, 7, 8]])
    assert recall_at_k(found, truth) == 0.75


def test_kmeans_assigns_every_vector_to_its_nearest_centroid() -> None:
    vectors = clustered(400, centers=5)
    centroids, assignment = spherical_kmeans(vectors, 5, seed=0)
    assert np.array_equal(assignment, np.argmax(vectors @ centroids.T, axis=1))
    assert np.allclose(np.linalg.norm(centroids, axis=1), 1.0, atol=1e-5)


def test_ivf_lists_are_persisted_and_reused(tmp_path: Path) -> None:
    vectors = clustered(300)
    chunks = tuple(Chunk(f"id{i}", "a.md", (), i, i + 1, "x") for i in range(300))
    corpus = Corpus(chunks, vectors, 300, 0, ("a.md",))
    store = EmbeddingStore(tmp_path, "fake", "v1")
    first = make_index("approximate", corpus, store, seed=0)
    saved = list(store.folder.glob("ivf-*.npz"))
    assert len(saved) == 1
    stamp = saved[0].stat().st_mtime_ns
    second = make_index("approximate", corpus, store, seed=0)
    assert saved[0].stat().st_mtime_ns == stamp  # read back, not rebuilt
    queries = clustered(10, seed=3)
    assert np.array_equal(first.search(queries, 5)[1], second.search(queries, 5)[1])
    assert make_index("exact", corpus, store, seed=0).kind == "exact"

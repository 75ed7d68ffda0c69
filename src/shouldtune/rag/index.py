"""Vector search over unit-length embeddings: exact by default, IVF when asked.

Exact search is one matrix product per block of queries (cosine = dot product on unit
vectors): recall 1.0, and fast enough for the corpora a task's docs folder holds (10,000
chunks of 384 floats is 15 MB). The approximate index is an inverted file: spherical
k-means splits the vectors into about sqrt(n) lists and a query scans only the lists of its
`probes` nearest centroids. Its recall against exact search is measured on the run's own
queries and reported, never assumed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]
Ids = npt.NDArray[np.int64]
IndexKind = Literal["exact", "approximate"]

_QUERY_BLOCK = 1024  # queries scored at once: bounds the score matrix's memory


class Index(Protocol):
    @property
    def kind(self) -> str:
        """exact or approximate"""
        ...

    def search(self, queries: Vectors, k: int) -> tuple[Vectors, Ids]:
        """(scores, row ids), each (queries, min(k, n)), best first; ties by lower id."""
        ...


def _top_k(scores: Vectors, k: int) -> tuple[Vectors, Ids]:
    k = min(k, scores.shape[1])
    if k == 0:
        empty = np.zeros((scores.shape[0], 0))
        return empty.astype(np.float32), empty.astype(np.int64)
    if k < scores.shape[1]:
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    else:
        part = np.tile(np.arange(scores.shape[1]), (scores.shape[0], 1))
    picked = np.take_along_axis(scores, part, axis=1)
    # lexsort: primary key last; order by score descending, then by id for stable ties.
    order = np.lexsort((part, -picked), axis=1)
    ids = np.take_along_axis(part, order, axis=1).astype(np.int64)
    return np.take_along_axis(scores, ids, axis=1).astype(np.float32), ids


@dataclass(frozen=True)
class ExactIndex:
    vectors: Vectors
    kind: str = "exact"

    def search(self, queries: Vectors, k: int) -> tuple[Vectors, Ids]:
        score_parts, id_parts = [], []
        for first in range(0, max(len(queries), 1), _QUERY_BLOCK):
            block = queries[first : first + _QUERY_BLOCK]
            scores, ids = _top_k(block @ self.vectors.T, k)
            score_parts.append(scores)
            id_parts.append(ids)
        return np.concatenate(score_parts), np.concatenate(id_parts)


@dataclass(frozen=True)
class IvfIndex:
    """Inverted file over spherical k-means lists; `order` holds row ids grouped by list."""

    vectors: Vectors
    centroids: Vectors
    order: Ids  # row ids sorted by list
    offsets: Ids  # list j holds order[offsets[j]:offsets[j + 1]]
    probes: int
    kind: str = "approximate"

    @classmethod
    def build(
        cls,
        vectors: Vectors,
        *,
        lists: int | None = None,
        probes: int | None = None,
        seed: int = 0,
        iterations: int = 12,
    ) -> IvfIndex:
        n = len(vectors)
        lists = lists or default_lists(n)
        centroids, assignment = spherical_kmeans(vectors, lists, seed=seed, iterations=iterations)
        return cls.from_assignment(vectors, centroids, assignment, probes)

    @classmethod
    def from_assignment(
        cls, vectors: Vectors, centroids: Vectors, assignment: Ids, probes: int | None = None
    ) -> IvfIndex:
        lists = len(centroids)
        order = np.argsort(assignment, kind="stable").astype(np.int64)
        counts = np.bincount(assignment, minlength=lists)
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return cls(vectors, centroids, order, offsets, probes or default_probes(lists))

    def assignment(self) -> Ids:
        out = np.empty(len(self.vectors), dtype=np.int64)
        for j in range(len(self.centroids)):
            out[self.order[self.offsets[j] : self.offsets[j + 1]]] = j
        return out

    def search(self, queries: Vectors, k: int) -> tuple[Vectors, Ids]:
        k = min(k, len(self.vectors))
        scores_out = np.full((len(queries), k), -np.inf, dtype=np.float32)
        ids_out = np.full((len(queries), k), -1, dtype=np.int64)
        if k == 0 or len(self.centroids) == 0:
            return scores_out, ids_out
        _, nearest = _top_k(queries @ self.centroids.T, self.probes)
        for row, query in enumerate(queries):
            candidates = np.concatenate(
                [self.order[self.offsets[j] : self.offsets[j + 1]] for j in nearest[row]]
            )
            candidates.sort()
            if len(candidates) == 0:
                continue
            scores, local = _top_k((self.vectors[candidates] @ query)[None, :], k)
            found = local.shape[1]
            scores_out[row, :found] = scores[0]
            ids_out[row, :found] = candidates[local[0]]
        return scores_out, ids_out


def default_lists(n: int) -> int:
    return max(1, min(n, round(math.sqrt(n))))


def default_probes(lists: int) -> int:
    # A tenth of the lists (at least 2): recall near 0.9 or better on sentence embeddings.
    return min(lists, max(2, math.ceil(lists / 10)))


def spherical_kmeans(
    vectors: Vectors, lists: int, *, seed: int = 0, iterations: int = 12
) -> tuple[Vectors, Ids]:
    """k-means on the unit sphere (cosine): centroids re-normalized after every update."""
    rng = np.random.default_rng(seed)
    n = len(vectors)
    lists = max(1, min(lists, n))
    centroids = vectors[rng.choice(n, size=lists, replace=False)].copy()
    assignment = np.zeros(n, dtype=np.int64)
    for _ in range(iterations):
        assignment = _nearest_centroid(vectors, centroids)
        sums = np.zeros_like(centroids)
        np.add.at(sums, assignment, vectors)
        counts = np.bincount(assignment, minlength=lists)
        empty = counts == 0
        if empty.any():
            # An empty list restarts at a random vector rather than staying dead.
            sums[empty] = vectors[rng.choice(n, size=int(empty.sum()))]
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        centroids = (sums / np.maximum(norms, 1e-12)).astype(np.float32)
    return centroids, _nearest_centroid(vectors, centroids)


def _nearest_centroid(vectors: Vectors, centroids: Vectors) -> Ids:
    out = np.empty(len(vectors), dtype=np.int64)
    for first in range(0, len(vectors), 4096):
        block = vectors[first : first + 4096]
        out[first : first + len(block)] = np.argmax(block @ centroids.T, axis=1)
    return out


def recall_at_k(found: Ids, truth: Ids) -> float:
    """Mean share of the exact top-k that the approximate top-k also returns."""
    if truth.size == 0:
        return 1.0
    hits = [
        len(set(f.tolist()) & set(t.tolist())) / len(t) for f, t in zip(found, truth, strict=True)
    ]
    return float(np.mean(hits))

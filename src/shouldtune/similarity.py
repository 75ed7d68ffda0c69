"""The `similarity` scorer: does the output mean what the expected answer means?

Token F1 against a long reference rewards copying its words and punishes a correct
paraphrase. This scorer embeds both texts with the local sentence embedder the RAG rung uses
(all-MiniLM-L6-v2 by default, offline) and scores their cosine: the graded score is the cosine
(clipped at 0), and an output passes when it reaches `scorer_options.threshold`. Embeddings go
through the call cache, so the expected answers are embedded once across rungs and re-runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from shouldtune.cache import CallCache
from shouldtune.rag.embedder import Embedder, embed_cached
from shouldtune.scoring import Score


@dataclass
class SimilarityScorer:
    """Implements `shouldtune.scoring.Scorer` over an `Embedder` and the call cache."""

    embedder: Embedder
    cache: CallCache
    threshold: float
    name = "similarity"
    binary = False

    @property
    def settings(self) -> dict[str, Any]:
        """What a reader needs to interpret the scores (the manifest and rung settings)."""
        return {"embedder": self.embedder.identity, "threshold": self.threshold}

    def cosine(self, output: str, expected: str) -> float:
        vectors = embed_cached(self.embedder, self.cache, [output, expected])
        # The embedder returns unit rows; normalize anyway so a custom one cannot break [−1, 1].
        norms = np.linalg.norm(vectors, axis=1)
        if not norms.all():
            return 0.0
        return float(np.dot(vectors[0], vectors[1]) / (norms[0] * norms[1]))

    def score(self, output: str, expected: str) -> Score:
        cosine = self.cosine(output, expected)
        value = min(1.0, max(0.0, cosine))
        passed = cosine >= self.threshold
        return Score(
            value,
            passed,
            None if passed else "dissimilar",
            {"cosine": round(cosine, 4), "threshold": self.threshold},
        )

"""Retrieval for the RAG rung: documents, chunking, a local embedder and a vector index."""

from __future__ import annotations


class RagError(ValueError):
    """A retrieval setting or input that cannot be used; the message says what to fix."""

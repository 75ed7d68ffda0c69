"""RAG throughput: embedding and search for 10,000 chunks, against plain sentence-transformers.

Same embedder (the built-in all-MiniLM-L6-v2), same synthetic chunk texts, one process, CPU.

  embed    shouldtune: read the folder, chunk, embed (batched, normalized), store per file
           plain: SentenceTransformer.encode(texts) with its default settings
  re-run   shouldtune again on the unchanged folder: every vector comes from the store
  search   exact numpy index and the IVF index (build, then top-4 for every query) against
           sentence_transformers.util.semantic_search on the same vectors; IVF recall@4

Printed as rates and ratios from one run, so machines compare.

Usage: python bench/bench_rag.py [--chunks 10000] [--queries 1000]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from shouldtune.cache import CallCache
from shouldtune.rag.chunking import chunking_key
from shouldtune.rag.corpus import Corpus, build_corpus
from shouldtune.rag.documents import read_documents
from shouldtune.rag.embedder import BUILTIN_EMBEDDER, load_embedder
from shouldtune.rag.index import ExactIndex, IvfIndex, recall_at_k
from shouldtune.rag.store import EmbeddingStore
from shouldtune.spec import RagSpec

T = TypeVar("T")
SECTIONS_PER_FILE = 50
TOP_K = 4


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def synthetic_docs(folder: Path, chunks: int, seed: int = 0) -> None:
    """Markdown files of one-paragraph sections (~50 words): one chunk per section."""
    rng = random.Random(seed)
    vocab = [
        "".join(rng.choice("aeioulnrstkmpd") for _ in range(rng.randint(3, 9))) for _ in range(3000)
    ]
    for file_no in range(0, chunks, SECTIONS_PER_FILE):
        sections = []
        for section in range(file_no, min(file_no + SECTIONS_PER_FILE, chunks)):
            words = " ".join(rng.choice(vocab) for _ in range(rng.randint(35, 60)))
            sections.append(f"## Section {section}\n\n{words.capitalize()}.\n")
        (folder / f"doc-{file_no // SECTIONS_PER_FILE:04d}.md").write_text("\n".join(sections))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1_000)
    args = parser.parse_args()

    from sentence_transformers import SentenceTransformer, util

    options = RagSpec()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        docs = root / "docs"
        docs.mkdir()
        synthetic_docs(docs, args.chunks)
        cache = CallCache(root / "cache")
        embedder = load_embedder(BUILTIN_EMBEDDER, cache, batch_size=options.batch_size)
        embedder.embed(["warm up: load the model outside the timings"])
        store = EmbeddingStore(
            cache.root / "rag",
            embedder.identity,
            chunking_key(options.chunk_tokens, options.chunk_overlap),
        )

        def ours() -> Corpus:
            documents = read_documents(
                docs, max_file_bytes=options.max_file_bytes, max_total_bytes=options.max_total_bytes
            )
            return build_corpus(
                documents,
                embedder,
                store,
                chunk_tokens=options.chunk_tokens,
                overlap=options.chunk_overlap,
            )

        corpus, cold_s = timed(ours)
        _, warm_s = timed(ours)
        chunks, vectors = corpus.chunks, corpus.vectors
        texts = [chunk.embed_text for chunk in chunks]
        print(f"{len(chunks)} chunks from {len(list(docs.iterdir()))} files, MiniLM on CPU")

        plain_model = SentenceTransformer(str(embedder.path), device="cpu")
        _, plain_s = timed(lambda: plain_model.encode(texts))
        n = len(chunks)
        print("\nembedding (chunks/s):")
        print(f"  plain encode()             {n / plain_s:9.1f}   ({plain_s:.1f}s)")
        print(
            f"  shouldtune, cold cache     {n / cold_s:9.1f}   ({cold_s:.1f}s)  "
            f"x{plain_s / cold_s:.2f} of plain"
        )
        print(
            f"  shouldtune, re-run         {n / warm_s:9.1f}   ({warm_s:.2f}s)  "
            f"x{plain_s / warm_s:.0f} of plain"
        )

        rng = random.Random(1)
        queries_text = [
            " ".join(rng.choice(texts).split()[i] for i in range(2, 12))
            for _ in range(args.queries)
        ]
        queries = embedder.embed(queries_text)

        exact, exact_build = timed(lambda: ExactIndex(vectors))
        (_, exact_ids), exact_query = timed(lambda: exact.search(queries, TOP_K))
        ivf, ivf_build = timed(lambda: IvfIndex.build(vectors))
        (_, ivf_ids), ivf_query = timed(lambda: ivf.search(queries, TOP_K))
        import torch

        corpus_t, queries_t = torch.from_numpy(vectors), torch.from_numpy(queries)
        _, st_query = timed(lambda: util.semantic_search(queries_t, corpus_t, top_k=TOP_K))
        q = len(queries)
        print(f"\nsearch, {q} queries, top-{TOP_K} (queries/s; build time):")
        print(f"  util.semantic_search       {q / st_query:9.0f}")
        print(
            f"  exact (numpy)              {q / exact_query:9.0f}   build {exact_build:.3f}s  "
            f"x{st_query / exact_query:.2f} of plain, recall@{TOP_K} 1.0"
        )
        print(
            f"  IVF ({len(ivf.centroids)} lists, {ivf.probes} probed) "
            f"{q / ivf_query:9.0f}   build {ivf_build:.2f}s  x{st_query / ivf_query:.2f} of plain, "
            f"recall@{TOP_K} {recall_at_k(ivf_ids, exact_ids):.3f}"
        )
        cache.close()


if __name__ == "__main__":
    main()

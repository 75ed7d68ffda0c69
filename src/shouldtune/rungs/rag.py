"""Rung 2: passages retrieved from the user's documents, placed in the prompt.

Same model, same held-out test examples and same scorer as the prompt rungs: the only thing
that changes is the context, so the paired comparison with the best prompt rung measures
what the documents are worth. Each prediction records the chunks it was given, and the
rung records whether the expected answer was in them (a retrieval failure when it was not,
a reading failure when it was and the answer is still wrong).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from shouldtune.demonstrations import answer_room, choose, fit_demonstrations
from shouldtune.evaluate import EvalContext, evaluate
from shouldtune.models.base import Message
from shouldtune.prompt_file import placeholder_example, saved
from shouldtune.prompts import system_prompt
from shouldtune.rag import RagError
from shouldtune.rag.chunking import chunking_key
from shouldtune.rag.corpus import Corpus, build_corpus
from shouldtune.rag.diagnostics import GoldMatcher, Support, answer_support, gold_values, summarize
from shouldtune.rag.documents import DocsError, read_documents, require_documents
from shouldtune.rag.embedder import embed_cached, load_embedder
from shouldtune.rag.index import ExactIndex, recall_at_k
from shouldtune.rag.retrieve import Passage, block, context_text, make_index, within_budget
from shouldtune.rag.store import EmbeddingStore
from shouldtune.records import Example, Prediction, RungResult
from shouldtune.rung_settings import RetrievalStats

NAME = "rag"
_READ_CONTEXT = "Use the context to answer."


def messages_for(
    system: str, demos: Sequence[Example], example: Example, context: str
) -> list[Message]:
    """The passages join the instructions in the system message; the question stays as asked.

    On the train split of examples/docs-qa, SmolLM2-135M answered 23 of 36 questions with
    this layout against 18 of 36 with the passages in the user turn before the question: a
    small model takes the user turn as the thing to answer and the system text as what it
    knows. Demonstrations, when asked for, stay plain question/answer turns.
    """
    if context:
        system = f"{system}\n\nContext:\n{context}"
    messages = [Message("system", system)]
    for demo in demos:
        messages.append(Message("user", demo.input))
        messages.append(Message("assistant", demo.expected))
    messages.append(Message("user", example.input))
    return messages


def run(
    ctx: EvalContext, train: Sequence[Example], test: Sequence[Example]
) -> tuple[RungResult, list[Prediction]]:
    spec, options = ctx.spec, ctx.spec.rag
    if spec.docs is None:
        raise RagError("the rag rung needs docs: a folder of documents (docs: or --docs)")
    documents = require_documents(
        read_documents(
            spec.docs,
            max_file_bytes=options.max_file_bytes,
            max_total_bytes=options.max_total_bytes,
        )
    )
    embedder = ctx.embedder or load_embedder(
        options.embedder, ctx.cache, batch_size=options.batch_size
    )
    store = EmbeddingStore(
        ctx.cache.root / "rag",
        embedder.identity,
        chunking_key(options.chunk_tokens, options.chunk_overlap),
    )
    ctx.say(
        f"rag: {len(documents.documents)} documents from {spec.docs} "
        f"({len(documents.skipped)} skipped); chunking and embedding what changed"
    )
    corpus = build_corpus(
        documents,
        embedder,
        store,
        chunk_tokens=options.chunk_tokens,
        overlap=options.chunk_overlap,
    )
    if not corpus.chunks:
        raise DocsError(f"{spec.docs}: the documents hold no text to retrieve")
    if ctx.run_dir is not None:
        write_chunks(ctx.run_dir / "rag-chunks.jsonl", corpus)
    queries = embed_cached(embedder, ctx.cache, [example.input for example in test])
    index = make_index(options.index, corpus, store, seed=spec.split.seed)
    scores, ids = index.search(queries, options.top_k)
    index_recall = 1.0
    if index.kind != "exact":
        index_recall = recall_at_k(
            ids, ExactIndex(corpus.vectors).search(queries, options.top_k)[1]
        )

    system = system_prompt(spec, ctx.labels) + "\n" + _READ_CONTEXT
    demos = choose(ctx, train, test).per_example if options.demonstrations else [[] for _ in test]
    costs: dict[str, int] = {}

    def cost(text: str) -> int:
        if text not in costs:
            costs[text] = ctx.model.count_tokens(text)
        return costs[text]

    items: list[tuple[Example, list[Message]]] = []
    given: list[tuple[list[Passage], list[Example], int]] = []
    for row, example in enumerate(test):
        ranked = [
            Passage(corpus.chunks[int(i)], float(scores[row, rank]), rank + 1)
            for rank, i in enumerate(ids[row])
            if i >= 0
        ]
        kept_demos, passages, used = _fit(ctx, system, demos[row], example, ranked, cost)
        items.append((example, messages_for(system, kept_demos, example, context_text(passages))))
        given.append((passages, kept_demos, used))

    settings = _settings(ctx, system, corpus, embedder.identity, index.kind, index_recall)
    settings["documents"] = documents.summary()
    settings.update(
        saved(
            ctx.run_dir,
            NAME,
            messages_for(system, demos[0] if demos else [], placeholder_example(), "{passages}"),
            demonstrations=demos[0] if demos else [],
            varies="{passages}: the passages retrieved for the input (rag-chunks.jsonl)",
            labels=ctx.labels,
        )
    )
    result, predictions = evaluate(ctx, NAME, items, settings=settings, notes=[])
    matcher = GoldMatcher(corpus.sources)
    supports: list[Support] = []
    gold_hits: list[bool | None] = []
    # By id: a rung evaluated sequentially may stop before the last test example.
    by_id = {e.id: (e, g) for e, g in zip(test, given, strict=True)}
    given = [by_id[p.example_id][1] for p in predictions]
    for prediction in predictions:
        example, (passages, kept_demos, used) = by_id[prediction.example_id]
        chunks = [p.chunk for p in passages]
        golds = gold_values(example, options.gold_field) if options.gold_field else []
        hit = matcher.hit(golds, chunks) if golds else None
        support = answer_support(example.expected, "\n".join(c.text for c in chunks), hit)
        supports.append(support)
        gold_hits.append(hit)
        prediction.detail.update(
            {
                "retrieved_ids": [c.id for c in chunks],
                "retrieved_sources": [c.citation() for c in chunks],
                "retrieval_scores": [round(p.score, 4) for p in passages],
                "context_tokens": used,
                "answer_in_context": support.found,
                "answer_in_context_by": support.measure,
            }
        )
        if support.recall is not None:
            prediction.detail["answer_content_recall"] = round(support.recall, 4)
        if hit is not None:
            prediction.detail["gold_hit"] = hit
        if options.demonstrations:
            prediction.detail["demonstration_ids"] = [d.id for d in kept_demos]
    retrieval = {
        **settings["retrieval"],
        **summarize(predictions, [s.found for s in supports], gold_hits, supports),
        "mean_passages": _mean([len(p) for p, _, _ in given]),
        "mean_context_tokens": _mean([used for _, _, used in given]),
    }
    result.settings.retrieval = RetrievalStats.model_validate(retrieval)
    result.notes.extend(_notes(settings, given, options.top_k))
    return result, predictions


def write_chunks(path: Path, corpus: Corpus) -> None:
    """Every chunk with its citation, so the ids in predictions.jsonl resolve to text later."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for chunk in corpus.chunks:
            record = {
                "id": chunk.id,
                "source": chunk.source,
                "headings": list(chunk.headings),
                "start": chunk.start,
                "end": chunk.end,
                "page": chunk.page,
                "text": chunk.text,
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def _fit(
    ctx: EvalContext,
    system: str,
    demos: list[Example],
    example: Example,
    ranked: list[Passage],
    cost: Callable[[str], int],
) -> tuple[list[Example], list[Passage], int]:
    """Demonstrations and passages that fit the context window; passages come first.

    Demonstrations are dropped (least similar first) to leave room for the whole passage
    budget; the passages then take what the window leaves, best ranked first.
    """
    budget = ctx.spec.rag.context_budget
    limit = ctx.model.info.context_length - answer_room(ctx)
    kept_demos = fit_demonstrations(
        ctx, demos, lambda kept: messages_for(system, kept, example, ""), reserve=budget
    )

    def size(passages: list[Passage]) -> int:
        rendered = messages_for(system, kept_demos, example, context_text(passages))
        return int(ctx.model.count_tokens(ctx.model.render(rendered)))

    room = limit - size([])
    passages, used = within_budget(ranked, min(budget, room), cost)
    # The framing ("Context:", "Question:") is not in the budget: check the real prompt.
    while passages and size(passages) > limit:
        passages.pop()
        used = sum(cost(block(p.chunk)) + 2 for p in passages)
    return kept_demos, passages, used


def _settings(
    ctx: EvalContext,
    system: str,
    corpus: Corpus,
    embedder: str,
    index_kind: str,
    index_recall: float,
) -> dict[str, Any]:
    options = ctx.spec.rag
    return {
        "system_prompt": system,
        "top_k": options.top_k,
        "context_budget": options.context_budget,
        "chunk_tokens": options.chunk_tokens,
        "chunk_overlap": options.chunk_overlap,
        "embedder": embedder,
        "demonstrations": options.demonstrations,
        "chunks": len(corpus.chunks),
        "embedded_chunks": corpus.embedded_chunks,
        "reused_chunks": corpus.reused_chunks,
        "embedded_files": list(corpus.embedded_files),
        "retrieval": {
            "index": index_kind,
            "index_recall_at_k": index_recall,
            "top_k": options.top_k,
            "gold_field": options.gold_field,
        },
    }


def _notes(
    settings: dict[str, Any], given: list[tuple[list[Passage], list[Example], int]], top_k: int
) -> list[str]:
    notes = []
    skipped = settings["documents"]["skipped"]
    if skipped:
        shown = "; ".join(f"{s['path']}: {s['reason']}" for s in skipped[:3])
        more = f" (+{len(skipped) - 3} more)" if len(skipped) > 3 else ""
        notes.append(f"{len(skipped)} file(s) in the docs folder skipped: {shown}{more}")
    notes.append(
        f"{settings['chunks']} chunks from {settings['documents']['documents']} documents; "
        f"{settings['embedded_chunks']} embedded now, {settings['reused_chunks']} reused"
    )
    retrieval = settings["retrieval"]
    if retrieval["index"] != "exact":
        notes.append(
            f"approximate index: recall@{top_k} against exact search "
            f"{retrieval['index_recall_at_k']:.1%} on these queries"
        )
    wanted = min(top_k, settings["chunks"])
    short = sum(1 for passages, _, _ in given if len(passages) < wanted)
    if short:
        notes.append(
            f"{short} example(s) got fewer than {wanted} passages (context budget or window)"
        )
    return notes


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0

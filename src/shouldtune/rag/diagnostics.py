"""Telling a retrieval failure from a reading failure.

For every test example: was the expected answer anywhere in the retrieved text (normalized
like the scorers normalize)? A wrong answer with the answer in the context is a reading
failure (the model had it and did not use it); a wrong answer without it is a retrieval
failure (no model could have read it there). When the examples name their gold source or
passage (`rag.gold_field`), recall@k says how often retrieval found it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath
from typing import Any

from shouldtune.rag.chunking import Chunk
from shouldtune.records import Example, Prediction
from shouldtune.scoring import normalize


def answer_in_text(expected: str, text: str) -> bool:
    wanted = normalize(expected)
    return bool(wanted) and wanted in normalize(text)


def gold_values(example: Example, field: str) -> list[str]:
    """The example's gold sources or passages (a string or a list of them); [] when absent."""
    value = example.fields.get(field)
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [str(item).strip() for item in items if str(item).strip()]


class GoldMatcher:
    """Does a retrieved chunk match a gold value?

    A gold value that names a document of the corpus (its path, file name or stem, case
    insensitive) is a source: any chunk of that document matches. Any other gold value is a
    passage: it matches when it appears in the retrieved text.
    """

    def __init__(self, sources: Iterable[str]) -> None:
        self._names: dict[str, set[str]] = {}
        for source in sources:
            pure = PurePosixPath(source)
            for name in {source, pure.name, pure.stem}:
                self._names.setdefault(name.casefold(), set()).add(source)

    def hit(self, golds: Sequence[str], chunks: Sequence[Chunk]) -> bool:
        retrieved_sources = {chunk.source for chunk in chunks}
        joined = "\n".join(chunk.text for chunk in chunks)
        for gold in golds:
            named = self._names.get(gold.casefold())
            if named is not None:
                if named & retrieved_sources:
                    return True
            elif answer_in_text(gold, joined):
                return True
        return False


def summarize(
    predictions: Sequence[Prediction],
    in_context: Sequence[bool],
    gold_hits: Sequence[bool | None],
) -> dict[str, Any]:
    """The diagnostics a verdict quotes; gold_hits holds None for examples with no gold."""
    n = len(predictions)
    retrieval_failures = sum(
        1 for p, found in zip(predictions, in_context, strict=True) if not p.passed and not found
    )
    reading_failures = sum(
        1 for p, found in zip(predictions, in_context, strict=True) if not p.passed and found
    )
    lucky = sum(
        1 for p, found in zip(predictions, in_context, strict=True) if p.passed and not found
    )
    judged = [hit for hit in gold_hits if hit is not None]
    return {
        "n": n,
        "answer_in_context": sum(in_context) / n if n else 0.0,
        "failures": {"retrieval": retrieval_failures, "reading": reading_failures},
        "passed_without_answer_in_context": lucky,
        "recall_at_k": sum(judged) / len(judged) if judged else None,
        "gold_n": len(judged),
    }

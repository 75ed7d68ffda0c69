"""Telling a retrieval failure from a reading failure.

For every test example: was the expected answer anywhere in the retrieved text (normalized
like the scorers normalize)? A wrong answer with the answer in the context is a reading
failure (the model had it and did not use it); a wrong answer without it is a retrieval
failure (no model could have read it there). When the examples name their gold source or
passage (`rag.gold_field`), recall@k says how often retrieval found it.

Containment only works for short answers: a reference answer of two or three sentences is a
paraphrase that never appears verbatim in any document, and containment would report a false
0%. So an answer longer than a short span is measured graded: the share of its content words
(stopwords removed) that the passages hold, "in context" at SUPPORT_THRESHOLD or more. When
a long answer's example names its gold source or passage, whether retrieval found it decides
instead (a short answer is always looked for verbatim). When
neither can be measured (an answer with no content words), the example is "cannot tell" and
counts for neither kind of failure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Literal

from shouldtune.rag.chunking import Chunk
from shouldtune.records import Example, Prediction
from shouldtune.scoring import f1_tokens, normalize

SHORT_SPAN = 5  # content words: an answer this short is looked for verbatim
SUPPORT_THRESHOLD = 0.6  # share of the answer's content words the passages must hold

# Function words carry no content: "the passages hold the answer" must not mean "and", "is".
_STOPWORD_TEXT = """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each either else
    even ever every few for from further get gets got had has have having he her here hers
    herself him himself his how however i if in into is it its itself just let may me might
    more most much must my myself neither no nor not now of off on once one only or other our
    ours ourselves out over own per same shall she should since so some such than that the
    their theirs them themselves then there these they this those though through thus to too
    under until up upon us very via was we were what when where whether which while who whom
    whose why will with within without would yes yet you your yours yourself yourselves
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

Measure = Literal["containment", "content_recall", "gold", "cannot_tell"]


def answer_in_text(expected: str, text: str) -> bool:
    wanted = normalize(expected)
    return bool(wanted) and wanted in normalize(text)


def content_words(text: str) -> set[str]:
    """The answer's distinct words less stopwords (normalized and unpunctuated like f1)."""
    return {token for token in f1_tokens(text) if token not in STOPWORDS}


def content_recall(expected: str, text: str) -> float | None:
    """Share of the expected answer's content words found in the text; None if it has none."""
    wanted = content_words(expected)
    if not wanted:
        return None
    held = set(f1_tokens(text))
    return len(wanted & held) / len(wanted)


@dataclass(frozen=True)
class Support:
    """Was the expected answer in the retrieved passages, and how that was measured."""

    found: bool | None  # None: cannot tell
    measure: Measure
    recall: float | None = None  # content_recall's share, when that measured it


def answer_support(expected: str, passages: str, gold_hit: bool | None) -> Support:
    """Containment for a short answer; for a long one the gold hit when the example names its
    gold, else graded content recall.

    A short answer is checked in the passages' text even when the gold source was retrieved:
    the right page without the answer on it is still a retrieval failure.
    """
    if len(f1_tokens(expected)) <= SHORT_SPAN:
        found = answer_in_text(expected, passages)
        return Support(found if normalize(expected) else None, "containment")
    if gold_hit is not None:
        return Support(gold_hit, "gold", content_recall(expected, passages))
    recall = content_recall(expected, passages)
    if recall is None:
        return Support(None, "cannot_tell")
    return Support(recall >= SUPPORT_THRESHOLD, "content_recall", recall)


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
    in_context: Sequence[bool | None],
    gold_hits: Sequence[bool | None],
    supports: Sequence[Support] | None = None,
) -> dict[str, Any]:
    """The diagnostics a verdict quotes; gold_hits holds None for examples with no gold.

    `in_context` holds None for an example where it cannot be told: such examples count for
    neither kind of failure, and `answer_in_context` (the share over the examples that could
    be told) is None when none could.
    """
    n = len(predictions)
    pairs = list(zip(predictions, in_context, strict=True))
    retrieval_failures = sum(1 for p, found in pairs if not p.passed and found is False)
    reading_failures = sum(1 for p, found in pairs if not p.passed and found is True)
    lucky = sum(1 for p, found in pairs if p.passed and found is False)
    told = [found for found in in_context if found is not None]
    judged = [hit for hit in gold_hits if hit is not None]
    out: dict[str, Any] = {
        "n": n,
        "answer_in_context": sum(told) / len(told) if told else None,
        "answer_in_context_n": len(told),
        "failures": {"retrieval": retrieval_failures, "reading": reading_failures},
        "passed_without_answer_in_context": lucky,
        "recall_at_k": sum(judged) / len(judged) if judged else None,
        "gold_n": len(judged),
    }
    if supports is not None:
        measures = [s.measure for s in supports]
        recalls = [s.recall for s in supports if s.recall is not None]
        out["measured_by"] = {m: measures.count(m) for m in dict.fromkeys(measures)}
        out["measure"] = max(out["measured_by"], key=out["measured_by"].get) if measures else None
        out["support_threshold"] = SUPPORT_THRESHOLD
        out["mean_content_recall"] = sum(recalls) / len(recalls) if recalls else None
    return out

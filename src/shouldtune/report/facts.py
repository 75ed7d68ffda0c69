"""The figures every report format shares, derived from a run's results and predictions.

HTML and Markdown both read these, so a failure count or a rung's status cannot differ
between the two.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from shouldtune.records import Comparison, Interval, Prediction
from shouldtune.results import RunResult
from shouldtune.scoring import CATEGORIES

RungStatus = Literal["meets", "within", "uncertain", "short"]
STATUS_WORDS: dict[RungStatus, str] = {
    "meets": "meets the bar",
    "within": "within reach",
    "uncertain": "uncertain",
    "short": "falls short",
}
UNCATEGORISED = "uncategorised"


def rung_status(score: Interval, bar: float, within: float) -> RungStatus:
    """Where a rung's whole interval lies against the bar, the same reading decide.py uses."""
    if score.low >= bar:
        return "meets"
    if score.low >= within:
        return "within"
    if score.high < within:
        return "short"
    return "uncertain"


def status_words(status: RungStatus, score: Interval, bar: float) -> str:
    """A rung's status in words: "within reach" only for a score below the bar; one at or
    above it whose interval's low end is not is "not shown to reach the bar"."""
    if status == "within" and score.point >= bar:
        return "not shown to reach the bar"
    return STATUS_WORDS[status]


def rung_models(result: RunResult) -> list[str] | None:
    """Which model answered each rung, or None when one model answered them all.

    A served model prompted and a local student fine-tuned differ; the reports say so.
    """
    names = []
    for rung in result.rungs:
        found = rung.settings.model
        names.append(found.name if found is not None else result.model.name)
    return names if len(set(names)) > 1 else None


def deciding_comparisons(result: RunResult) -> tuple[list[Comparison], list[Comparison]]:
    """The paired comparisons that decide the verdict, then the rest (shown folded).

    Deciding: the paired test the verdict's findings name; without one, those of the deciding
    rung; without that either, all of them.
    """
    found = result.verdict.findings
    paired = found.paired if found is not None else None
    if paired is not None:
        first = [c for c in result.comparisons if {c.a, c.b} == {paired.a, paired.b}]
    else:
        best = result.verdict.best_rung
        first = [c for c in result.comparisons if best is not None and best in (c.a, c.b)]
    if not first:
        return list(result.comparisons), []
    return first, [c for c in result.comparisons if c not in first]


def category_text(category: str) -> str:
    return CATEGORIES.get(category, "no category was recorded for this failure")


def by_rung(predictions: Sequence[Prediction]) -> dict[str, list[Prediction]]:
    out: dict[str, list[Prediction]] = {}
    for prediction in predictions:
        out.setdefault(prediction.rung, []).append(prediction)
    return out


def _category(prediction: Prediction) -> str:
    value = prediction.detail.get("category")
    return str(value) if value else UNCATEGORISED


@dataclass(frozen=True)
class FailureCategory:
    name: str
    text: str
    counts: dict[str, int]
    """Failures per rung."""
    example: Prediction
    """The first failure of this category, from the rung where it is most common."""


def failure_categories(
    rungs: Sequence[str], predictions: Sequence[Prediction]
) -> list[FailureCategory]:
    """Failure categories across rungs, the most frequent first."""
    counts: dict[str, Counter[str]] = {}
    examples: dict[tuple[str, str], Prediction] = {}
    for p in predictions:
        if p.passed or p.rung not in rungs:
            continue
        name = _category(p)
        counts.setdefault(name, Counter())[p.rung] += 1
        examples.setdefault((name, p.rung), p)
    ordered = sorted(counts, key=lambda name: (-sum(counts[name].values()), name))
    out = []
    for name in ordered:
        per_rung = {rung: counts[name].get(rung, 0) for rung in rungs}
        top = max(rungs, key=lambda rung: per_rung[rung])
        out.append(FailureCategory(name, category_text(name), per_rung, examples[(name, top)]))
    return out


def top_failures(
    categories: Sequence[FailureCategory], rung: str, limit: int = 3
) -> list[tuple[str, int]]:
    found = [(c.name, c.counts.get(rung, 0)) for c in categories if c.counts.get(rung, 0)]
    return sorted(found, key=lambda item: -item[1])[:limit]


OTHER = "(other)"


@dataclass(frozen=True)
class Confusion:
    rung: str
    labels: list[str]
    """Row labels (expected), in the task's label order."""
    columns: list[str]
    """Column labels (predicted): the labels, plus OTHER when an output named none of them."""
    counts: list[list[int]]


def confusion(rung: str, labels: Sequence[str], predictions: Sequence[Prediction]) -> Confusion:
    columns = list(labels)
    if any(p.output not in labels for p in predictions):
        columns.append(OTHER)
    index = {label: i for i, label in enumerate(columns)}
    counts = [[0] * len(columns) for _ in labels]
    rows = {label: i for i, label in enumerate(labels)}
    for p in predictions:
        if p.expected in rows:
            counts[rows[p.expected]][index.get(p.output, index.get(OTHER, 0))] += 1
    return Confusion(rung, list(labels), columns, counts)


def top_confusions(matrix: Confusion, limit: int = 5) -> list[tuple[str, str, int]]:
    """The most frequent (expected, predicted, count) mistakes."""
    pairs = [
        (expected, matrix.columns[j], count)
        for i, expected in enumerate(matrix.labels)
        for j, count in enumerate(matrix.counts[i])
        if count and matrix.columns[j] != expected
    ]
    return sorted(pairs, key=lambda item: -item[2])[:limit]


@dataclass(frozen=True)
class Cell:
    output: str
    passed: bool
    score: float
    category: str | None


@dataclass
class ExampleRow:
    id: str
    input: str
    expected: str
    cells: dict[str, Cell] = field(default_factory=dict)

    @property
    def n_failed(self) -> int:
        return sum(1 for cell in self.cells.values() if not cell.passed)


def example_rows(result: RunResult, predictions: Sequence[Prediction]) -> list[ExampleRow]:
    """One row per test example with every rung's output: most-failed first, then test order."""
    rows: dict[str, ExampleRow] = {}
    for p in predictions:
        row = rows.setdefault(p.example_id, ExampleRow(p.example_id, p.input, p.expected))
        category = None if p.passed else _category(p)
        row.cells[p.rung] = Cell(p.output, p.passed, p.score, category)
    order = {example_id: i for i, example_id in enumerate(result.split.test_ids)}
    return sorted(rows.values(), key=lambda r: (-r.n_failed, order.get(r.id, len(order)), r.id))

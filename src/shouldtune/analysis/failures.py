"""The failure taxonomy of one rung: what kinds of wrong answers it gives, and how often.

The category of each failed prediction comes from the scorer (scoring.CATEGORIES); this module
only counts them, keeps a few examples of each, and for label tasks finds the confusion pairs
(expected -> predicted) that dominate, since "it calls every billing question 'account'" is
the kind of specific pattern question 3 of the framework is about.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from pydantic import BaseModel, Field

from shouldtune.records import Prediction
from shouldtune.scoring import CATEGORIES

EXAMPLES_PER_CATEGORY = 3
TOP_CONFUSIONS = 5
_SHOWN_CHARS = 200


class FailureExample(BaseModel):
    example_id: str
    input: str
    expected: str
    output: str


class CategoryCount(BaseModel):
    category: str
    description: str
    count: int
    share: float = Field(description="Share of this rung's failures.")
    examples: list[FailureExample]


class Confusion(BaseModel):
    expected: str
    predicted: str
    count: int


class FailureSummary(BaseModel):
    """One rung's failures by category, largest first."""

    rung: str
    n: int
    n_failed: int
    categories: list[CategoryCount]
    dominant: str | None = Field(None, description="The most frequent category, if any.")
    confusions: list[Confusion] = Field(
        default_factory=list, description="Label tasks: the most frequent wrong pairs."
    )

    def describe(self) -> str:
        """One line for the terminal and the verdict's reasons."""
        if not self.n_failed:
            return f"{self.rung}: no failures"
        parts = [f"{c.category} {c.count}" for c in self.categories]
        line = f"{self.rung}: {self.n_failed} of {self.n} failed ({', '.join(parts)})"
        if self.confusions:
            top = self.confusions[0]
            line += f"; most often {top.expected!r} answered as {top.predicted!r} x{top.count}"
        return line


def _clip(text: str) -> str:
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def category_of(prediction: Prediction) -> str:
    """The failure category recorded on a failed prediction ('failed' when none was given)."""
    found = prediction.detail.get("category")
    return str(found) if found else "failed"


def summarize_failures(rung: str, predictions: Sequence[Prediction]) -> FailureSummary:
    failed = [p for p in predictions if not p.passed]
    by_category: dict[str, list[Prediction]] = defaultdict(list)
    for prediction in failed:
        by_category[category_of(prediction)].append(prediction)
    ordered = sorted(by_category.items(), key=lambda item: (-len(item[1]), item[0]))
    categories = [
        CategoryCount(
            category=name,
            description=CATEGORIES.get(name, name),
            count=len(items),
            share=len(items) / len(failed),
            examples=[
                FailureExample(
                    example_id=p.example_id,
                    input=_clip(p.input),
                    expected=_clip(p.expected),
                    output=_clip(p.output),
                )
                for p in items[:EXAMPLES_PER_CATEGORY]
            ],
        )
        for name, items in ordered
    ]
    pairs = Counter(
        (p.expected, str(p.detail["predicted"]))
        for p in failed
        if p.detail.get("category") == "wrong_label" and p.detail.get("predicted") is not None
    )
    confusions = [
        Confusion(expected=e, predicted=g, count=n)
        for (e, g), n in sorted(pairs.items(), key=lambda item: (-item[1], item[0]))[
            :TOP_CONFUSIONS
        ]
    ]
    return FailureSummary(
        rung=rung,
        n=len(predictions),
        n_failed=len(failed),
        categories=categories,
        dominant=categories[0].category if categories else None,
        confusions=confusions,
    )

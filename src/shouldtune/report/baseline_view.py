"""The constant answer in every report: what it gets right, and each rung's second figure.

Read by the terminal, report.md and report.html alike, so the three say the same. The
figures come from results.json's `baseline.nontrivial` (shouldtune.nontrivial), computed at
run time from the stored predictions.
"""

from __future__ import annotations

from dataclasses import dataclass

from shouldtune.baseline import short
from shouldtune.records import Interval
from shouldtune.results import RunResult

MAX_PARTS = 8  # fields named in the sentence; the rest are counted


@dataclass(frozen=True)
class SecondFigure:
    """A rung's score, and its score on the part of the answers the constant gets wrong."""

    rung: str
    overall: Interval
    nontrivial: Interval


def constant_label(result: RunResult, limit: int = 60) -> str | None:
    """The baseline row's name: 'baseline: always <the constant>'."""
    base = result.baseline
    return f"baseline: always {short(base.constant, limit)!r}" if base is not None else None


def no_constant_words(result: RunResult) -> str | None:
    """Why a report has no constant's row, when it is the scorer's doing; else None."""
    if result.baseline is not None or result.scorer != "judge":
        return None
    return (
        "No constant baseline: the judge scorer grades answers with a model, so scoring a "
        "constant answer would cost model calls. Read the rungs' scores without that floor."
    )


def trivial_words(result: RunResult) -> str | None:
    """Which parts the constant gets right, and what the second figure leaves out."""
    base = result.baseline
    part = base.nontrivial if base is not None else None
    if base is None or part is None:
        return None
    const = repr(short(base.constant))
    if part.unit == "fields":
        named = ", ".join(f"{p.name} ({p.share:.0%})" for p in part.parts[:MAX_PARTS])
        more = len(part.parts) - MAX_PARTS
        named += f" and {more} more" if more > 0 else ""
        return (
            f"Answering {const} every time scores {base.score.point:.1%} with no model: it "
            f"gets these fields right (share of test examples): {named}. The "
            f"second figure scores each rung only on the fields whose expected value differs "
            f"from the constant's ({part.n_units} fields in {part.n} of {base.n} test "
            "examples), the part a constant cannot earn."
        )
    share = part.parts[0].share if part.parts else 0.0
    return (
        f"Answering {const} every time is right on {share:.0%} of the test examples with no "
        f"model. The second figure scores each rung only on the other {part.n} test examples, "
        "whose expected answer is something else."
    )


def second_figures(result: RunResult) -> list[SecondFigure]:
    """Each climbed rung with its score on the non-trivial part, in climbing order."""
    base = result.baseline
    part = base.nontrivial if base is not None else None
    if part is None:
        return []
    return [
        SecondFigure(r.rung, r.score, part.scores[r.rung])
        for r in result.rungs
        if r.rung in part.scores
    ]

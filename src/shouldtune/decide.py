"""The framework as code: rung results in, a verdict with its reasons out.

Reads results only; never calls a model. Intervals, not point estimates, decide: a rung
"reaches" a threshold when its whole 95% interval is at or above it, "falls short" when
the whole interval is below, and anything in between is reported as uncertain.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from shouldtune.analysis.stats import examples_needed
from shouldtune.records import RungResult

VerdictKind = Literal["PROMPT", "RAG", "FINE_TUNE", "NOT_ENOUGH_DATA", "INCONCLUSIVE"]
PROMPT_RUNGS = ("zero_shot", "few_shot")
_RUNG_COST_ORDER = {"zero_shot": 0, "few_shot": 1, "rag": 2, "lora": 3}


class Verdict(BaseModel):
    kind: VerdictKind
    headline: str = Field(description="One line: the verdict and the number that decided it.")
    question: str = Field(description="Which question of the framework decided it.")
    reasons: list[str]
    answer: str = Field(description="One paragraph in plain words.")
    best_rung: str | None = None
    gap: float | None = Field(None, description="Best score minus the threshold it was held to.")
    examples_needed: int | None = Field(
        None, description="More test examples that would settle an uncertain call."
    )


def _best(results: Sequence[RungResult]) -> RungResult | None:
    if not results:
        return None
    # Ties go to the cheaper rung: the same score for less money and latency.
    return max(results, key=lambda r: (r.score.point, -_RUNG_COST_ORDER.get(r.rung, 9)))


def _pct(value: float) -> str:
    return f"{value:.0%}" if abs(value * 100 - round(value * 100)) < 0.05 else f"{value:.1%}"


def decide(
    results: Sequence[RungResult],
    *,
    bar: float,
    prompt_fraction: float,
    enough_data: bool,
    n_usable: int,
    min_examples: int,
) -> Verdict:
    prompt_results = [r for r in results if r.rung in PROMPT_RUNGS]
    best = _best(prompt_results)
    within = prompt_fraction * bar
    table = [f"{r.rung}: {r.score.fmt()} on {r.n} test examples" for r in results]

    if not enough_data:
        measured = (
            f" The best prompt rung, {best.rung}, scored {best.score.fmt()} on {best.n} test "
            "examples, but that interval is too thin a basis for a decision."
            if best
            else ""
        )
        return Verdict(
            kind="NOT_ENOUGH_DATA",
            headline=f"{n_usable} usable examples; at least {min_examples} are needed",
            question="0. pre-check",
            reasons=[
                f"{n_usable} usable, distinct examples < min_examples ({min_examples})",
                *table,
            ],
            answer=(
                f"There is no dataset to fine-tune on yet: {n_usable} usable, distinct examples, "
                f"fewer than the {min_examples} needed.{measured} Write down more examples of "
                "inputs with their expected outputs, then run again."
            ),
            best_rung=best.rung if best else None,
        )
    if best is None:
        return Verdict(
            kind="INCONCLUSIVE",
            headline="no rung was run",
            question="1. prompt",
            reasons=["no prompt rung in the results"],
            answer="Nothing was measured, so nothing can be said. Run the prompt rungs.",
        )

    s = best.score
    if s.low >= bar:
        return Verdict(
            kind="PROMPT",
            headline=f"{best.rung} meets the bar: {s.fmt()} >= {_pct(bar)}",
            question="1. prompt",
            reasons=[
                f"{best.rung}'s whole 95% interval is at or above the bar {_pct(bar)}",
                *table,
            ],
            answer=(
                f"Use a prompt. {_rung_words(best.rung)} scores {s.fmt()} on {best.n} held-out "
                f"examples, and even the low end of that interval clears your bar of "
                f"{_pct(bar)}. Fine-tuning would add cost and a second model to maintain for "
                "no measured gain."
            ),
            best_rung=best.rung,
            gap=s.point - bar,
        )
    if s.low >= within:
        return Verdict(
            kind="PROMPT",
            headline=(
                f"{best.rung} is within reach of the bar: {s.fmt()} >= "
                f"{_pct(prompt_fraction)} of {_pct(bar)}"
            ),
            question="1. prompt",
            reasons=[
                f"{best.rung}'s whole 95% interval is at or above {_pct(within)} "
                f"({_pct(prompt_fraction)} of the bar {_pct(bar)})",
                f"it is not yet shown to reach the bar itself (low end {_pct(s.low)})",
                *table,
            ],
            answer=(
                f"Iterate on the prompt. {_rung_words(best.rung)} scores {s.fmt()} on {best.n} "
                f"held-out examples: at least {_pct(prompt_fraction)} of your bar of "
                f"{_pct(bar)}, but not yet the bar itself. Improving the instructions and the "
                "examples is nearly free; look at the failures before paying for fine-tuning."
            ),
            best_rung=best.rung,
            gap=s.point - bar,
        )
    if s.high < within:
        gap = within - s.point
        later = [r for r in results if r.rung not in PROMPT_RUNGS]
        not_run = "" if later else " The RAG and fine-tune rungs were not run."
        return Verdict(
            kind="INCONCLUSIVE",
            headline=f"prompt rungs fall short by {_pct(gap)}: best {best.rung} {s.fmt()}",
            question="1. prompt",
            reasons=[
                f"the best prompt rung ({best.rung}) has its whole 95% interval below "
                f"{_pct(within)} ({_pct(prompt_fraction)} of the bar {_pct(bar)})",
                *table,
            ],
            answer=(
                f"Prompting alone is not enough: the best prompt rung, {best.rung}, scores "
                f"{s.fmt()} on {best.n} held-out examples, {_pct(gap)} short of "
                f"{_pct(within)} ({_pct(prompt_fraction)} of your bar).{not_run} Whether "
                "retrieval or fine-tuning closes the gap has not been measured yet, so no "
                "verdict is given."
            ),
            best_rung=best.rung,
            gap=s.point - within,
        )
    more = examples_needed(s.point, within, best.n)
    more_text = (
        f" About {more} more test examples would settle it if the score holds."
        if more
        else " More test examples will not separate them if the score is exactly there."
    )
    return Verdict(
        kind="INCONCLUSIVE",
        headline=(
            f"{best.rung} {s.fmt()} straddles {_pct(within)} ({_pct(prompt_fraction)} of the bar)"
        ),
        question="1. prompt",
        reasons=[
            f"{best.rung}'s 95% interval contains {_pct(within)}: the data cannot tell "
            "whether a prompt is within reach",
            *table,
        ],
        answer=(
            f"Not settled. {_rung_words(best.rung)} scores {s.fmt()} on {best.n} held-out "
            f"examples, and that interval contains {_pct(within)}, the share of your bar that "
            f"would make prompt iteration the answer.{more_text}"
        ),
        best_rung=best.rung,
        gap=s.point - within,
        examples_needed=more,
    )


def _rung_words(rung: str) -> str:
    return {
        "zero_shot": "The instructions alone (zero-shot)",
        "few_shot": "The prompt with examples (few-shot)",
    }.get(rung, rung)

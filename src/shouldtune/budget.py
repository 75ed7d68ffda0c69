"""The generation budget: how many tokens an answer may take, derived from the train answers.

A fixed budget either cuts long answers short (and every cut answer then fails, for a reason
that is ours, not the model's) or lets short-answer tasks ramble. So when the spec leaves
`max_new_tokens` unset, the budget follows the expected outputs of the train split (never the
test split): their p99 token length by the model's tokenizer, plus a margin for wording that
differs from the reference, never below a floor and never more than half the context.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from shouldtune.spec import TaskSpec

FALLBACK = 64  # a spec that was never resolved against the data (library callers, tests)
FLOOR = 32
MARGIN_SHARE = 0.25  # a correct paraphrase may be a quarter longer than the reference
MARGIN_TOKENS = 8
HARD_CAP = 4096  # the spec field's own upper limit
# Truncated answers past this share of a rung's generated answers get a warning: one or two
# are a long tail, more say the budget is wrong for the task.
WARN_SHARE = 0.05
WARN_MIN = 3


class GenerationBudget(BaseModel):
    """The budget the run used and where it came from (results.json, the reports)."""

    max_new_tokens: int
    source: Literal["spec", "derived"] = Field(
        description="spec: max_new_tokens was set; derived: from the train answers."
    )
    n_answers: int = Field(0, description="Train answers measured.")
    p99_tokens: int | None = Field(None, description="Their p99 token length (max below 100).")
    max_tokens: int | None = Field(None, description="The longest train answer, in tokens.")
    cap: int | None = Field(None, description="Half the context: the most a derived budget gets.")
    warning: str | None = Field(
        None,
        description=(
            "Said before any rung runs when the budget is below what the train answers need "
            "(a spec budget under their p99, or a derived one capped by the context)."
        ),
    )

    def describe(self) -> str:
        if self.source == "spec":
            return f"max_new_tokens {self.max_new_tokens} (set in the spec)"
        if self.p99_tokens is None:
            return f"max_new_tokens {self.max_new_tokens} (no train answers to measure)"
        return (
            f"max_new_tokens {self.max_new_tokens}, derived from {self.n_answers} train answers "
            f"(p99 {self.p99_tokens} tokens, longest {self.max_tokens}; +{MARGIN_SHARE:.0%} "
            f"+{MARGIN_TOKENS}, floor {FLOOR}, cap {self.cap})"
        )


def max_new_tokens(spec: TaskSpec) -> int:
    """The budget a resolved spec carries (the ladder resolves it; FALLBACK otherwise)."""
    return spec.max_new_tokens if spec.max_new_tokens is not None else FALLBACK


def derive_budget(
    spec: TaskSpec,
    train_expected: Sequence[str],
    count_tokens: Callable[[str], int],
    context_length: int,
) -> GenerationBudget:
    """The spec's budget when it sets one, else one derived from the train answers."""
    cap = max(FLOOR, min(HARD_CAP, context_length // 2))
    lengths = [count_tokens(text) for text in train_expected]
    if not lengths:
        if spec.max_new_tokens is not None:
            return GenerationBudget(max_new_tokens=spec.max_new_tokens, source="spec")
        return GenerationBudget(max_new_tokens=min(FALLBACK, cap), source="derived", cap=cap)
    # "higher": an observed length, and with fewer than 100 answers the longest one.
    p99 = int(np.percentile(np.asarray(lengths), 99, method="higher"))
    measured = {"n_answers": len(lengths), "p99_tokens": p99, "max_tokens": max(lengths)}
    if spec.max_new_tokens is not None:
        # The user's budget wins, but one that cannot hold the answers is said up front.
        warning = (
            f"max_new_tokens {spec.max_new_tokens} (set in the spec) is below the train "
            f"answers' p99 length of {p99} tokens: answers will be cut off, and cut answers "
            "fail for our setting, not the model's. Leave max_new_tokens unset to derive it"
            if spec.max_new_tokens < p99
            else None
        )
        return GenerationBudget(
            max_new_tokens=spec.max_new_tokens, source="spec", warning=warning, **measured
        )
    wanted = math.ceil(p99 * (1 + MARGIN_SHARE)) + MARGIN_TOKENS
    budget = min(cap, max(FLOOR, wanted))
    warning = (
        f"the train answers need about {wanted} new tokens (p99 {p99} +{MARGIN_SHARE:.0%} "
        f"+{MARGIN_TOKENS}) but half the context allows {cap}: the longest answers may be cut "
        "off (a longer context_length raises the cap)"
        if wanted > cap
        else None
    )
    return GenerationBudget(
        max_new_tokens=budget, source="derived", cap=cap, warning=warning, **measured
    )


def cut_by_budget(expected_tokens: int, budget: int) -> bool:
    """Whether an answer that stopped at `budget` was cut by our setting, not the model.

    True when the budget leaves less room than the derivation rule gives this very expected
    answer (its length +MARGIN_SHARE +MARGIN_TOKENS): the budget, not the model, ended it.
    False when that room was there and the model still did not stop: it ran on past the
    answer (rambling, copying its context), a pattern of the model's ("runaway"), and raising
    the budget would only let it ramble longer.
    """
    return math.ceil(expected_tokens * (1 + MARGIN_SHARE)) + MARGIN_TOKENS > budget


def truncation_note(truncated: int, generated: int, budget: int) -> str | None:
    """A warning when more than a few generated answers hit the budget, else None."""
    if generated == 0 or truncated < WARN_MIN or truncated <= WARN_SHARE * generated:
        return None
    return (
        f"{truncated} of {generated} answers hit the generation budget (max_new_tokens "
        f"{budget}) and were cut off: a budget problem, not the model's; they are reported as "
        "truncated, never counted as evidence for fine-tuning. Raise max_new_tokens (or leave "
        "it unset to derive it from the train answers)"
    )

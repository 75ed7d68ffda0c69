"""Label scores from a chat server's top token logprobs (no way to score a given text).

An OpenAI-compatible chat API cannot score a continuation we choose; it can only show, at
each step of its own greedy answer, the top-k tokens with their logprobs. A label's score is
read along that answer: while the answer spells the label, its tokens' logprobs add up;
where it turns away, the best listed token that would go on spelling the label is taken,
and the rest of the label is assumed to follow (the server shows nothing beyond that point).
A label no listed token continues gets a floor below every listed one. Once a label is
spelled out, the answer should end: the chance it goes on with a word character instead is
taken off, so "bill" does not win where the model wrote "billing".

This is an estimate, recorded as method "logprobs"; local backends compute the exact sum.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

_MIN_END_P = 1e-6


@dataclass(frozen=True)
class Step:
    """One generated token, its logprob, and the listed alternatives (chosen included)."""

    token: str
    logprob: float
    top: Mapping[str, float]


def label_scores(steps: Sequence[Step], labels: Sequence[str]) -> list[float]:
    return [_score(steps, label) for label in labels]


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _advance(token: str, rest: str, at_start: bool) -> str | None:
    """What is left of the label after this token, or None if the token does not spell it."""
    piece = token.casefold()
    if at_start:
        piece = piece.lstrip()
    if not piece:
        return None
    if rest.startswith(piece):
        return rest[len(piece) :]
    # The token finishes the label and goes on with a space or punctuation ("billing.").
    if piece.startswith(rest) and not _is_word(piece[len(rest)]):
        return ""
    return None


def _end_logprob(step: Step) -> float:
    """Log-chance that the answer stops (or leaves the word) where the label ends."""
    going_on = sum(math.exp(lp) for tok, lp in step.top.items() if tok and _is_word(tok[0]))
    return math.log(max(1.0 - going_on, _MIN_END_P))


def _score(steps: Sequence[Step], label: str) -> float:
    rest = label.casefold().strip()
    total = 0.0
    started = False
    for step in steps:
        if not rest:
            return total + _end_logprob(step)
        if not started and not step.token.strip():
            total += step.logprob  # leading whitespace or newline before the answer
            continue
        after = _advance(step.token, rest, at_start=not started)
        if after is not None:
            total += step.logprob
            rest, started = after, True
            continue
        listed = [
            lp for tok, lp in step.top.items() if _advance(tok, rest, not started) is not None
        ]
        if listed:
            return total + max(listed)
        floor = min(step.top.values(), default=step.logprob)
        return total + min(floor, step.logprob) - 1.0
    return total

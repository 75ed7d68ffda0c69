"""Contextual calibration of label likelihoods (Zhao et al., 2021, "Calibrate Before Use").

Small models scored by label likelihood lean towards one label whatever the input: the
instructions and the demonstrations (their order, the last one's label) shift every answer
the same way. Calibration measures that lean on content-free inputs ("N/A", "[MASK]", ...)
asked in the same prompt, and divides it out: a label wins when the input makes it more
likely than the prompt alone does. It is a prompt technique (any server that returns label
probabilities allows it), so it belongs to the prompt rungs, which should be as strong as
cheap prompting can make them before anyone pays for training.

Whether it is used is decided on train examples, never on the test set: `auto` scores a
probe of train examples (not the demonstrations) both ways and keeps calibration only when
it answers more of them correctly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from shouldtune.analysis.stats import logsumexp
from shouldtune.models.base import Message
from shouldtune.prompts import block_content_free

CONTENT_FREE: tuple[str, ...] = ("N/A", "[MASK]", "...")


def content_free(messages: Sequence[Message], layout: str = "chat") -> list[list[Message]]:
    """The same prompt with the input replaced by each content-free text.

    In the chat layout the input is the last message; in the block layout it is the last
    "Input:" line of that message, after the demonstrations, which stay.
    """
    if layout == "block":
        return [block_content_free(messages, text) for text in CONTENT_FREE]
    return [[*messages[:-1], Message("user", text)] for text in CONTENT_FREE]


def _normalized(logprobs: Sequence[float]) -> list[float]:
    total = logsumexp(logprobs)
    return [v - total for v in logprobs]


def prior(records: Sequence[Sequence[float]]) -> list[float]:
    """Log of the mean label distribution the prompt gives on content-free inputs."""
    probs = [[math.exp(v) for v in _normalized(r)] for r in records]
    mean = [sum(column) / len(probs) for column in zip(*probs, strict=True)]
    return [math.log(max(p, 1e-12)) for p in mean]


def adjust(logprobs: Sequence[float], log_prior: Sequence[float]) -> list[float]:
    """Label scores with the prompt's own lean divided out (normalized log-probabilities)."""
    return _normalized([v - p for v, p in zip(_normalized(logprobs), log_prior, strict=True)])


def choose(raw_correct: int, calibrated_correct: int, n: int) -> dict[str, Any]:
    """The `auto` decision, with what it was based on (recorded in the rung's settings)."""
    return {
        "used": calibrated_correct > raw_correct,
        "probe_n": n,
        "probe_raw_accuracy": raw_correct / n if n else None,
        "probe_calibrated_accuracy": calibrated_correct / n if n else None,
    }

"""Instruction proposals from a second model, for the prompt search (OPRO / MIPRO style).

Off unless `prompt_search.proposer` names a model (any OpenAI-compatible one, or a local
one). It is shown the task's instructions, a few train examples and the current prompt's
failures on the validation slice (train only, never the test split), and asked for other
instructions. Each proposal becomes a candidate like any other: it wins only if it scores
better on the validation slice. The call is cached like every model call.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from shouldtune.cache import CallCache, call_key
from shouldtune.models.base import Message, Model, prompt_for
from shouldtune.records import Example

SYSTEM = (
    "You improve instructions for a small language model. You are given a task's current "
    "instructions, examples of inputs with their expected outputs, and cases where the model "
    "answered wrongly. Write better instructions: clear, specific about the answer's exact "
    "form, at most 80 words each. Reply with a numbered list, one instruction per item, and "
    "nothing else."
)
_MAX_TOKENS = 700
_ITEM = re.compile(r"^\s*(?:\d+[.)]|[-*])\s+(.*\S)\s*$")


def proposer_prompt(
    instructions: str,
    labels: Sequence[str] | None,
    examples: Sequence[Example],
    failures: Sequence[tuple[Example, str]],
    n: int,
) -> list[Message]:
    parts = [f"Current instructions:\n{instructions}"]
    if labels:
        parts.append("The answer is always one of these labels: " + ", ".join(labels))
    shown = "\n\n".join(f"Input: {e.input}\nExpected: {e.expected}" for e in examples)
    parts.append(f"Examples:\n{shown}")
    if failures:
        wrong = "\n\n".join(
            f"Input: {e.input}\nExpected: {e.expected}\nThe model answered: {out}"
            for e, out in failures
        )
        parts.append(f"Cases the model got wrong:\n{wrong}")
    parts.append(f"Write {n} different improved instructions.")
    return [Message("system", SYSTEM), Message("user", "\n\n".join(parts))]


def parse_proposals(text: str, n: int) -> list[str]:
    """The numbered (or bulleted) items of the reply, distinct, at most n; else the lines."""
    items = [m.group(1) for line in text.splitlines() if (m := _ITEM.match(line))]
    if not items:
        items = [line.strip() for line in text.splitlines() if line.strip()]
    seen: list[str] = []
    for item in items:
        cleaned = item.strip().strip('"').strip()
        if 8 <= len(cleaned) <= 1200 and cleaned not in seen:
            seen.append(cleaned)
    return seen[:n]


def propose(
    model: Model,
    cache: CallCache,
    *,
    instructions: str,
    labels: Sequence[str] | None,
    examples: Sequence[Example],
    failures: Sequence[tuple[Example, str]],
    n: int,
) -> list[str]:
    """Up to n proposed instructions (greedy, cached)."""
    prompt = prompt_for(model, proposer_prompt(instructions, labels, examples, failures, n))
    info = model.info
    key = call_key(
        kind="propose",
        prompt=prompt.text,
        params={"max_tokens": _MAX_TOKENS, "temperature": 0.0, "seed": 0},
        model=info.file_sha256,
        adapter=info.adapter_sha256,
        backend=info.backend,
    )
    hit = cache.get(key)
    if hit is None:
        out = model.generate(prompt, max_tokens=_MAX_TOKENS, temperature=0.0, seed=0)
        hit = {"text": out.text}
        cache.put(key, hit)
    return parse_proposals(str(hit["text"]), n)

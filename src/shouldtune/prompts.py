"""Prompt building shared by the prompt rungs: the system prompt and demonstrations."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

from shouldtune.models.base import Message
from shouldtune.records import Example
from shouldtune.spec import TaskSpec


def system_prompt(spec: TaskSpec, labels: Sequence[str] | None) -> str:
    parts: list[str] = []
    if spec.instructions:
        parts.append(spec.instructions.strip())
    elif labels:
        parts.append("Classify the input.")
    else:
        parts.append("Answer the input. Reply with the answer only.")
    if labels:
        parts.append("Answer with exactly one of these labels: " + ", ".join(labels) + ".")
    return "\n".join(parts)


def messages_for(system: str, demonstrations: Sequence[Example], example: Example) -> list[Message]:
    messages = [Message("system", system)]
    for demo in demonstrations:
        messages.append(Message("user", demo.input))
        messages.append(Message("assistant", demo.expected))
    messages.append(Message("user", example.input))
    return messages


def default_k(labels: Sequence[str] | None) -> int:
    """One demonstration per label (8 to 32) for label tasks, else 8."""
    if labels:
        return max(8, min(len(labels), 32))
    return 8


def pick_demonstrations(
    train: Sequence[Example],
    k: int,
    *,
    seed: int,
    balanced: bool,
) -> list[Example]:
    """k demonstrations from train: round-robin over expected values when balanced."""
    rng = random.Random(seed)
    ordered = sorted(train, key=lambda e: e.id)
    if not balanced:
        chosen = rng.sample(ordered, min(k, len(ordered)))
    else:
        by_label: dict[str, list[Example]] = defaultdict(list)
        for example in ordered:
            by_label[example.expected].append(example)
        pools = [by_label[key] for key in sorted(by_label)]
        for pool in pools:
            rng.shuffle(pool)
        rng.shuffle(pools)
        chosen = []
        depth = 0
        while len(chosen) < min(k, len(ordered)):
            for pool in pools:
                if depth < len(pool) and len(chosen) < k:
                    chosen.append(pool[depth])
            depth += 1
    # Shuffled so the last demonstration's label does not bias every answer the same way.
    rng.shuffle(chosen)
    return chosen


def probe_examples(
    train: Sequence[Example], exclude: Sequence[Example] = (), size: int = 32
) -> list[Example]:
    """A fixed sample of train examples, not demonstrations, for decisions made on train."""
    used = {e.id for e in exclude}
    pool = sorted((e for e in train if e.id not in used), key=lambda e: e.id)
    return random.Random(len(pool)).sample(pool, min(size, len(pool)))

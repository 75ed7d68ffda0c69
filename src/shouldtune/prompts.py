"""Prompt building shared by the prompt rungs: the system prompt and demonstrations."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from typing import Literal

from shouldtune.models.base import Message
from shouldtune.records import Example
from shouldtune.spec import TaskSpec

# What zero-shot is told when the spec gives no instructions (check and init warn of it).
NO_INSTRUCTIONS_LABELS = "Classify the input."
NO_INSTRUCTIONS = "Answer the input. Reply with the answer only."


def default_instructions(label_task: bool) -> str:
    return NO_INSTRUCTIONS_LABELS if label_task else NO_INSTRUCTIONS


def system_prompt(spec: TaskSpec, labels: Sequence[str] | None) -> str:
    parts: list[str] = []
    if spec.instructions:
        parts.append(spec.instructions.strip())
    else:
        parts.append(default_instructions(bool(labels)))
    if labels:
        parts.append("Answer with exactly one of these labels: " + ", ".join(labels) + ".")
    return "\n".join(parts)


Layout = Literal["chat", "block"]
INPUT_TAG, OUTPUT_TAG = "Input:", "Output:"


def messages_for(
    system: str, demonstrations: Sequence[Example], example: Example, layout: Layout = "chat"
) -> list[Message]:
    """The prompt for one example.

    chat: each demonstration is a user turn and an assistant turn. block: the demonstrations
    and the input are one "Input: ... / Output: ..." text in a single user message, which
    small models often continue more faithfully than a conversation.
    """
    messages = [Message("system", system)]
    if layout == "block":
        messages.append(Message("user", block_text(demonstrations, example.input)))
        return messages
    for demo in demonstrations:
        messages.append(Message("user", demo.input))
        messages.append(Message("assistant", demo.expected))
    messages.append(Message("user", example.input))
    return messages


def block_text(demonstrations: Sequence[Example], text: str) -> str:
    shown = [f"{INPUT_TAG} {d.input}\n{OUTPUT_TAG} {d.expected}" for d in demonstrations]
    return "\n\n".join([*shown, f"{INPUT_TAG} {text}\n{OUTPUT_TAG}"])


def block_content_free(messages: Sequence[Message], text: str) -> list[Message]:
    """A block-layout prompt with its input replaced by `text` (calibration's content-free)."""
    head, sep, _ = messages[-1].content.rpartition(f"\n\n{INPUT_TAG} ")
    body = f"{head}{sep}" if sep else ""
    last = body + (f"{text}\n{OUTPUT_TAG}" if sep else block_text([], text))
    return [*messages[:-1], Message("user", last)]


def format_line(expected: Sequence[str], labels: Sequence[str] | None) -> str:
    """An explicit answer-format instruction derived from the expected outputs."""
    if labels:
        return "Reply with the label only, exactly as written, and nothing else."
    values = [v.strip() for v in expected if v.strip()]
    if not values:
        return "Reply with the answer only."
    if all(v.startswith("{") and v.endswith("}") for v in values):
        keys = _json_keys(values)
        listed = f" with the keys {', '.join(keys)}" if keys else ""
        return f"Reply with one JSON object{listed}, and nothing else."
    if all(_is_number(v) for v in values):
        return "Reply with the number only."
    words = sorted(len(v.split()) for v in values)
    median = words[len(words) // 2]
    if all("\n" not in v for v in values) and median <= 6:
        return "Reply with the answer only: a few words on one line, no explanation."
    sentences = sorted(max(1, v.count(". ") + 1) for v in values)
    return f"Reply in at most {sentences[-1]} sentences, with no preamble."


def _json_keys(values: Sequence[str]) -> list[str]:
    import json

    common: set[str] | None = None
    for value in values:
        try:
            parsed = json.loads(value)
        except ValueError:
            return []
        if not isinstance(parsed, dict):
            return []
        common = set(parsed) if common is None else common & set(parsed)
    return sorted(common or [])


def _is_number(value: str) -> bool:
    try:
        float(value.replace(",", ""))
    except ValueError:
        return False
    return True


def label_lines_prompt(spec: TaskSpec, labels: Sequence[str]) -> str:
    """The system prompt with the labels listed one per line (easier to read for long sets)."""
    head = spec.instructions.strip() if spec.instructions else "Classify the input."
    listed = "\n".join(f"- {label}" for label in labels)
    return f"{head}\nAnswer with exactly one of these labels:\n{listed}"


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

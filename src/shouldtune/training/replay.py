"""Replay: general examples mixed into LoRA training so the adapter keeps what the base knew.

A replay example is a question from the general pool's replay part (never an item the
forgetting probe scores, general_probe.py) with the base student's own greedy answer, in
the student's chat format like the task examples. Training on them asks the adapter to
keep answering general questions as the base model did, whatever the base answered: the
point is to stay put, not to get them right. The answers are generated once per student
and question set and kept in the call cache.
"""

from __future__ import annotations

import random
from collections.abc import Collection

from shouldtune.analysis.general_probe import ProbeItem, replay_part
from shouldtune.cache import CallCache, call_key
from shouldtune.models.base import Message, Model, prompt_for
from shouldtune.training.lora import TrainExample

_MAX_TOKENS = 32  # the pool's questions ask for a number, a word or a letter
_KEY_VERSION = 1


def replay_count(replay: float, n_task: int, available: int) -> int:
    """Examples to mix in: a share (below 1) of the whole mix, or a count; at most `available`.

    A share s of the mix with n task examples is s * n / (1 - s) replay examples.
    """
    if replay <= 0 or n_task == 0:
        return 0
    wanted = int(replay) if replay >= 1 else round(replay * n_task / (1.0 - replay))
    return min(max(wanted, 1), available)


def replay_questions(n: int, seed: int, exclude: Collection[str] = ()) -> list[ProbeItem]:
    """A seeded sample of n replay-part items, none whose question is in `exclude`.

    `exclude` holds the task's test inputs: an input that happens to be a pool question is
    never trained on.
    """
    banned = {text.strip() for text in exclude}
    pool = [item for item in replay_part() if item.question not in banned]
    if n <= 0:
        return []
    return random.Random(seed).sample(pool, min(n, len(pool)))


def available(exclude: Collection[str] = ()) -> int:
    banned = {text.strip() for text in exclude}
    return sum(1 for item in replay_part() if item.question not in banned)


def base_answers(student: Model, questions: list[str], cache: CallCache) -> list[str]:
    """The student's own greedy answers (no adapter), generated once and cached."""
    info = student.info
    key = call_key(
        kind="replay",
        version=_KEY_VERSION,
        backend=info.backend,
        weights=info.file_sha256,
        adapter=info.adapter_sha256,
        max_tokens=_MAX_TOKENS,
        questions=questions,
    )
    cached = cache.get(key)
    if cached is not None:
        return [str(answer) for answer in cached["answers"]]
    answers = [
        student.generate(
            prompt_for(student, [Message("user", question)]), max_tokens=_MAX_TOKENS
        ).text.strip()
        for question in questions
    ]
    cache.put(key, {"answers": answers})
    return answers


def replay_examples(
    student: Model,
    replay: float,
    n_task: int,
    *,
    seed: int,
    cache: CallCache,
    exclude: Collection[str] = (),
) -> list[TrainExample]:
    """The replay examples for a training mix of `n_task` task examples (none when off).

    A question the base answered with nothing is left out: an empty answer would teach
    the adapter to end its turn at once.
    """
    count = replay_count(replay, n_task, available(exclude))
    items = replay_questions(count, seed, exclude)
    questions = [item.question for item in items]
    answers = base_answers(student, questions, cache) if questions else []
    examples = []
    for question, answer in zip(questions, answers, strict=True):
        if not answer:
            continue
        messages = [Message("user", question)]
        examples.append(
            TrainExample(student.render(messages), student.answer_suffix(messages, answer))
        )
    return examples

"""Replay examples: drawn from the replay part only, the base's own answers, cached, counted."""

from __future__ import annotations

from pathlib import Path

import pytest

from shouldtune.analysis.general_probe import probe_part, replay_part
from shouldtune.cache import CallCache
from shouldtune.models.base import Message
from shouldtune.training.lora import LoraJob, TrainExample, split_for_training
from shouldtune.training.replay import (
    base_answers,
    replay_count,
    replay_examples,
    replay_questions,
)
from tests.fakes import ScriptedModel


def _answer(prompt: str) -> str:
    return "base says " + str(len(prompt))


@pytest.mark.parametrize(
    ("replay", "n_task", "expected"),
    [(0.0, 100, 0), (0.2, 100, 25), (0.5, 40, 40), (30.0, 100, 30), (0.2, 0, 0), (900.0, 10, 364)],
)
def test_replay_count(replay: float, n_task: int, expected: int) -> None:
    assert replay_count(replay, n_task, available=364) == expected


def test_replay_never_contains_probe_items_or_test_inputs() -> None:
    replay = replay_part()
    test_inputs = [replay[0].question, replay[5].question, "an unrelated input"]
    drawn = replay_questions(10_000, seed=0, exclude=test_inputs)
    questions = {item.question for item in drawn}
    assert len(questions) == len(replay) - 2
    assert not questions & {item.question for item in probe_part()}
    assert not questions & set(test_inputs)


def test_replay_examples_are_the_base_answers_in_the_chat_format(tmp_path: Path) -> None:
    student = ScriptedModel(_answer)
    with_cache = CallCache(tmp_path / "cache")
    examples = replay_examples(student, 0.25, 30, seed=1, cache=with_cache)
    assert len(examples) == 10
    probe = {student.render([Message("user", item.question)]) for item in probe_part()}
    for example in examples:
        assert example.prompt not in probe
        assert "base says " in example.completion
    question = examples[0].prompt
    assert examples[0].completion == student.answer_suffix(
        [Message("user", _question_of(question))], _answer(question).strip()
    )
    assert replay_examples(student, 0, 30, seed=1, cache=with_cache) == []
    with_cache.close()


def _question_of(prompt: str) -> str:
    return next(i.question for i in replay_part() if i.question in prompt)


def test_base_answers_are_generated_once(tmp_path: Path) -> None:
    student = ScriptedModel(_answer)
    store = CallCache(tmp_path / "cache")
    questions = [item.question for item in replay_part()[:5]]
    first = base_answers(student, questions, store)
    calls = student.calls
    assert calls == 5
    assert base_answers(student, questions, store) == first and student.calls == calls
    other = ScriptedModel(_answer, name="another")  # another student: answered anew
    base_answers(other, questions, store)
    assert other.calls == 5
    store.close()


def test_empty_base_answers_are_left_out(tmp_path: Path) -> None:
    student = ScriptedModel(lambda prompt: "   ")
    store = CallCache(tmp_path / "cache")
    assert replay_examples(student, 5, 30, seed=0, cache=store) == []
    store.close()


def _job(**changes: object) -> LoraJob:
    fields: dict[str, object] = {
        "student_dir": "/s",
        "student_sha256": "abc",
        "examples": [TrainExample("p", "c")],
    }
    fields.update(changes)
    return LoraJob(**fields)  # type: ignore[arg-type]


def test_replay_is_part_of_the_job_identity() -> None:
    plain = _job()
    replayed = _job(replay=[TrainExample("general", "answer")])
    assert plain.key() != replayed.key()
    assert replayed.key() != _job(replay=[TrainExample("general", "other")]).key()
    # A job without replay keeps the key jobs had before the field existed (their cache).
    assert plain.key() == _old_key(plain)
    assert LoraJob.from_json(replayed.to_json()) == replayed


def _old_key(job: LoraJob) -> str:
    from dataclasses import asdict

    from shouldtune.cache import call_key

    fields = asdict(job)
    fields.pop("student_dir")
    fields.pop("replay")
    return call_key(kind="lora", **fields)[:24]


def test_validation_slice_holds_task_examples_only() -> None:
    task = [{"input_ids": [i], "labels": [i]} for i in range(40)]
    replay = [{"input_ids": [1000 + i], "labels": [1000 + i]} for i in range(30)]
    val, train = split_for_training(task, replay, 0.25, seed=0)
    assert len(val) == 10 and all(r["input_ids"][0] < 1000 for r in val)
    assert len(train) == 60 and replay[0] in train and not set(map(id, val)) & set(map(id, train))
    assert split_for_training(task, [], 0.25, seed=0)[0] == val  # replay moves no task example

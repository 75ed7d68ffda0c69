"""The generation budget: derived from the train answers, overridable, and cut answers are ours."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from shouldtune.budget import FLOOR, derive_budget, truncation_note
from shouldtune.cache import CallCache
from shouldtune.ladder import run_ladder
from shouldtune.models.base import Generation, Prompt
from shouldtune.spec import TaskSpec, spec_from_dict
from tests.fakes import ScriptedModel, last_input


def words(n: int) -> str:
    return " ".join(f"w{i}" for i in range(n))


def count(text: str) -> int:
    return len(text.split())


def test_unset_budget_follows_the_longest_train_answer_with_a_margin(tmp_path: Path) -> None:
    spec = TaskSpec(data=tmp_path / "d.jsonl")
    budget = derive_budget(spec, [words(10), words(40), words(20)], count, 4096)
    assert budget.source == "derived"
    assert budget.p99_tokens == budget.max_tokens == 40  # fewer than 100: the longest
    assert budget.max_new_tokens == 40 + 10 + 8  # +25% +8


def test_p99_ignores_a_single_outlier_in_many_answers(tmp_path: Path) -> None:
    spec = TaskSpec(data=tmp_path / "d.jsonl")
    answers = [words(20)] * 299 + [words(400)]
    budget = derive_budget(spec, answers, count, 4096)
    assert budget.max_tokens == 400 and budget.p99_tokens == 20
    assert budget.max_new_tokens == 33


def test_short_answers_get_the_floor_and_long_ones_the_context_cap(tmp_path: Path) -> None:
    spec = TaskSpec(data=tmp_path / "d.jsonl")
    assert derive_budget(spec, ["yes", "no"], count, 4096).max_new_tokens == FLOOR
    capped = derive_budget(spec, [words(900)], count, 1024)
    assert capped.max_new_tokens == capped.cap == 512
    # Capped below what the answers need: said up front, not left to the cut answers.
    assert capped.warning is not None and "may be cut off" in capped.warning
    assert derive_budget(spec, [words(40)], count, 4096).warning is None


def test_a_budget_set_in_the_spec_wins_and_auto_means_derived(tmp_path: Path) -> None:
    spec = TaskSpec(data=tmp_path / "d.jsonl", max_new_tokens=12)
    short = derive_budget(spec, [words(100)], count, 4096)
    assert (short.max_new_tokens, short.source, short.p99_tokens) == (12, "spec", 100)
    # The user's budget wins, but one that cannot hold the train answers is said up front.
    assert short.warning is not None and "below the train answers' p99" in short.warning
    assert derive_budget(spec, [words(10)], count, 4096).warning is None
    auto = spec_from_dict({"data": "d.jsonl", "max_new_tokens": "auto"})
    assert auto.max_new_tokens is None


def test_the_warning_needs_more_than_a_few_cut_answers() -> None:
    assert truncation_note(2, 10, 64) is None
    assert truncation_note(3, 100, 64) is None  # 3%: a long tail
    note = truncation_note(6, 20, 64)
    assert note is not None and "6 of 20" in note and "max_new_tokens 64" in note


class Cutting(ScriptedModel):
    """Replies with the expected answer, cut at the budget like a real model would be."""

    def __init__(self, answers: dict[str, str]) -> None:
        super().__init__(lambda prompt: answers[last_input(prompt)])
        self.budgets: list[int] = []

    def generate(
        self, prompt: Prompt, *, max_tokens: int, temperature: float = 0.0, seed: int = 0
    ) -> Generation:
        self.calls += 1
        self.budgets.append(max_tokens)
        text = self.answer(prompt.text).split()
        finish: Literal["stop", "length"] = "length" if len(text) > max_tokens else "stop"
        return Generation(" ".join(text[:max_tokens]), 1, min(len(text), max_tokens), finish)


def long_answer_task(tmp_path: Path) -> tuple[TaskSpec, dict[str, str]]:
    rows = [{"input": f"explain topic {i}", "expected": words(30) + f" end{i}"} for i in range(60)]
    path = tmp_path / "long.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    answers = {r["input"]: r["expected"] for r in rows}
    return TaskSpec(data=path, rungs=["zero_shot"], scorer="exact"), answers


def test_the_derived_budget_fits_long_answers_and_is_recorded(
    tmp_path: Path, cache: CallCache
) -> None:
    spec, answers = long_answer_task(tmp_path)
    model = Cutting(answers)
    result = run_ladder(spec, cache=cache, runs_dir=None, model=model)
    assert result.generation_budget is not None
    assert result.generation_budget.source == "derived"
    # 31 words: ceil(31 * 1.25) + 8
    assert set(model.budgets) == {result.generation_budget.max_new_tokens} == {47}
    assert result.rungs[0].pass_rate == 1.0
    assert result.rungs[0].settings.extra("max_new_tokens") == 47
    assert result.rungs[0].settings.extra("truncated") == 0


def test_cut_answers_are_a_budget_problem_never_fine_tune_evidence(
    tmp_path: Path, cache: CallCache
) -> None:
    spec, answers = long_answer_task(tmp_path)
    spec = spec.model_copy(update={"max_new_tokens": 8})
    model = Cutting(answers)
    result = run_ladder(spec, cache=cache, runs_dir=None, model=model)
    rung = result.rungs[0]
    assert rung.pass_rate == 0.0 and rung.settings.extra("truncated") == rung.n
    assert any("hit the generation budget" in note for note in rung.notes)
    found = result.reproducibility
    assert found is not None
    assert found.n_checked == 0 and found.n_truncated == rung.n
    assert "reproducible pattern" not in result.verdict.answer
    assert "cut off by the generation budget" in result.verdict.answer
    # Another budget is another call: the cache key holds the budget used.
    calls = model.calls
    other = spec.model_copy(update={"max_new_tokens": 9})
    run_ladder(other, cache=cache, runs_dir=None, model=model)
    assert model.calls > calls


def test_an_answer_running_past_a_budget_with_room_is_the_model_s_not_ours(
    tmp_path: Path, cache: CallCache
) -> None:
    spec, answers = long_answer_task(tmp_path)
    # The model gives the answer, then does not stop: the derived budget had room for it.
    model = Cutting({question: answer + " " + words(80) for question, answer in answers.items()})
    result = run_ladder(spec, cache=cache, runs_dir=None, model=model)
    rung = result.rungs[0]
    assert rung.pass_rate == 0.0
    assert rung.settings.extra("runaway") == rung.n and rung.settings.extra("truncated") == 0
    assert not any("hit the generation budget" in note for note in rung.notes)
    found = result.reproducibility
    assert found is not None and found.n_truncated == 0 and found.n_checked > 0
    assert "cut off by the generation budget" not in result.verdict.answer

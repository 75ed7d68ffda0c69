"""Prompt search: finds the right prompt on train, never reads the test split, writes it out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shouldtune.cache import CallCache
from shouldtune.data import load_examples
from shouldtune.ladder import run_ladder
from shouldtune.models.base import ModelError
from shouldtune.models.mock import MockModel
from shouldtune.prompts import format_line
from shouldtune.report.write import write_reports
from shouldtune.rungs import REGISTRY, prompt_search
from shouldtune.rungs.prompt_search import (
    MIN_EXAMPLES,
    Candidate,
    explore_order,
    halving_cost,
    plan,
)
from shouldtune.spec import SpecError, TaskSpec, spec_from_dict
from tests.fakes import ScriptedModel, present

LABELS = ["red", "green", "blue"]


def write_task(tmp_path: Path, **extra: Any) -> TaskSpec:
    rows = [
        {"text": f"sample {i} looks {LABELS[i % 3]}", "label": LABELS[i % 3]} for i in range(120)
    ]
    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    fields: dict[str, Any] = {
        "data": str(data),
        "input": "text",
        "expected": "label",
        "labels": LABELS,
        "rungs": ["few_shot", "prompt_search"],
        "calibrate": "off",
        "prompt_search": {"budget": 600, "similar": False},
        **extra,
    }
    return spec_from_dict(fields)


FORMAT = format_line([], LABELS)


def picky(prompt: str) -> str:
    """Right only with the answer-format line AND the block layout; otherwise always 'red'.

    The plain test format renders a block-layout user message as "Input: Input: ...".
    """
    if FORMAT in prompt and "Input: Input:" in prompt:
        return prompt.rsplit("Input: ", 1)[-1].split("\n", 1)[0].rsplit(" ", 1)[-1]
    return "red"


def test_the_search_finds_the_one_right_prompt(tmp_path: Path, cache: CallCache) -> None:
    spec = write_task(tmp_path)
    result = run_ladder(spec, cache=cache, runs_dir=tmp_path / "runs", model=ScriptedModel(picky))
    few, searched = result.rungs
    assert few.rung == "few_shot" and few.score.point < 0.5
    assert searched.rung == "prompt_search"
    assert searched.settings.extra("instruction") == "format"
    assert searched.settings.extra("layout") == "block"
    assert searched.score.point == 1.0
    record = present(searched.settings.search)
    # Selected on the probability of the expected label, the pass rate beside it.
    assert record.signal == "p(expected label)" and record.winner_val_pass == 1.0
    assert record.winner_val_score > 0.9 and present(record.baseline_val_pass) < 0.5
    assert not record.kept_baseline and present(record.versus_baseline).better
    assert record.calls <= record.budget
    assert record.tried > 1 and record.baseline.startswith("chat/given/")
    # The winning prompt is written where a user can take it, with the input as a placeholder.
    run_dir = Path(str(result.run_dir))
    prompt = json.loads((run_dir / "artifacts/prompt_search/prompt.json").read_text())
    assert prompt["layout"] == "block" and "{input}" in prompt["messages"][-1]["content"]
    assert FORMAT in (run_dir / "artifacts/prompt_search/prompt.txt").read_text()
    assert searched.settings.prompt_file == "artifacts/prompt_search/prompt.txt"
    assert (run_dir / "artifacts/few_shot/prompt.txt").exists()
    # The reports show the search and the winning prompt itself.
    write_reports(run_dir)
    markdown = (run_dir / "report.md").read_text()
    assert "**Prompt search**" in markdown and FORMAT in markdown
    html = (run_dir / "report.html").read_text()
    assert 'id="prompt-search"' in html and FORMAT in html


def test_the_search_never_reads_a_test_example(
    tmp_path: Path, cache: CallCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = write_task(tmp_path, rungs=["prompt_search"])
    seen: list[str] = []

    def answer(prompt: str) -> str:
        seen.append(prompt)
        return picky(prompt)

    asked_before_test: list[str] = []
    real_evaluate = prompt_search.evaluate  # type: ignore[attr-defined]

    def spy(*args: Any, **kwargs: Any) -> Any:
        asked_before_test.extend(seen)
        return real_evaluate(*args, **kwargs)

    monkeypatch.setattr(prompt_search, "evaluate", spy)
    result = run_ladder(spec, cache=cache, runs_dir=None, model=ScriptedModel(answer))
    by_id = {e.id: e.input for e in load_examples(spec)}
    test_inputs = [by_id[i] for i in result.split.test_ids]
    assert test_inputs and len(asked_before_test) > 50
    for text in test_inputs:
        assert not any(text in prompt for prompt in asked_before_test), text
    # ...and the test split is then asked once per example, for the winner only.
    assert len(seen) - len(asked_before_test) == len(test_inputs)


def test_plan_fits_the_budget_and_halving_costs_add_up() -> None:
    # The baseline and 7 others on 16 examples, then it and 4 on 32, then it and 2 on 48:
    # only new examples cost, and the baseline is never dropped.
    assert halving_cost(8, 16, 48) == 8 * 16 + 5 * 16 + 3 * 16
    count, n0, size = plan(100, 48, 400)
    assert halving_cost(count, n0, size) <= 400
    assert size == 48 and count >= 2 and n0 >= MIN_EXAMPLES
    assert plan(3, 10, 10_000) == (3, 10, 10)
    assert plan(5, 0, 100) == (1, 0, 0)  # no validation examples: nothing is asked
    # No candidate is dropped on fewer than MIN_EXAMPLES: a small budget shortens the slice
    # (the baseline and one challenger on all of it), never the first round.
    count, n0, size = plan(100, 48, 40)
    assert (count, n0) == (2, size) and 2 * size <= 40


def test_the_rung_is_registered_in_cost_order() -> None:
    from shouldtune.rung_info import CATALOG, default_rungs

    assert list(REGISTRY) == [r.name for r in CATALOG]
    assert all(name == module.NAME for name, module in REGISTRY.items())
    with pytest.raises(SpecError, match="unknown rung 'prompt_serach'"):
        spec_from_dict({"data": "d.jsonl", "rungs": ["zero_shot", "prompt_serach"]})
    assert default_rungs(with_docs=False) == ["zero_shot", "few_shot", "prompt_search", "lora"]
    assert default_rungs(with_docs=True)[3] == "rag"


PROPOSED = "Name the colour word that ends the input, and nothing else."


def test_a_proposer_adds_instructions_that_compete_like_any_other(
    tmp_path: Path, cache: CallCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def proposer(prompt: str) -> str:
        asked.append(prompt)
        return f"1. {PROPOSED}\n2. Answer briefly."

    monkeypatch.setattr(
        prompt_search, "load_model", lambda *a, **k: MockModel(proposer, name="proposer")
    )

    def follows_the_proposal(prompt: str) -> str:
        if PROPOSED in prompt:
            return prompt.rsplit("Input: ", 1)[-1].split("\n", 1)[0].rsplit(" ", 1)[-1]
        return "red"

    spec = write_task(
        tmp_path,
        rungs=["prompt_search"],
        prompt_search={"budget": 300, "similar": False, "proposer": "openai:some-model"},
    )
    result = run_ladder(spec, cache=cache, runs_dir=None, model=ScriptedModel(follows_the_proposal))
    searched = result.rungs[0]
    assert searched.settings.extra("instruction").startswith("proposed-")
    assert present(searched.settings.search).proposals == [PROPOSED, "Answer briefly."]
    assert searched.score.point == 1.0
    # The proposer saw train examples and the baseline's failures, never a test input.
    by_id = {e.id: e.input for e in load_examples(spec)}
    (prompt,) = asked
    assert "The model answered: red" in prompt
    assert not any(by_id[i] in prompt for i in result.split.test_ids)


def test_a_proposer_that_fails_leaves_the_local_search_running(
    tmp_path: Path, cache: CallCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise ModelError("set the API key in $OPENAI_API_KEY")

    monkeypatch.setattr(prompt_search, "load_model", refuse)
    spec = write_task(
        tmp_path,
        rungs=["prompt_search"],
        prompt_search={"budget": 200, "similar": False, "proposer": "openai:x"},
    )
    result = run_ladder(spec, cache=cache, runs_dir=None, model=ScriptedModel(picky))
    assert any("gave no instructions" in note for note in result.rungs[0].notes)
    assert present(result.rungs[0].settings.search).proposals == []


def test_both_calibration_forms_of_the_few_shot_prompt_always_compete(
    tmp_path: Path, cache: CallCache
) -> None:
    spec = write_task(
        tmp_path,
        rungs=["prompt_search"],
        calibrate="auto",
        prompt_search={"budget": 40, "similar": False},
    )
    result = run_ladder(spec, cache=cache, runs_dir=None, model=ScriptedModel(picky))
    record = present(result.rungs[0].settings.search)
    tried = {c.key for c in record.candidates}
    assert record.baseline in tried and record.baseline + "+cal" in tried
    # The content-free prompts of the calibrated form count against the budget too.
    assert record.calls <= record.budget


def test_when_nothing_beats_few_shot_the_run_and_its_reports_say_so(
    tmp_path: Path, cache: CallCache
) -> None:
    def wrong_alike(prompt: str) -> str:
        return "red"  # every prompt answers the same: none can beat few-shot's

    spec = write_task(tmp_path, all_rungs=True)
    result = run_ladder(
        spec, cache=cache, runs_dir=tmp_path / "runs", model=ScriptedModel(wrong_alike)
    )
    few, searched = result.rungs
    record = present(searched.settings.search)
    assert record.kept_baseline and record.winner == record.baseline
    assert searched.score == few.score and searched.computed_calls == 0
    run_dir = Path(str(result.run_dir))
    saved = json.loads((run_dir / "results.json").read_text())
    kept = next(r for r in saved["rungs"] if r["rung"] == "prompt_search")
    assert kept["settings"]["search"]["kept_baseline"] is True
    write_reports(run_dir)
    assert "No prompt found that beats few-shot" in (run_dir / "report.md").read_text()
    assert "no prompt found that beats few-shot" in (run_dir / "report.html").read_text()


def test_each_kind_of_change_to_few_shot_goes_first_the_nearest_examples_leading() -> None:
    base = Candidate("chat", "given", "balanced", 8, 0, True, own=True)
    others = [
        Candidate("block", "format", "random", 4, 1, False),  # three changes
        Candidate("chat", "given", "random", 8, 1, True),  # the draw
        Candidate("chat", "given", "balanced", 8, 0, False),  # calibration
        Candidate("chat", "format", "balanced", 8, 0, True),  # the instructions
        Candidate("block", "given", "balanced", 8, 0, True),  # the layout
        Candidate("chat", "given", "balanced", 16, 0, True),  # k
        # Nearest examples are never calibrated: against a calibrated few-shot, one change.
        Candidate("chat", "given", "similar", 8, 0, False),
    ]
    ordered = explore_order(others, base, seed=0)
    assert [c.key for c in ordered[:6]] == [
        "chat/given/similar-8@0",
        "chat/format/balanced-8@0+cal",
        "block/given/balanced-8@0+cal",
        "chat/given/balanced-16@0+cal",
        "chat/given/balanced-8@0",
        "chat/given/random-8@1+cal",
    ]
    assert ordered[-1].key == "block/format/random-4@1"

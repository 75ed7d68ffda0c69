"""The model-free baseline: the constant chosen on train, scored on test, paired per rung."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shouldtune.baseline import BASELINE, constant_answer, measure_baseline
from shouldtune.cache import CallCache
from shouldtune.ladder import run_ladder
from shouldtune.records import Example
from shouldtune.results import RunResult
from shouldtune.scoring import ExactScorer, JsonScorer
from shouldtune.spec import TaskSpec
from tests.fakes import ScriptedModel, last_input, present


def ex(i: int, expected: str) -> Example:
    return Example(id=f"e{i}", input=f"in {i}", expected=expected, line=i + 1)


def test_label_constant_is_the_most_common_train_label() -> None:
    train = [ex(i, label) for i, label in enumerate(["b", "a", "a", "c", "a", "b"])]
    assert constant_answer(train, "label") == ("a", "most_common_label")


def test_json_constant_takes_each_fields_most_common_value() -> None:
    answers = [
        {"PER": [], "ORG": ["Acme"], "LOC": []},
        {"PER": ["Ann"], "ORG": [], "LOC": []},
        {"PER": [], "ORG": [], "LOC": ["Rome"]},
        {"PER": [], "ORG": [], "LOC": [], "rare": 1},
    ]
    train = [ex(i, json.dumps(a)) for i, a in enumerate(answers)]
    constant, how = constant_answer(train, "json")
    assert how == "per_field"
    assert json.loads(constant) == {"PER": [], "ORG": [], "LOC": []}


def test_json_constant_earns_the_credit_of_empty_fields() -> None:
    train = [ex(i, json.dumps({"PER": [], "ORG": []})) for i in range(5)]
    test = [
        ex(10, json.dumps({"PER": ["Ann"], "ORG": []})),
        ex(11, json.dumps({"PER": [], "ORG": []})),
    ]
    record, predictions = measure_baseline(train, test, JsonScorer(), "json", seed=0)
    assert [p.score for p in predictions] == [0.5, 1.0]
    assert record.score.point == pytest.approx(0.75)
    assert record.score.low < 0.75 < record.score.high
    assert {p.rung for p in predictions} == {BASELINE}


def test_generation_constant_is_the_most_common_output_scored_by_the_scorer() -> None:
    train = [ex(i, out) for i, out in enumerate(["Paris", "Rome", "Paris"])]
    test = [ex(10, "Paris"), ex(11, "Oslo"), ex(12, "Paris"), ex(13, "Rome")]
    record, _ = measure_baseline(train, test, ExactScorer(), "exact", seed=0)
    assert (record.constant, record.how) == ("Paris", "most_common_output")
    assert record.pass_rate == 0.5
    assert record.n == 4


def skewed_task(tmp_path: Path) -> TaskSpec:
    """Three in four examples are 'even': the constant scores about 75% with no model."""
    path = tmp_path / "data.jsonl"
    rows = [
        {
            "text": f"item {i} is {'odd' if i % 4 == 0 else 'even'}",
            "label": "odd" if i % 4 == 0 else "even",
        }
        for i in range(80)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return TaskSpec(
        data=path, input="text", expected="label", bar=0.8, rungs=["zero_shot"], all_rungs=True
    )


def test_the_run_records_the_baseline_and_pairs_it_with_each_rung(
    tmp_path: Path, cache: CallCache
) -> None:
    spec = skewed_task(tmp_path)
    model = ScriptedModel(lambda prompt: last_input(prompt).rsplit(" ", 1)[-1])
    result = run_ladder(spec, cache=cache, runs_dir=tmp_path / "runs", model=model)
    baseline = present(result.baseline)
    assert baseline.constant == "even"
    assert 0.6 < baseline.score.point < 0.9
    assert baseline.n == result.split.n_test
    # Never a rung: not in the rung list, so never a verdict candidate.
    assert BASELINE not in [r.rung for r in result.rungs]
    pair = next(p for p in baseline.pairs if p.b == "zero_shot")
    assert pair.a == BASELINE and pair.n == result.split.n_test
    assert pair.diff == pytest.approx(1.0 - baseline.score.point)
    saved = RunResult.model_validate_json(
        (Path(present(result.run_dir)) / "results.json").read_text()
    )
    assert saved.baseline == baseline


def test_reports_show_the_baseline_first(tmp_path: Path, cache: CallCache) -> None:
    from rich.console import Console

    from shouldtune.report.load import load_run
    from shouldtune.report.markdown import render_markdown
    from shouldtune.report.terminal import rung_table

    spec = skewed_task(tmp_path)
    model = ScriptedModel(lambda prompt: last_input(prompt).rsplit(" ", 1)[-1])
    result = run_ladder(spec, cache=cache, runs_dir=tmp_path / "runs", model=model)
    console = Console(record=True, width=200)
    console.print(rung_table(result))
    text = console.export_text()
    assert text.index("baseline: always 'even'") < text.index("zero_shot")
    page = render_markdown(load_run(Path(present(result.run_dir))))
    assert page.index("| baseline: always `even`") < page.index("| `zero_shot`")


def test_a_prompt_level_with_the_constant_does_not_stop_the_climb(
    tmp_path: Path, cache: CallCache
) -> None:
    """Zero-shot answers the majority label every time: within reach of the bar, yet it is no
    better than the constant, so the early stop does not fire and few-shot is climbed."""
    path = tmp_path / "data.jsonl"
    rows = [
        {"text": f"item {i} is {'odd' if i % 4 == 0 else 'even'}", "label": "odd"}
        if i % 4 == 0
        else {"text": f"item {i} is even", "label": "even"}
        for i in range(160)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    spec = TaskSpec(
        data=path, input="text", expected="label", bar=0.6, rungs=["zero_shot", "few_shot"]
    )

    def answer(prompt: str) -> str:
        if prompt.count("Input:") <= 1:  # zero-shot: no demonstrations
            return "even"
        return last_input(prompt).rsplit(" ", 1)[-1]

    result = run_ladder(spec, cache=cache, runs_dir=None, model=ScriptedModel(answer))
    assert [r.rung for r in result.rungs] == ["zero_shot", "few_shot"]
    assert result.verdict.kind == "PROMPT" and result.verdict.best_rung == "few_shot"
    found = present(present(result.verdict.findings).baseline)
    assert found.matched == ["zero_shot"]
    assert "zero_shot is no better than answering 'even' every time" in result.verdict.answer

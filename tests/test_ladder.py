"""The ladder's logic with a scripted model: split discipline, caching, resume, run dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shouldtune.cache import CallCache
from shouldtune.ladder import run_ladder
from shouldtune.spec import TaskSpec
from tests.fakes import ScriptedModel, last_input


def write_task(tmp_path: Path, n: int = 60) -> TaskSpec:
    path = tmp_path / "data.jsonl"
    rows = [
        {
            "text": f"item number {i} is {'odd' if i % 2 else 'even'}",
            "label": "odd" if i % 2 else "even",
        }
        for i in range(n)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return TaskSpec(
        data=path,
        input="text",
        expected="label",
        bar=0.8,
        rungs=["zero_shot", "few_shot"],
        all_rungs=True,
    )


def oracle(prompt: str) -> str:
    return last_input(prompt).rsplit(" ", 1)[-1]


def test_scripted_oracle_gives_prompt_verdict(tmp_path: Path, cache: CallCache) -> None:
    spec = write_task(tmp_path)
    result = run_ladder(spec, cache=cache, runs_dir=tmp_path / "runs", model=ScriptedModel(oracle))
    assert [r.rung for r in result.rungs] == ["zero_shot", "few_shot"]
    assert result.scorer == "label"
    assert result.rungs[0].score.point == 1.0
    assert result.verdict.kind == "PROMPT"
    run_dir = Path(result.run_dir or "")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    results = json.loads((run_dir / "results.json").read_text())
    preds = [json.loads(line) for line in (run_dir / "predictions.jsonl").read_text().splitlines()]
    assert manifest["status"] == "finished"
    assert sorted(manifest["split"]["test_ids"]) == sorted(result.split.test_ids)
    assert results["rungs"][1]["score"]["low"] <= results["rungs"][1]["score"]["point"]
    assert len(preds) == 2 * result.split.n_test


def test_ladder_stops_at_the_first_rung_that_is_good_enough(
    tmp_path: Path, cache: CallCache
) -> None:
    spec = write_task(tmp_path).model_copy(
        update={"rungs": ["zero_shot", "few_shot", "lora"], "all_rungs": False}
    )
    result = run_ladder(spec, cache=cache, runs_dir=None, model=ScriptedModel(oracle))
    assert [r.rung for r in result.rungs] == ["zero_shot"]
    assert set(result.skipped) == {"few_shot", "lora"}
    assert "good enough" in result.skipped["lora"]
    # The rung and the verdict, not the headline again (it is shown once, in the verdict).
    assert result.skipped["lora"] == "a cheaper rung is good enough: zero_shot (PROMPT)"
    assert result.verdict.kind == "PROMPT"
    # The answer names the model measured (a scripted one here, not the built-in demo model).
    assert result.verdict.answer.startswith("Measured on scripted (mock). Use a prompt.")
    assert result.verdict.findings is not None and result.verdict.findings.measured_model
    assert not result.verdict.findings.measured_model.builtin


def test_lora_is_skipped_without_enough_data(tmp_path: Path, cache: CallCache) -> None:
    spec = write_task(tmp_path, n=30).model_copy(
        update={"rungs": ["zero_shot", "lora"], "all_rungs": True}
    )
    result = run_ladder(spec, cache=cache, runs_dir=None, model=ScriptedModel(lambda p: "odd"))
    assert "fewer than min_examples" in result.skipped["lora"]
    assert result.verdict.kind == "NOT_ENOUGH_DATA"


def test_demonstrations_come_from_train_only(tmp_path: Path, cache: CallCache) -> None:
    spec = write_task(tmp_path)
    seen: list[str] = []

    def record(prompt: str) -> str:
        seen.append(prompt)
        return "odd"

    result = run_ladder(spec, cache=cache, runs_dir=None, model=ScriptedModel(record))
    few = next(r for r in result.rungs if r.rung == "few_shot")
    demo_ids = set(few.settings.extra("demonstration_ids"))
    assert demo_ids and not demo_ids & set(result.split.test_ids)
    assert demo_ids <= set(result.split.train_ids)


def test_second_run_is_served_from_cache(tmp_path: Path, cache: CallCache) -> None:
    spec = write_task(tmp_path)
    model = ScriptedModel(oracle)
    first = run_ladder(spec, cache=cache, runs_dir=None, model=model)
    calls = model.calls
    second = run_ladder(spec, cache=cache, runs_dir=None, model=model)
    assert model.calls == calls
    assert all(r.computed_calls == 0 for r in second.rungs)
    assert [r.score for r in first.rungs] == [r.score for r in second.rungs]


def test_interrupted_run_resumes_without_recomputing(tmp_path: Path, cache: CallCache) -> None:
    spec = write_task(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        run_ladder(spec, cache=cache, runs_dir=None, model=ScriptedModel(oracle, interrupt_after=7))
    assert cache.count() == 7
    fresh = ScriptedModel(oracle)
    result = run_ladder(spec, cache=cache, runs_dir=None, model=fresh)
    clean, clean_cache = ScriptedModel(oracle), CallCache(tmp_path / "clean")
    try:
        uninterrupted = run_ladder(spec, cache=clean_cache, runs_dir=None, model=clean)
    finally:
        clean_cache.close()
    assert fresh.calls == clean.calls - 7  # the 7 finished calls were not made again
    assert [r.score for r in result.rungs] == [r.score for r in uninterrupted.rungs]


def test_another_model_never_reads_these_answers(tmp_path: Path, cache: CallCache) -> None:
    spec = write_task(tmp_path)
    run_ladder(spec, cache=cache, runs_dir=None, model=ScriptedModel(oracle, name="a"))
    other = ScriptedModel(lambda p: "odd", name="b")
    result = run_ladder(spec, cache=cache, runs_dir=None, model=other)
    assert all(r.cached_calls == 0 for r in result.rungs)
    assert result.rungs[0].score.point == pytest.approx(0.5, abs=0.1)


def test_small_dataset_is_not_enough_data_but_still_measured(
    tmp_path: Path, cache: CallCache
) -> None:
    spec = write_task(tmp_path, n=30)
    result = run_ladder(spec, cache=cache, runs_dir=None, model=ScriptedModel(oracle))
    assert result.verdict.kind == "NOT_ENOUGH_DATA"
    assert len(result.rungs) == 2 and result.rungs[0].n > 0


def test_generated_task_uses_generation_and_exact_scorer(tmp_path: Path, cache: CallCache) -> None:
    path = tmp_path / "data.jsonl"
    rows = [
        {"input": f"say {w} {i}", "expected": f"{w.upper()} {i}"}
        for i, w in enumerate(["alpha", "beta", "gamma", "delta"] * 15)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    spec = TaskSpec(data=path)

    def shout(prompt: str) -> str:
        return last_input(prompt).removeprefix("say ").upper()

    result = run_ladder(spec, cache=cache, runs_dir=None, model=ScriptedModel(shout))
    assert result.scorer == "exact"
    assert result.labels is None
    assert result.rungs[0].score.point == 1.0
    assert result.rungs[0].score.method == "wilson"


def test_a_served_model_without_a_student_skips_lora(tmp_path: Path, cache: CallCache) -> None:
    spec = write_task(tmp_path).model_copy(
        update={"model": "openai:gpt-4o-mini", "rungs": ["zero_shot", "lora"]}
    )
    result = run_ladder(spec, cache=cache, runs_dir=None, model=ScriptedModel(oracle))
    assert [r.rung for r in result.rungs] == ["zero_shot"]
    assert "set student" in result.skipped["lora"]

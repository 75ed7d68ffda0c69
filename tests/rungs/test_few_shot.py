"""Few-shot demonstrations: the shared default and the similar-example option."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shouldtune.cache import CallCache
from shouldtune.data import load_examples
from shouldtune.ladder import run_ladder
from shouldtune.results import RunResult
from shouldtune.spec import SequentialSpec, TaskSpec, spec_from_dict
from tests.fakes import ScriptedModel
from tests.rag.fakes import HashEmbedder

FAMILIES = {
    "bird": "feathers beak wings",
    "fish": "fins gills scales",
    "cat": "whiskers purr claws",
    "tree": "leaves bark roots",
    "car": "wheels engine brakes",
    "boat": "hull sail rudder",
}


def write_task(tmp_path: Path, selection: str, per_family: int = 10) -> TaskSpec:
    rows = [
        {"text": f"{words} specimen {family[0]}{i}", "kind": family}
        for family, words in FAMILIES.items()
        for i in range(per_family)
    ]
    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return spec_from_dict(
        {
            "data": str(data),
            "input": "text",
            "expected": "kind",
            "scorer": "exact",  # generated answers, so every demonstration shows in the prompt
            "few_shot": {"k": 3, "selection": selection},
            "rungs": ["few_shot"],
        }
    )


def copy_last_demonstration(prompt: str) -> str:
    """A model that answers like the demonstration right before the question."""
    return prompt.rsplit("Output:", 2)[-2].split("\n", 1)[0].strip()


def climb(spec: TaskSpec, cache: CallCache, tmp_path: Path) -> RunResult:
    return run_ladder(
        spec,
        cache=cache,
        runs_dir=tmp_path / "runs",
        model=ScriptedModel(copy_last_demonstration),
        embedder=HashEmbedder(),
    )


def predictions(result: RunResult) -> list[dict[str, object]]:
    path = Path(result.run_dir or "") / "predictions.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_similar_selection_puts_the_nearest_train_examples_last(
    tmp_path: Path, cache: CallCache
) -> None:
    result = climb(write_task(tmp_path, "similar"), cache, tmp_path)
    few = result.rungs[0]
    assert few.settings.extra("selection") == "similar"
    assert few.score.point == 1.0  # the nearest demonstration always shares the family
    train = set(result.split.train_ids)
    records = {r["id"]: r for r in _examples(tmp_path)}
    embedder = HashEmbedder()
    train_ids = sorted(train)
    train_vectors = embedder.embed([records[i]["text"] for i in train_ids])
    for prediction in predictions(result):
        ids = prediction["detail"]["demonstration_ids"]  # type: ignore[index]
        assert len(ids) == 3 and set(ids) <= train
        query = embedder.embed([str(prediction["input"])])[0]
        score = dict(zip(train_ids, (train_vectors @ query).tolist(), strict=True))
        best = sorted(score.values(), reverse=True)[:3]
        # The chosen are the three nearest (ties may pick either), the nearest one last.
        assert sorted((score[i] for i in ids), reverse=True) == pytest.approx(best)
        assert score[ids[-1]] == pytest.approx(best[0])
    assert set(few.settings.extra("demonstration_ids")) <= train


def test_default_selection_is_one_shared_set(tmp_path: Path, cache: CallCache) -> None:
    result = climb(write_task(tmp_path, "random"), cache, tmp_path)
    few = result.rungs[0]
    assert few.settings.extra("selection") == "random"
    assert len(few.settings.extra("demonstration_ids")) == 3
    assert all("demonstration_ids" not in p["detail"] for p in predictions(result))  # type: ignore[operator]
    assert few.score.point < 0.6  # one shared set cannot match every family


def _examples(tmp_path: Path) -> list[dict[str, str]]:
    """The task's examples with the ids the loader gives them."""
    spec = TaskSpec(data=tmp_path / "data.jsonl", input="text", expected="kind")
    return [{"id": e.id, "text": e.input} for e in load_examples(spec)]


def test_similar_selection_that_stops_early_keeps_each_answer_with_its_demonstrations(
    tmp_path: Path, cache: CallCache
) -> None:
    spec = write_task(tmp_path, "similar", per_family=30).model_copy(
        update={"sequential": SequentialSpec(enabled="on", batch=4)}
    )
    result = climb(spec, cache, tmp_path)
    (few,) = result.rungs
    assert few.settings.extra("sequential")["stopped_early"] is True
    assert few.n < result.split.n_test
    train = {e.id: e for e in load_examples(spec)}
    answered = predictions(result)
    assert len(answered) == few.n
    for prediction in answered:  # the nearest demonstration is of this input's family
        detail = prediction["detail"]
        assert isinstance(detail, dict)
        nearest = train[detail["demonstration_ids"][-1]]
        assert nearest.expected == prediction["expected"]


def curve_on(spec: TaskSpec) -> TaskSpec:
    """The spec with the few-shot learning curve switched on (it is off by default)."""
    return spec.model_copy(
        update={"few_shot": spec.few_shot.model_copy(update={"learning_curve": True})}
    )


def test_the_learning_curve_is_off_by_default(tmp_path: Path, cache: CallCache) -> None:
    spec = write_task(tmp_path, "similar").model_copy(update={"bar": 0.99})
    assert climb(spec, cache, tmp_path).rungs[0].settings.learning_curve is None


def test_the_learning_curve_scores_the_same_test_examples_with_smaller_pools(
    tmp_path: Path, cache: CallCache
) -> None:
    # A bar the rung's interval does not clear (every answer is right, on a few examples).
    spec = curve_on(write_task(tmp_path, "similar").model_copy(update={"bar": 0.99}))
    result = climb(spec, cache, tmp_path)
    (few,) = result.rungs
    curve = few.settings.learning_curve
    assert curve is not None and curve.rung == "few_shot"
    n_train = result.split.n_train
    assert [p.n_train for p in curve.points] == [round(n_train / 4), round(n_train / 2), n_train]
    assert curve.points[-1].score.point == few.score.point  # the rung's own result
    # The nearest demonstration shares the family even in a quarter of train: nothing to gain.
    assert curve.status == "flat" and curve.projections == []
    assert curve.reason is not None
    saved = RunResult.model_validate_json((Path(result.run_dir or "") / "results.json").read_text())
    assert saved.rungs[0].settings.learning_curve == curve


def test_a_rising_curve_comes_from_the_pool_not_the_test_split(
    tmp_path: Path, cache: CallCache
) -> None:
    # Right only when the nearest demonstration is of the same family and variant: a larger
    # pool holds that neighbour more often.
    rows = [
        {"text": f"{words} v{i % 6} specimen {family[0]}{i}", "kind": family}
        for family, words in FAMILIES.items()
        for i in range(24)
    ]
    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    spec = spec_from_dict(
        {
            "data": str(data),
            "input": "text",
            "expected": "kind",
            "scorer": "exact",
            "few_shot": {"k": 1, "selection": "similar", "learning_curve": True},
            "rungs": ["few_shot"],
            "bar": 0.99,  # not cleared: the curve is measured
        }
    )

    def same_variant(prompt: str) -> str:
        *_, demo, question = prompt.rsplit("Input:", 2)
        variant = question.split(" v", 1)[1][:1]
        return copy_last_demonstration(prompt) if f" v{variant} " in demo else "unknown"

    result = run_ladder(
        spec,
        cache=cache,
        runs_dir=tmp_path / "runs",
        model=ScriptedModel(same_variant),
        embedder=HashEmbedder(),
    )
    curve = result.rungs[0].settings.learning_curve
    assert curve is not None
    scores = [p.score.point for p in curve.points]
    assert scores[0] < scores[-1]


def test_the_learning_curve_is_resumed_from_the_cache_and_can_be_turned_off(
    tmp_path: Path, cache: CallCache
) -> None:
    asked: list[str] = []

    def counting(prompt: str) -> str:
        asked.append(prompt)
        return copy_last_demonstration(prompt)

    spec = curve_on(write_task(tmp_path, "random"))

    def run() -> RunResult:
        return run_ladder(
            spec,
            cache=cache,
            runs_dir=tmp_path / "runs",
            model=ScriptedModel(counting),
            embedder=HashEmbedder(),
        )

    first = run()
    n_test = first.split.n_test
    assert len(asked) > 2 * n_test  # the rung's test calls, and the curve's two pools
    before = len(asked)
    second = run()
    assert len(asked) == before  # the second run asked nothing: every point was cached
    assert second.rungs[0].settings.learning_curve == first.rungs[0].settings.learning_curve
    off = spec.model_copy(
        update={"few_shot": spec.few_shot.model_copy(update={"learning_curve": False})}
    )
    result = climb(off, cache, tmp_path)
    assert result.rungs[0].settings.learning_curve is None


def test_a_prompt_whose_interval_clears_the_bar_measures_no_curve(
    tmp_path: Path, cache: CallCache
) -> None:
    spec = curve_on(write_task(tmp_path, "similar", per_family=20).model_copy(update={"bar": 0.7}))
    result = climb(spec, cache, tmp_path)
    (few,) = result.rungs
    assert few.score.low >= 0.7
    assert few.settings.learning_curve is None

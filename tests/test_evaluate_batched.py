"""Generation in batches: the evaluator hands a batching backend several examples at once,
and the run's answers, scores, fresh/cached counts and resume are those of one at a time."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shouldtune.cache import CallCache
from shouldtune.ladder import run_ladder
from shouldtune.models.base import Generation, Prompt
from tests.fakes import ScriptedModel
from tests.test_ladder import oracle, write_task


class BatchingModel(ScriptedModel):
    """A scripted model that says it decodes `size` answers together, and records batches."""

    def __init__(self, size: int, *, scores_labels: bool = False) -> None:
        super().__init__(oracle)
        self.size = size
        self.labels_scored = scores_labels
        self.batches: list[int] = []
        self.single = 0

    @property
    def scores_labels(self) -> bool:
        return self.labels_scored

    @property
    def batch_generation(self) -> int:
        return self.size

    def generate(self, prompt: Prompt, **params: Any) -> Generation:
        self.single += 1
        return super().generate(prompt, **params)

    def generate_batch(
        self,
        prompts: Sequence[Prompt],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        seeds: Sequence[int] | None = None,
    ) -> list[Generation]:
        self.batches.append(len(prompts))
        seeds = list(seeds or [0] * len(prompts))
        return [
            super(BatchingModel, self).generate(
                p, max_tokens=max_tokens, temperature=temperature, seed=s
            )
            for p, s in zip(prompts, seeds, strict=True)
        ]


def _predictions(run_dir: str | None) -> list[dict[str, Any]]:
    lines = (Path(run_dir or "") / "predictions.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_a_batching_backend_gets_the_test_split_in_batches(tmp_path: Path) -> None:
    spec = write_task(tmp_path).model_copy(update={"rungs": ["zero_shot"], "calibrate": "off"})
    one = run_ladder(
        spec, cache=CallCache(tmp_path / "c1"), runs_dir=tmp_path / "r1", model=BatchingModel(1)
    )
    model = BatchingModel(4)
    many = run_ladder(spec, cache=CallCache(tmp_path / "c2"), runs_dir=tmp_path / "r2", model=model)
    n = many.rungs[0].n
    assert model.batches and max(model.batches) == 4 and sum(model.batches) == n
    assert model.single == 0  # every test answer came from a batch
    # The same answers, scores and order as one at a time; every call counted as fresh.
    strip = ("latency_s", "cached")
    a = [{k: v for k, v in p.items() if k not in strip} for p in _predictions(one.run_dir)]
    b = [{k: v for k, v in p.items() if k not in strip} for p in _predictions(many.run_dir)]
    assert a == b
    assert many.rungs[0].computed_calls == n and many.rungs[0].cached_calls == 0
    # Run again on the same cache: everything is answered from it, no batch is asked.
    again_model = BatchingModel(4)
    again = run_ladder(spec, cache=CallCache(tmp_path / "c2"), runs_dir=None, model=again_model)
    assert again_model.batches == [] and again_model.single == 0
    assert again.rungs[0].cached_calls == n


def test_label_scoring_is_never_batched_as_generation(tmp_path: Path, cache: CallCache) -> None:
    spec = write_task(tmp_path).model_copy(update={"rungs": ["zero_shot"]})
    model = BatchingModel(4, scores_labels=True)
    run_ladder(spec, cache=cache, runs_dir=None, model=model)
    assert model.batches == []


def test_the_prompt_search_asks_its_validation_answers_in_batches(tmp_path: Path) -> None:
    spec = write_task(tmp_path).model_copy(
        update={"rungs": ["zero_shot", "few_shot", "prompt_search"], "all_rungs": True}
    )
    spec = spec.model_copy(update={"scorer": "exact", "labels": None})
    model = BatchingModel(4)
    result = run_ladder(spec, cache=CallCache(tmp_path / "c"), runs_dir=None, model=model)
    assert "prompt_search" in [r.rung for r in result.rungs]
    assert max(model.batches) == 4
    assert model.single == 0  # no answer of any rung, search included, was asked alone

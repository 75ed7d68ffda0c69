"""The evaluator's threads, error rows and label fallback, with scripted models."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shouldtune.cache import CallCache
from shouldtune.ladder import prepare, run_ladder
from shouldtune.models.base import CallFailed, Generation, LogLik, Prompt
from shouldtune.rung_settings import ModelUsed
from tests.fakes import ScriptedModel, last_input, present
from tests.test_ladder import oracle, write_task


class FlakyParallelModel:
    """A scripted model served "over HTTP": concurrent, slow in random order, some calls fail.

    `fail` holds inputs whose calls fail; `scores_labels=False` plays a server without logprobs.
    """

    def __init__(self, *, concurrency: int, fail: set[str], scores_labels: bool = True) -> None:
        self.inner = ScriptedModel(oracle, name="flaky")
        self.max_concurrency = concurrency
        self.fail = fail
        self.scores_labels = scores_labels
        self.in_flight = 0
        self.most_in_flight = 0
        self.rng = random.Random(0)
        self.lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _enter(self, prompt: str) -> None:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            pause = self.rng.uniform(0.0, 0.01)
        time.sleep(pause)  # finish out of order
        with self.lock:
            self.in_flight -= 1
        if last_input(prompt) in self.fail:
            raise CallFailed("HTTP 500: internal error (gave up after 3 attempts)")

    def generate(self, prompt: Prompt, **params: Any) -> Generation:
        self._enter(prompt.text)
        return self.inner.generate(prompt, **params)

    def loglik(
        self, prompt: Prompt, continuations: Sequence[str], *, top_only: bool = False
    ) -> list[LogLik] | None:
        self._enter(prompt.text)
        if not self.scores_labels:
            return None
        return self.inner.loglik(prompt, continuations, top_only=top_only)


def test_parallel_predictions_keep_order_and_error_rows_are_not_cached(
    tmp_path: Path, cache: CallCache
) -> None:
    spec = write_task(tmp_path).model_copy(update={"rungs": ["zero_shot"]})
    failing = prepare(spec, ScriptedModel(oracle)).split.test[2].input
    model = FlakyParallelModel(concurrency=4, fail={failing})
    result = run_ladder(spec, cache=cache, runs_dir=tmp_path / "runs", model=model)
    assert model.most_in_flight > 1
    rung = result.rungs[0]
    lines = (Path(result.run_dir or "") / "predictions.jsonl").read_text().splitlines()
    preds = [json.loads(line) for line in lines]
    # In the test split's order, whatever order the threads finished in.
    assert [p["example_id"] for p in preds] == result.split.test_ids
    errors = [p for p in preds if p["method"] == "error"]
    assert [e["input"] for e in errors] == [failing]
    assert errors[0]["score"] == 0.0 and "HTTP 500" in errors[0]["detail"]["error"]
    assert any("error rows" in note for note in rung.notes)
    assert rung.settings.methods == ["error", "loglik"]
    assert present(rung.settings.usage).requests == rung.n - 1
    # A second run answers everything but the failed call from the cache, and retries it.
    model.fail = set()
    again = run_ladder(spec, cache=cache, runs_dir=None, model=model)
    assert again.rungs[0].computed_calls == 1
    assert again.rungs[0].score.point == 1.0
    assert present(again.rungs[0].settings.usage).requests == rung.n


def test_no_logprobs_means_generate_and_parse_into_a_label(
    tmp_path: Path, cache: CallCache
) -> None:
    spec = write_task(tmp_path).model_copy(update={"rungs": ["zero_shot"]})
    model = FlakyParallelModel(concurrency=2, fail=set(), scores_labels=False)
    result = run_ladder(spec, cache=cache, runs_dir=None, model=model)
    assert result.rungs[0].settings.methods == ["constrained"]
    assert result.rungs[0].score.point == 1.0


def test_usage_and_model_are_recorded_per_rung(tmp_path: Path, cache: CallCache) -> None:
    spec = write_task(tmp_path)
    result = run_ladder(spec, cache=cache, runs_dir=None, model=ScriptedModel(oracle))
    for rung in result.rungs:
        usage = present(rung.settings.usage)
        assert usage.requests == rung.n and present(usage.prompt_tokens) > 0
        assert rung.settings.model == ModelUsed(name="scripted", backend="mock")
        assert rung.settings.cost_usd is None  # no API, no price: no cost claimed

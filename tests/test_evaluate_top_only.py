"""Predictions ask only for the winning label; calibration and sampling ask for all."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shouldtune.cache import CallCache
from shouldtune.ladder import run_ladder
from shouldtune.models.base import LogLik, Prompt
from tests.fakes import ScriptedModel
from tests.test_ladder import oracle, write_task


class PruningModel:
    """Scores as the scripted model does; with `top_only`, the losers get bounds only."""

    def __init__(self) -> None:
        self.inner = ScriptedModel(oracle, name="pruning")
        self.asked: list[bool] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def loglik(
        self, prompt: Prompt, continuations: Sequence[str], *, top_only: bool = False
    ) -> list[LogLik]:
        self.asked.append(top_only)
        scores = self.inner.loglik(prompt, continuations)
        if not top_only:
            return scores
        best = max(s.logprob for s in scores)
        return [
            s if s.logprob == best else LogLik(s.logprob + 0.5, s.n_tokens, exact=False)
            for s in scores
        ]


def test_uncalibrated_predictions_ask_for_the_winner_only(tmp_path: Path, cache: CallCache) -> None:
    spec = write_task(tmp_path).model_copy(update={"rungs": ["zero_shot"], "calibrate": "off"})
    model = PruningModel()
    result = run_ladder(spec, cache=cache, runs_dir=tmp_path / "runs", model=model)
    assert model.asked and all(model.asked)
    assert result.rungs[0].score.point == 1.0
    lines = (Path(result.run_dir or "") / "predictions.jsonl").read_text().splitlines()
    details = [json.loads(line)["detail"] for line in lines]
    assert all(d["pruned"] > 0 for d in details)
    # The top list names only labels that were scored exactly: here, the winner.
    assert all(len(d["top"]) == 1 for d in details)


def test_calibration_asks_for_every_label_and_full_records_serve_later_predictions(
    tmp_path: Path, cache: CallCache
) -> None:
    spec = write_task(tmp_path).model_copy(update={"rungs": ["zero_shot"], "calibrate": "on"})
    model = PruningModel()
    run_ladder(spec, cache=cache, runs_dir=None, model=model)
    assert model.asked and not any(model.asked)
    # The same prompts uncalibrated: every full record answers a top-only request.
    again = PruningModel()
    plain = spec.model_copy(update={"calibrate": "off"})
    result = run_ladder(plain, cache=cache, runs_dir=None, model=again)
    assert again.asked == [] and result.rungs[0].computed_calls == 0

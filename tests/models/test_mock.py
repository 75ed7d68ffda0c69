"""`model: mock`: a dry run of the whole pipeline without weights, through the registry."""

from __future__ import annotations

from pathlib import Path

import pytest

import shouldtune
from shouldtune.cache import CallCache
from shouldtune.models.base import Message, ModelError, prompt_for
from shouldtune.models.mock import MockModel
from shouldtune.models.registry import load_model, resolve
from tests.test_ladder import write_task


def test_mock_is_a_model_reference_like_any_other(cache: CallCache) -> None:
    model = load_model("mock", cache, context_length=512)
    assert isinstance(model, MockModel)
    assert (model.info.backend, model.info.context_length) == ("mock", 512)
    prompt = prompt_for(model, [Message("system", "Label it."), Message("user", "a b c")])
    assert model.generate(prompt, max_tokens=8).text == "a b c"  # the echo
    assert model.max_concurrency == 1 and model.usage_source == "tokenizer"
    assert model.call_stats() == {} and model.adaptations() == []


def test_a_dry_run_climbs_and_writes_every_report(tmp_path: Path) -> None:
    spec = write_task(tmp_path).model_copy(update={"model": "mock"})
    result = shouldtune.run(spec, cache_dir=tmp_path / "cache", runs_dir=tmp_path / "runs")
    assert [r.rung for r in result.rungs] == ["zero_shot", "few_shot"]
    assert result.model.backend == "mock"
    assert (Path(result.run_dir or "") / "report.html").is_file()


def test_mock_cannot_be_fine_tuned(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not fine-tuned"):
        resolve("mock", tmp_path)

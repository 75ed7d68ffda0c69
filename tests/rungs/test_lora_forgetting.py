"""The lora rung keeps forgetting figures per probe: another probe size is measured anew."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shouldtune.analysis import forgetting as forgetting_module
from shouldtune.analysis.forgetting import probe_figures
from shouldtune.analysis.general_probe import probe_items
from shouldtune.rungs import lora
from shouldtune.training import student as student_module
from tests.fakes import ScriptedModel


def test_forgetting_is_cached_per_probe_size_and_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[int, int]] = []

    def fake_measure(model: Any, tokenizer: Any, render: Any, *, probe_n: int, seed: int) -> Any:
        asked.append((probe_n, seed))
        items = probe_items(probe_n, seed)
        passed = [True] * len(items)
        return probe_figures(
            items, passed, passed, kl_mean=0.0, ppl_base=2.0, ppl_tuned=2.0, n_general_tokens=1
        )

    monkeypatch.setattr(forgetting_module, "measure", fake_measure)
    monkeypatch.setattr(student_module, "load_peft", lambda folder, adapter: (None, None))
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    tuned = ScriptedModel(lambda prompt: "")
    first = lora._forgetting(tmp_path, adapter, tuned, 20, 0)
    assert first["n_probe"] == 20 and "paired" in first["summary"]
    assert lora._forgetting(tmp_path, adapter, tuned, 20, 0) == first
    lora._forgetting(tmp_path, adapter, tuned, 30, 0)
    lora._forgetting(tmp_path, adapter, tuned, 20, 1)
    assert asked == [(20, 0), (30, 0), (20, 1)]

"""Two runs dequantizing the same student at once: one loads and saves, the other reuses it."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from shouldtune.models.dequantize import dequantized_dir


class _Saved:
    def __init__(self, name: str) -> None:
        self.name = name
        self.config = type("Config", (), {})()
        self.hf_quantizer = object()

    def save_pretrained(self, folder: str | Path) -> None:
        Path(folder).mkdir(parents=True, exist_ok=True)
        time.sleep(0.3)  # long enough for the other run to arrive mid-save
        (Path(folder) / f"{self.name}.json").write_text("{}")


def test_one_run_dequantizes_the_other_waits_and_reuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[Path] = []

    def load_hf(path: Path) -> tuple[Any, Any]:
        loads.append(path)
        return _Saved("config"), _Saved("tokenizer")

    monkeypatch.setattr("shouldtune.models.hf.load_hf", load_hf)
    stale = tmp_path / "students" / ("d" * 24 + ".tmp-4242")  # a killed run's leftover
    stale.mkdir(parents=True)
    found: list[Path] = []
    runs = [
        threading.Thread(
            target=lambda: found.append(dequantized_dir(tmp_path / "s.gguf", "d" * 64, tmp_path))
        )
        for _ in range(2)
    ]
    for run in runs:
        run.start()
        time.sleep(0.1)
    for run in runs:
        run.join()
    assert len(loads) == 1
    assert found[0] == found[1] == tmp_path / "students" / ("d" * 24)
    assert sorted(p.name for p in found[0].iterdir()) == ["config.json", "tokenizer.json"]
    assert not stale.exists()
    assert [p.name for p in (tmp_path / "students").iterdir() if "tmp" in p.name] == []

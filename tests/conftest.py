"""Shared fixtures. User state (cache, runs) always lives in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shouldtune.cache import CallCache

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOULDTUNE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[CallCache]:
    store = CallCache(tmp_path / "cache")
    yield store
    store.close()


@pytest.fixture(scope="session")
def smollm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The embedded default model, loaded once per test session (llama.cpp)."""
    from shouldtune.models.registry import load_model

    store = CallCache(tmp_path_factory.mktemp("model-cache"))
    model = load_model("smollm2-135m", store, context_length=2048)
    yield model
    model.close()
    store.close()

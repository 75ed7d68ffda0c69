"""Shared fixtures. User state (cache, runs) always lives in tmp_path."""

from __future__ import annotations

import os

# Idle OpenMP threads (llama.cpp's and torch's runtimes both live in the test process)
# otherwise spin and steal the other runtime's cores; must be set before either loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

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


SHARED_MODEL_CACHE = ROOT / ".pytest-artifacts" / "model-cache"


@pytest.fixture(scope="session")
def model_cache() -> Iterator[CallCache]:
    """Model files derived from the embedded model (requantized GGUF, dequantized student).

    They are keyed by content hash and slow to make, so test modules share them; model
    calls in tests never go through this cache.
    """
    store = CallCache(SHARED_MODEL_CACHE)
    yield store
    store.close()


@pytest.fixture(scope="session")
def smollm(model_cache: CallCache) -> Iterator[object]:
    """The embedded default model, loaded once per test session (llama.cpp)."""
    from shouldtune.models.registry import load_model

    store = model_cache
    model = load_model("smollm2-135m", store, context_length=2048)
    yield model
    model.close()

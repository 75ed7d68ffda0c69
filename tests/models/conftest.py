"""A llama-cpp-python OpenAI-compatible server on loopback, shared by the HTTP tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shouldtune.cache import CallCache
from tests.models.servers import LlamaServer, start_llama_server


@pytest.fixture(scope="session")
def llama_server(
    model_cache: CallCache, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LlamaServer]:
    from shouldtune.models.registry import builtin_path

    gguf: Path = builtin_path("smollm2-135m", model_cache.root)
    server = start_llama_server(gguf, tmp_path_factory.mktemp("llama-server") / "server.log")
    yield server
    server.stop()

"""Parsing OpenAI-compatible model references."""

from __future__ import annotations

import pytest

from shouldtune.models.remote import RemoteRefError, is_remote, parse_remote


def test_three_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    ref = parse_remote("openai:gpt-4o-mini")
    assert (ref.provider, ref.base_url, ref.model) == (
        "openai",
        "https://api.openai.com/v1",
        "gpt-4o-mini",
    )
    assert ref.default_key_env == "OPENAI_API_KEY"
    ref = parse_remote("ollama:llama3.2:1b")
    assert (ref.base_url, ref.model) == ("http://127.0.0.1:11434/v1", "llama3.2:1b")
    assert ref.default_key_env is None  # a local server never gets the OpenAI key unasked
    ref = parse_remote("http://127.0.0.1:8080/v1:org/model:q4")
    assert (ref.base_url, ref.model) == ("http://127.0.0.1:8080/v1", "org/model:q4")


def test_local_references_are_not_remote() -> None:
    assert not is_remote("smollm2-135m")
    assert not is_remote("models/x.gguf")
    assert not is_remote("hf:smollm2-135m")
    assert is_remote("https://example.invalid/v1:m")


@pytest.mark.parametrize(
    "reference",
    ["http://127.0.0.1:8080/v1", "http://127.0.0.1:8080", "openai:", "http://h/v1:  "],
)
def test_incomplete_references_are_refused(reference: str) -> None:
    with pytest.raises(RemoteRefError):
        parse_remote(reference)


def test_credentials_in_the_url_are_refused_without_echoing_them() -> None:
    with pytest.raises(RemoteRefError) as info:
        parse_remote("http://user:sk-secret@127.0.0.1:8080/v1:m")
    assert "sk-secret" not in str(info.value)

"""Where an API key may go: https or this machine, plain http elsewhere only when asked."""

from __future__ import annotations

import pytest

from shouldtune.models.base import ModelError
from shouldtune.models.openai_compat import OpenAICompatModel
from shouldtune.models.remote import is_loopback, looks_like_api_key, parse_remote
from shouldtune.spec import ApiSpec

KEY_ENV = "SHOULDTUNE_TEST_API_KEY"


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "sk-secret")


def load(reference: str, **api: object) -> OpenAICompatModel:
    return OpenAICompatModel(parse_remote(reference), ApiSpec(api_key_env=KEY_ENV, **api))


@pytest.mark.parametrize(
    "reference",
    [
        "https://api.example.com/v1:m",
        "http://127.0.0.1:8080/v1:m",
        "http://127.3.4.5:8080/v1:m",
        "http://localhost:8080/v1:m",
        "http://[::1]:8080/v1:m",
    ],
)
def test_a_key_goes_to_https_or_loopback(reference: str) -> None:
    load(reference).close()


@pytest.mark.parametrize(
    "reference",
    [
        "http://10.0.0.7:8000/v1:m",
        "http://models.example.com/v1:m",
        "http://localhost.example.com/v1:m",
        "http://127.0.0.1.example.com/v1:m",
    ],
)
def test_a_key_is_not_sent_over_plain_http_elsewhere(reference: str) -> None:
    with pytest.raises(ModelError, match=r"plain http .*--allow-insecure-key") as refused:
        load(reference)
    assert "sk-secret" not in str(refused.value)


def test_plain_http_elsewhere_when_the_user_opts_in() -> None:
    load("http://10.0.0.7:8000/v1:m", allow_insecure_key=True).close()


def test_no_key_no_objection() -> None:
    OpenAICompatModel(parse_remote("http://10.0.0.7:8000/v1:m"), ApiSpec()).close()


def test_openai_key_not_sent_to_a_plain_http_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://user:pw@proxy.example.com/v1")
    with pytest.raises(ModelError, match=r"\$OPENAI_API_KEY would go over plain http") as refused:
        OpenAICompatModel(parse_remote("openai:gpt-4o-mini"), ApiSpec())
    assert "pw" not in str(refused.value)


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("OPENAI_API_KEY", True),
        ("together_api_key", True),
        ("AWS_SECRET_ACCESS_KEY", False),
        ("GITHUB_TOKEN", False),
        ("HOME", False),
        ("_API_KEY", False),
        ("X_API_KEY_OLD", False),
    ],
)
def test_names_that_look_like_api_keys(name: str, ok: bool) -> None:
    assert looks_like_api_key(name) is ok


def test_loopback_hosts() -> None:
    assert is_loopback("http://127.0.0.1/v1")
    assert not is_loopback("http://128.0.0.1/v1")
    assert not is_loopback("http://[::1")  # malformed: not loopback, no exception

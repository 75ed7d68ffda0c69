"""Model references that name a model served over HTTP (an OpenAI-compatible API).

Three spellings: `openai:gpt-4o-mini` (the OpenAI API), `ollama:NAME` (a local Ollama), and
`http://HOST:PORT/v1:MODEL` (any OpenAI-compatible server: vLLM, llama.cpp, LM Studio...).
Parsing imports nothing heavy, so the spec can tell a remote reference from a local one.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Literal

Provider = Literal["openai", "ollama", "http"]

OPENAI_BASE_URL = "https://api.openai.com/v1"
OLLAMA_BASE_URL = "http://127.0.0.1:11434/v1"


_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")


def redact_url_credentials(text: str) -> str:
    """Text with every 'scheme://user:secret@' written as 'scheme://***@'."""
    return _USERINFO.sub(r"\1***@", text)


# A variable a spec file may name for the key unconfirmed: NAME_API_KEY. Not *_TOKEN or
# *_KEY: GITHUB_TOKEN and AWS_SECRET_ACCESS_KEY are secrets no model server should see.
_API_KEY_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*_API_KEY", re.IGNORECASE)
_LOOPBACK = {"localhost", "::1", "[::1]"}


def looks_like_api_key(name: str) -> bool:
    return _API_KEY_NAME.fullmatch(name) is not None


def is_loopback(url: str) -> bool:
    """Whether the URL's host is this machine (localhost, 127.0.0.0/8, ::1)."""
    from urllib.parse import urlsplit

    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    if host in _LOOPBACK:
        return True
    parts = host.split(".")
    return len(parts) == 4 and parts[0] == "127" and all(p.isdigit() for p in parts)


def insecure_key_error(url: str, key_env: str) -> str | None:
    """Why the key in $key_env must not go to `url`, or None when it may (https, loopback)."""
    if url.lower().startswith("https://") or is_loopback(url):
        return None
    return (
        f"the API key in ${key_env} would go over plain http to {redact_url_credentials(url)}, "
        "readable on the way: use https, or pass --allow-insecure-key to send it anyway"
    )


class RemoteRefError(ValueError):
    """A reference that looks remote but cannot be used; the message says why."""


@dataclass(frozen=True)
class RemoteRef:
    """`base_url` is safe to show and record: credentials an environment variable put in the
    URL are kept apart in `auth_url`, the URL the client connects to."""

    provider: Provider
    base_url: str
    model: str
    auth_url: str | None = None

    @property
    def connect_url(self) -> str:
        return self.auth_url or self.base_url

    @property
    def default_key_env(self) -> str | None:
        # Only the OpenAI API gets OPENAI_API_KEY unasked: sending a user's OpenAI key to
        # whatever server a URL names would leak it. Other servers need `api.api_key_env`.
        return "OPENAI_API_KEY" if self.provider == "openai" else None


def is_remote(reference: str) -> bool:
    return reference.startswith(("openai:", "ollama:", "http://", "https://"))


def parse_remote(reference: str) -> RemoteRef:
    if reference.startswith("openai:"):
        base = (os.environ.get("OPENAI_BASE_URL") or OPENAI_BASE_URL).rstrip("/")
        return _ref("openai", base, _model(reference, reference[7:]))
    if reference.startswith("ollama:"):
        host = os.environ.get("OLLAMA_HOST")
        base = f"{_with_scheme(host).rstrip('/')}/v1" if host else OLLAMA_BASE_URL
        return _ref("ollama", base, _model(reference, reference[7:]))
    if reference.startswith(("http://", "https://")):
        scheme, _, rest = reference.partition("://")
        host, slash, path = rest.partition("/")
        if "@" in host:
            raise RemoteRefError(
                f"model {_redacted(reference)!r}: credentials do not belong in the URL; "
                "put the key in an environment variable and name it in api.api_key_env"
            )
        # The model name follows the first ':' of the path ("/v1:MODEL"); names may hold
        # ':' and '/' themselves (llama3:8b, org/model).
        route, colon, model = path.partition(":")
        if not slash or not colon:
            raise RemoteRefError(
                f"model {reference!r}: expected BASE_URL:MODEL with a path, "
                "e.g. http://127.0.0.1:8080/v1:my-model"
            )
        base = f"{scheme}://{host}/{route}".rstrip("/")
        return RemoteRef("http", base, _model(reference, model))
    raise RemoteRefError(f"model {reference!r} is not an OpenAI-compatible reference")


def _ref(provider: Provider, url: str, model: str) -> RemoteRef:
    shown = redact_url_credentials(url)
    return RemoteRef(provider, shown, model, None if shown == url else url)


def _model(reference: str, name: str) -> str:
    if not name.strip():
        raise RemoteRefError(f"model {reference!r}: the model name is missing")
    return name.strip()


def _with_scheme(host: str) -> str:
    return host if "://" in host else f"http://{host}"


def _redacted(reference: str) -> str:
    scheme, _, rest = reference.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme}://***@{host.rpartition('@')[2]}{slash}{path}"

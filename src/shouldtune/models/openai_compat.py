"""Any OpenAI-compatible chat server (OpenAI, vLLM, Ollama, llama.cpp's server) as a Model.

A chat server wants messages, and the Model protocol passes them: `generate` and `loglik`
send `Prompt.messages`; the server applies the model's chat template. `render` returns a
canonical JSON serialization of the messages, used only as the exact cache key (same
messages, same text; unchanged, so earlier cached calls still hit) and for token estimates.
Label scoring uses the server's top token logprobs when it offers them (an estimate, recorded
as "logprobs"); when it does not, `loglik` returns None and the evaluator generates an answer
and parses it into a label ("constrained").

The API key is read from the environment when the model is loaded and kept only in the
client: it is not part of ModelInfo (cache key, manifest, reports), and error messages are
scrubbed of it before they are raised.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
from collections.abc import Sequence
from typing import Any, Literal

from shouldtune.models.base import (
    CallFailed,
    Generation,
    LogLik,
    Message,
    ModelError,
    ModelInfo,
    Prompt,
    UsageSource,
    generate_each,
)
from shouldtune.models.label_logprobs import Step, label_scores
from shouldtune.models.remote import RemoteRef, insecure_key_error, redact_url_credentials
from shouldtune.models.retry import Backoff, RetriesExhausted, Transient, parse_retry_after
from shouldtune.spec import ApiSpec

logger = logging.getLogger(__name__)

_PREFIX = "openai-chat:"  # the rendered text's prefix: cache keys of served models keep it
_TOP_LOGPROBS = 20  # the most the OpenAI API lists per token
_DEFAULT_CONTEXT = 4096
_FATAL = {401: "the API key was refused", 403: "access denied", 404: "not found"}


class _NoLogprobs(Exception):
    """The server refused the logprobs parameters (400 naming them)."""


class _Unsupported(Exception):
    """The server refused a parameter this model does not take (400 naming it)."""

    def __init__(self, parameter: str) -> None:
        self.parameter = parameter


# Reasoning models (OpenAI's o-series and their kin) refuse `max_tokens` and any temperature
# but their default, and say so in a 400 that names the parameter.
_REFUSED = re.compile(r"unsupported (?:parameter|value): '(max_tokens|temperature)'", re.I)


class OpenAICompatModel:
    """A model behind an OpenAI-compatible API; implements `shouldtune.models.base.Model`."""

    def __init__(
        self,
        ref: RemoteRef,
        options: ApiSpec,
        *,
        context_length: int | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        from openai import OpenAI

        key_env = options.api_key_env or ref.default_key_env
        key = os.environ.get(key_env, "") if key_env else ""
        if key_env and not options.allow_insecure_key:
            refused = insecure_key_error(ref.connect_url, key_env)
            if refused is not None:
                raise ModelError(f"model {ref.model!r}: {refused}")
        if key_env and not key:
            raise ModelError(f"model {ref.model!r}: set the API key in ${key_env}")
        self._key = key
        self._ref = ref
        self._options = options
        # The client's own retries are off: ours honour Retry-After and count every fault.
        self._client = OpenAI(
            api_key=key or "unused",
            base_url=ref.connect_url,
            timeout=options.timeout_s,
            max_retries=0,
        )
        self.backoff = backoff or Backoff(max_retries=options.max_retries)
        self._logprobs: bool | None = None if options.logprobs else False
        # Learnt from the server's 400s: a reasoning model's names and limits.
        self._completion_tokens = False
        self._default_temperature = False
        self._lock = threading.Lock()
        self._reached = False  # whether the server has answered once (see _unreachable)
        self.failed_calls = 0
        # The cache key's model identity: server and model name (no weights to hash). A
        # provider can change the model behind a name; a new name or cache folder re-asks.
        identity = f"openai-compatible\n{ref.base_url}\n{ref.model}"
        self._info = ModelInfo(
            name=ref.model,
            backend="openai",
            path=ref.base_url,
            file_sha256=hashlib.sha256(identity.encode()).hexdigest(),
            context_length=context_length or _DEFAULT_CONTEXT,
            chat_template=True,
        )

    @property
    def info(self) -> ModelInfo:
        return self._info

    @property
    def max_concurrency(self) -> int:
        """Requests the evaluator may keep in flight (api.concurrency)."""
        return self._options.concurrency

    @property
    def scores_labels(self) -> bool:
        """False once the server is known to give no logprobs: the evaluator then parses."""
        return self._logprobs is not False

    @property
    def usage_source(self) -> UsageSource:
        """The server's usage figures: what the provider bills (api.price_* apply)."""
        return "server"

    def call_stats(self) -> dict[str, int]:
        """Retries and failed calls so far (the evaluator reports them per rung)."""
        return {"retries": self.backoff.retries, "failed_calls": self.failed_calls}

    def adaptations(self) -> list[str]:
        """What the server made this backend change (a reasoning model's), for the reports."""
        changes = []
        if self._completion_tokens:
            changes.append(
                f"max_completion_tokens (answer budget + {self._options.reasoning_tokens} "
                "for hidden reasoning)"
            )
        if self._default_temperature:
            changes.append("the model's default temperature: answers are sampled, not greedy")
        return changes

    @property
    def batch_generation(self) -> int:
        # A server batches requests itself; the evaluator sends them concurrently instead.
        return 1

    def generate_batch(
        self,
        prompts: Sequence[Prompt],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        seeds: Sequence[int] | None = None,
    ) -> list[Generation]:
        return generate_each(
            self, prompts, max_tokens=max_tokens, temperature=temperature, seeds=seeds
        )

    # -- Model protocol -------------------------------------------------------------

    def render(self, messages: Sequence[Message]) -> str:
        pairs = [[m.role, m.content] for m in messages]
        return _PREFIX + json.dumps(pairs, ensure_ascii=False, separators=(",", ":"))

    def answer_suffix(self, messages: Sequence[Message], answer: str) -> str:
        # The server owns the chat template; a continuation is just the answer text.
        return answer

    def stop_strings(self) -> list[str]:
        return []

    def count_tokens(self, text: str) -> int:
        # No tokenizer over HTTP. One token per 3 bytes over-counts English (about 4
        # characters a token), so prompts are trimmed to fit rather than refused by the server.
        return max(1, (len(text.encode("utf-8")) + 2) // 3)

    def generate(
        self, prompt: Prompt, *, max_tokens: int, temperature: float = 0.0, seed: int = 0
    ) -> Generation:
        response = self._request(
            messages=_chat(prompt), max_tokens=max_tokens, temperature=temperature, seed=seed
        )
        choice = response.choices[0]
        text = str(choice.message.content or "")
        prompt_tokens, completion_tokens = self._usage(response, prompt, text)
        finish: Literal["stop", "length"] = "length" if choice.finish_reason == "length" else "stop"
        return Generation(text.strip(), prompt_tokens, completion_tokens, finish)

    def loglik(
        self, prompt: Prompt, continuations: Sequence[str], *, top_only: bool = False
    ) -> list[LogLik] | None:
        del top_only  # one request reads every label's estimate at once
        if self._logprobs is False or not continuations:
            return None
        longest = max(len(c) for c in continuations)
        try:
            response = self._request(
                messages=_chat(prompt),
                max_tokens=min(32, max(4, longest // 2 + 3)),
                temperature=0.0,
                seed=0,
                logprobs=True,
                top_logprobs=_TOP_LOGPROBS,
            )
        except _NoLogprobs:
            self._logprobs = False
            return None
        choice = response.choices[0]
        content = choice.logprobs.content if choice.logprobs is not None else None
        if not content:
            self._logprobs = False  # the server ignores the parameters: stop asking
            return None
        self._logprobs = True
        steps = [
            Step(
                item.token,
                float(item.logprob),
                {
                    **{alt.token: float(alt.logprob) for alt in (item.top_logprobs or [])},
                    item.token: float(item.logprob),
                },
            )
            for item in content
        ]
        prompt_tokens, completion_tokens = self._usage(response, prompt, choice.message.content)
        return [
            LogLik(score, len(steps), "logprobs", prompt_tokens, completion_tokens)
            for score in label_scores(steps, continuations)
        ]

    def close(self) -> None:
        self._client.close()

    # -- internals ------------------------------------------------------------------

    def _request(self, **params: Any) -> Any:
        for _ in range(3):  # each refused parameter is adapted once, then asked again
            try:
                return self._send(self._adapted(params))
            except _Unsupported as refused:
                if refused.parameter == "max_tokens" and not self._completion_tokens:
                    self._completion_tokens = True
                elif refused.parameter == "temperature" and not self._default_temperature:
                    self._default_temperature = True
                    logger.warning(
                        "model %r refuses temperature 0: it answers at its default (sampled), "
                        "so its scores carry sampling noise",
                        self._ref.model,
                    )
                else:
                    break
        with self._lock:
            self.failed_calls += 1
        raise CallFailed("HTTP 400: the server kept refusing the request's parameters")

    def _adapted(self, params: dict[str, Any]) -> dict[str, Any]:
        adapted = dict(params)
        if self._completion_tokens and "max_tokens" in adapted:
            # Hidden reasoning counts against this limit: leave room for it.
            budget = adapted.pop("max_tokens") + self._options.reasoning_tokens
            adapted["max_completion_tokens"] = budget
        if self._default_temperature:
            adapted.pop("temperature", None)
            adapted.pop("seed", None)
        return adapted

    def _send(self, params: dict[str, Any]) -> Any:
        import openai

        def attempt() -> Any:
            try:
                response = self._client.chat.completions.create(model=self._ref.model, **params)
            except openai.APIConnectionError as error:  # timeouts and dropped connections
                if not self._reached and not isinstance(error, openai.APITimeoutError):
                    # Never reached: no server, a wrong port or host. Retrying cannot help.
                    raise ModelError(self._unreachable(error)) from None
                raise Transient(f"{type(error).__name__}: {self._scrub(str(error))}") from None
            except openai.APIStatusError as error:
                self._reached = True  # it answered, if with an error: later refusals are faults
                status = error.status_code
                message = self._scrub(str(error.message))
                if status in _FATAL:
                    raise ModelError(
                        f"model {self._ref.model!r} at {self._ref.base_url}: HTTP {status}, "
                        f"{_FATAL[status]}: {message}"
                    ) from None
                if status in (408, 409, 429) or status >= 500:
                    retry_after = parse_retry_after(dict(error.response.headers))
                    raise Transient(f"HTTP {status}: {message}", retry_after) from None
                if status == 400 and "logprob" in message.lower() and "logprobs" in params:
                    raise _NoLogprobs() from None
                refused = _REFUSED.search(message) if status == 400 else None
                if refused is not None:
                    raise _Unsupported(refused.group(1).lower()) from None
                raise CallFailed(f"HTTP {status}: {message}") from None
            except openai.OpenAIError as error:  # a malformed response, for one
                raise CallFailed(f"{type(error).__name__}: {self._scrub(str(error))}") from None
            self._reached = True
            return response

        try:
            return self.backoff.call(attempt)
        except (RetriesExhausted, CallFailed) as error:
            with self._lock:
                self.failed_calls += 1
            raise CallFailed(self._scrub(str(error))) from None

    def _usage(self, response: Any, prompt: Prompt, text: str | None) -> tuple[int, int]:
        usage = getattr(response, "usage", None)
        if usage is not None and usage.prompt_tokens is not None:
            return int(usage.prompt_tokens), int(usage.completion_tokens or 0)
        return self.count_tokens(prompt.text), self.count_tokens(text) if text else 0

    def _scrub(self, text: str) -> str:
        text = redact_url_credentials(text)
        return text.replace(self._key, "***") if self._key else text

    def _unreachable(self, error: Exception) -> str:
        cause = error.__cause__ or error.__context__
        reason = self._scrub(str(cause or error)).strip() or type(error).__name__
        hint = {
            "ollama": "is Ollama running (ollama serve), and is OLLAMA_HOST right?",
            "openai": "is OPENAI_BASE_URL right, and is the network up?",
        }.get(self._ref.provider, "is the server running, on this host and port?")
        return (
            f"model {self._ref.model!r}: cannot connect to {self._ref.base_url} ({reason}): {hint}"
        )


def _chat(prompt: Prompt) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.content} for m in prompt.messages]

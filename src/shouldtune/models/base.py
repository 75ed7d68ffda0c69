"""The one Protocol every backend implements, and the small records it returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, cast

from pydantic import BaseModel

Role = Literal["system", "user", "assistant"]

# `model: mock` (models.mock): prompted without weights (dry runs, tests), so never fine-tuned.
# Here, below the pipeline, so the climbing policy can tell it apart without loading it.
MOCK = "mock"


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class Prompt:
    """One request: the messages, and their text as the model renders them.

    A model in this process reads `text` (its chat template applied); a served model sends
    `messages` to the server, which applies its own. `text` is also what the cache keys and
    token counts are made from, so both stay as they were for every backend.
    """

    text: str
    messages: tuple[Message, ...]


def prompt_for(model: Model, messages: Sequence[Message]) -> Prompt:
    """The request for these messages, rendered by `model`."""
    return Prompt(model.render(messages), tuple(messages))


class ModelInfo(BaseModel):
    """What identifies a model's answers: the cache key and the manifest use it."""

    name: str
    backend: str
    path: str
    file_sha256: str
    adapter_sha256: str | None = None
    # The Hub commit a Hub name resolved to (None for local files): pinned in the manifest.
    revision: str | None = None
    context_length: int
    chat_template: bool
    n_params: int | None = None


class ModelError(Exception):
    """A model reference that cannot be resolved or loaded; the message says why."""


class ContextOverflow(ValueError):
    """A prompt longer than the context window the model was loaded with."""

    def __init__(self, needed: int, available: int) -> None:
        super().__init__(f"prompt needs {needed} tokens; the context holds {available}")
        self.needed = needed
        self.available = available


@dataclass(frozen=True)
class Generation:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: Literal["stop", "length"]


class CallFailed(RuntimeError):
    """A model call that failed for this one input (after any retries).

    The example becomes an error row (score 0, never cached) and the run goes on; faults
    that no input can get past (a bad key, an unknown model) raise `ModelError` instead.
    """


@dataclass(frozen=True)
class LogLik:
    """Log-probability of one continuation given a prompt, summed over its tokens.

    `method` says how it was obtained: "loglik" (the exact sum, local backends) or
    "logprobs" (estimated from a server's top-k token logprobs). The token counts, when
    given, are the server's usage figures for the one call that scored all continuations.
    `exact` is False for a continuation a `top_only` search pruned: `logprob` is then an
    upper bound (the part of it that was scored), enough to know it did not win.
    """

    logprob: float
    n_tokens: int
    method: str = "loglik"
    prompt_tokens: int | None = None
    completion_tokens: int = 0
    exact: bool = True


UsageSource = Literal["server", "tokenizer"]


class Model(Protocol):
    """A loaded model. Prompts are rendered text; the model owns its chat template.

    Besides answering, a backend declares what the evaluator may ask of it (the capabilities
    below, read as plain attributes); a local backend inherits them from `InProcessModel`.
    """

    @property
    def info(self) -> ModelInfo: ...

    @property
    def scores_labels(self) -> bool:
        """Whether `loglik` is worth asking for a closed label set.

        False once the backend knows it cannot answer (a server that gives no logprobs): the
        evaluator then generates and parses the label instead. May turn False during a run.
        """
        ...

    @property
    def max_concurrency(self) -> int:
        """Requests the evaluator may keep in flight at once: 1 for a model in this process."""
        ...

    @property
    def usage_source(self) -> UsageSource:
        """Where token counts come from, and so whether they are billed per token.

        "server": the usage figures of a served model, what a provider bills (the task's API
        prices apply). "tokenizer": counted here, by a model that is not paid per token.
        """
        ...

    def call_stats(self) -> dict[str, int]:
        """Counters of remote calls so far (retries, failed calls); empty for a local model.

        Cumulative: the evaluator reports each rung's difference as `settings.http`.
        """
        ...

    def adaptations(self) -> list[str]:
        """What the server made this backend change from what was asked (a reasoning model's
        token budget or temperature), in words for the reports; empty when nothing was."""
        ...

    def render(self, messages: Sequence[Message]) -> str:
        """The prompt text for these messages, ending where the answer starts."""
        ...

    def answer_suffix(self, messages: Sequence[Message], answer: str) -> str:
        """The text that follows the rendered prompt when the model gives `answer`.

        Includes the end-of-turn marker, so that a label that is a prefix of another
        label ("card" vs "card_arrival") is scored as a complete answer.
        """
        ...

    def stop_strings(self) -> list[str]: ...

    def count_tokens(self, text: str) -> int: ...

    def generate(
        self, prompt: Prompt, *, max_tokens: int, temperature: float = 0.0, seed: int = 0
    ) -> Generation: ...

    @property
    def batch_generation(self) -> int:
        """Answers `generate_batch` decodes together (llama.cpp: 8); 1 when it would only ask
        them one after another, so the evaluator does not batch for it."""
        ...

    def generate_batch(
        self,
        prompts: Sequence[Prompt],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        seeds: Sequence[int] | None = None,
    ) -> list[Generation]:
        """What `generate` gives for each prompt (with `seeds[i]`), decoded together where the
        backend can: the same answers, not merely similar ones."""
        ...

    def loglik(
        self, prompt: Prompt, continuations: Sequence[str], *, top_only: bool = False
    ) -> list[LogLik] | None:
        """Log-likelihood of each continuation, or None when the backend cannot tell.

        With `top_only` only the most likely continuation must be exact; a backend may then
        skip work on the others and return upper bounds for them (`LogLik.exact` False).
        """
        ...

    def close(self) -> None: ...


class InProcessModel:
    """The capabilities of a model that runs in this process (see `Model`).

    It scores labels, answers one request at a time, counts tokens with its own tokenizer
    (nothing billed per token) and makes no remote calls to count or adapt.
    """

    @property
    def scores_labels(self) -> bool:
        return True

    @property
    def max_concurrency(self) -> int:
        return 1

    @property
    def usage_source(self) -> UsageSource:
        return "tokenizer"

    def call_stats(self) -> dict[str, int]:
        return {}

    def adaptations(self) -> list[str]:
        return []

    @property
    def batch_generation(self) -> int:
        return 1

    def generate_batch(
        self,
        prompts: Sequence[Prompt],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        seeds: Sequence[int] | None = None,
    ) -> list[Generation]:
        """One after another (a backend that decodes together overrides this)."""
        return generate_each(
            cast("Model", self),
            prompts,
            max_tokens=max_tokens,
            temperature=temperature,
            seeds=seeds,
        )


def generate_each(
    model: Model,
    prompts: Sequence[Prompt],
    *,
    max_tokens: int,
    temperature: float = 0.0,
    seeds: Sequence[int] | None = None,
) -> list[Generation]:
    """`generate_batch` for a backend that answers one prompt at a time."""
    chosen = list(seeds) if seeds is not None else [0] * len(prompts)
    return [
        model.generate(p, max_tokens=max_tokens, temperature=temperature, seed=s)
        for p, s in zip(prompts, chosen, strict=True)
    ]

"""`model: mock`: a model without weights, for dry runs and for the logic tests.

Like inspect_ai's mockllm, it exercises the whole pipeline (data, pre-check, split, rungs,
cache, reports) in seconds and downloads nothing; its scores and verdicts mean nothing. By
default it answers every prompt with the prompt's last input (an echo). The tests script
it: `answer(prompt)` says what it replies, and for label scoring the scripted answer gets
log-probability 0 and every other label -5, so it wins like it would in a real model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from shouldtune.models.base import (
    Generation,
    InProcessModel,
    LogLik,
    Message,
    ModelInfo,
    Prompt,
)
from shouldtune.models.chat import ChatFormat

NAME = "mock"


def last_input(prompt: str) -> str:
    """The text of the last `Input:` line of a plain-format prompt."""
    return prompt.rsplit("Input:", 1)[-1].split("\n", 1)[0].strip()


class MockModel(InProcessModel):
    """Implements the Model protocol without weights; tokens are whitespace-separated words."""

    def __init__(
        self,
        answer: Callable[[str], str] = last_input,
        *,
        name: str = NAME,
        context_length: int = 4096,
        interrupt_after: int | None = None,
        sampled: Callable[[str, float, int], str] | None = None,
        scores: Callable[[str, Sequence[str]], list[float]] | None = None,
    ) -> None:
        self.answer = answer
        # Optional: what it replies at a temperature and seed (default: ignores both).
        self.sampled = sampled
        # Optional: the label log-likelihoods for a prompt (default: the answer wins by 5).
        self.scores = scores
        # Optional: raise KeyboardInterrupt after this many calls (an interrupted run).
        self.interrupt_after = interrupt_after
        self.calls = 0
        self._format = ChatFormat(None)
        self._info = ModelInfo(
            name=name,
            backend=NAME,
            path="-",
            file_sha256=f"{NAME}-{name}",
            context_length=context_length,
            chat_template=False,
        )

    @property
    def info(self) -> ModelInfo:
        return self._info

    def render(self, messages: Sequence[Message]) -> str:
        return self._format.render(messages)

    def answer_suffix(self, messages: Sequence[Message], answer: str) -> str:
        return self._format.answer_suffix(messages, answer)

    def stop_strings(self) -> list[str]:
        return self._format.stop_strings()

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def _tick(self) -> None:
        self.calls += 1
        if self.interrupt_after is not None and self.calls > self.interrupt_after:
            raise KeyboardInterrupt

    def generate(
        self, prompt: Prompt, *, max_tokens: int, temperature: float = 0.0, seed: int = 0
    ) -> Generation:
        rendered = prompt.text
        self._tick()
        text = self.sampled(rendered, temperature, seed) if self.sampled else self.answer(rendered)
        return Generation(text, self.count_tokens(rendered), len(text.split()), "stop")

    def loglik(
        self, prompt: Prompt, continuations: Sequence[str], *, top_only: bool = False
    ) -> list[LogLik]:
        del top_only  # scripted scores are all exact
        rendered = prompt.text
        self._tick()
        if self.scores is not None:
            return [
                LogLik(v, len(c.split()))
                for v, c in zip(self.scores(rendered, continuations), continuations, strict=True)
            ]
        wanted = self.answer(rendered).strip()
        return [LogLik(0.0 if c.strip() == wanted else -5.0, len(c.split())) for c in continuations]

    def close(self) -> None:
        pass

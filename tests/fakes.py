"""A scripted model for logic tests: answers come from a function of the prompt."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from shouldtune.models.base import Generation, InProcessModel, LogLik, Message, ModelInfo
from shouldtune.models.chat import ChatFormat


class ScriptedModel(InProcessModel):
    """Implements the Model protocol without weights; `answer(prompt)` says what it replies.

    For label scoring the scripted answer gets log-probability 0 and every other
    continuation -5, so the answer wins the label likelihood like it would in a real model.
    """

    def __init__(
        self,
        answer: Callable[[str], str],
        *,
        name: str = "scripted",
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
        self._format = ChatFormat(None)
        self.calls = 0
        self.interrupt_after = interrupt_after
        self._info = ModelInfo(
            name=name,
            backend="scripted",
            path="-",
            file_sha256=f"scripted-{name}",
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
        self, prompt: str, *, max_tokens: int, temperature: float = 0.0, seed: int = 0
    ) -> Generation:
        self._tick()
        text = self.sampled(prompt, temperature, seed) if self.sampled else self.answer(prompt)
        return Generation(text, self.count_tokens(prompt), len(text.split()), "stop")

    def loglik(self, prompt: str, continuations: Sequence[str]) -> list[LogLik]:
        self._tick()
        if self.scores is not None:
            return [
                LogLik(v, len(c.split()))
                for v, c in zip(self.scores(prompt, continuations), continuations, strict=True)
            ]
        wanted = self.answer(prompt).strip()
        return [LogLik(0.0 if c.strip() == wanted else -5.0, len(c.split())) for c in continuations]

    def close(self) -> None:
        pass


def last_input(prompt: str) -> str:
    """The text of the last `Input:` line of a plain-format prompt."""
    return prompt.rsplit("Input:", 1)[-1].split("\n", 1)[0].strip()

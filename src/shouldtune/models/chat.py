"""Rendering messages to prompt text: the model's own chat template, or a plain format.

The chat template is the Jinja2 template shipped with the model (GGUF metadata or the
tokenizer config), rendered in a sandbox the way transformers does. Models without one
(base models) get a plain completion layout that few-shot prompting works well with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from jinja2 import Template
from jinja2.sandbox import ImmutableSandboxedEnvironment

from shouldtune.models.base import Message

PLAIN_INPUT = "Input:"
PLAIN_OUTPUT = "Output:"


def _raise(message: str) -> None:
    raise ValueError(message)


@lru_cache(maxsize=16)
def _compile(template: str) -> Template:
    # Compiling costs milliseconds; label scoring renders several times per example.
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = _raise
    return env.from_string(template)


@dataclass(frozen=True)
class ChatFormat:
    """Turns messages into text for one model."""

    template: str | None
    bos_token: str = ""
    eos_token: str = ""

    def render(self, messages: Sequence[Message], *, add_generation_prompt: bool = True) -> str:
        if self.template is None:
            return _render_plain(messages, add_generation_prompt=add_generation_prompt)
        return _compile(self.template).render(
            messages=[{"role": m.role, "content": m.content} for m in messages],
            add_generation_prompt=add_generation_prompt,
            bos_token=self.bos_token,
            eos_token=self.eos_token,
        )

    def answer_suffix(self, messages: Sequence[Message], answer: str) -> str:
        prompt = self.render(messages)
        if self.template is None:
            return f" {answer}\n"
        full = self.render([*messages, Message("assistant", answer)], add_generation_prompt=False)
        if full.startswith(prompt):
            return full[len(prompt) :]
        # Templates that rewrite earlier turns (rare) fall back to the answer plus EOS.
        return answer + self.eos_token

    def stop_strings(self) -> list[str]:
        if self.template is None:
            return [f"\n{PLAIN_INPUT}", "\n\n\n"]
        return [self.eos_token] if self.eos_token else []


def _render_plain(messages: Sequence[Message], *, add_generation_prompt: bool) -> str:
    parts: list[str] = []
    for message in messages:
        if message.role == "system":
            parts.append(message.content.strip() + "\n\n")
        elif message.role == "user":
            parts.append(f"{PLAIN_INPUT} {message.content.strip()}\n")
        else:
            parts.append(f"{PLAIN_OUTPUT} {message.content.strip()}\n\n")
    if add_generation_prompt and messages and messages[-1].role == "user":
        parts.append(PLAIN_OUTPUT)
    return "".join(parts)

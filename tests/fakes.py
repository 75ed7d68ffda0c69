"""The scripted model for logic tests: the `mock` backend, its answers a function of the prompt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shouldtune.models.mock import MockModel, last_input

__all__ = ["ScriptedModel", "last_input"]


class ScriptedModel(MockModel):
    """`model: mock` with a script: `answer(prompt)` says what it replies (see MockModel)."""

    def __init__(
        self, answer: Callable[[str], str], *, name: str = "scripted", **options: Any
    ) -> None:
        super().__init__(answer, name=name, **options)

"""The scripted model for logic tests: the `mock` backend, its answers a function of the prompt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from shouldtune.models.mock import MockModel, last_input
from shouldtune.rung_settings import SearchRecord

__all__ = ["ScriptedModel", "last_input"]


class ScriptedModel(MockModel):
    """`model: mock` with a script: `answer(prompt)` says what it replies (see MockModel)."""

    def __init__(
        self, answer: Callable[[str], str], *, name: str = "scripted", **options: Any
    ) -> None:
        super().__init__(answer, name=name, **options)


def search_record(**changes: Any) -> SearchRecord:
    """A prompt search's record with plausible figures; `changes` sets the ones a test reads."""
    figures: dict[str, Any] = {
        "budget": 600,
        "calls": 600,
        "val_size": 40,
        "pool_size": 100,
        "space": 48,
        "tried": 24,
        "rounds": 3,
        "winner": "chat/format/balanced-4@0",
        "winner_val_score": 0.6,
        "winner_val_n": 40,
        "baseline": "chat/given/balanced-4@0",
        "baseline_val_score": 0.4,
        "candidates": [],
    }
    return SearchRecord.model_validate({**figures, **changes})


T = TypeVar("T")


def present(value: T | None) -> T:
    """The value a test expects to have been recorded (fails the test when it was not)."""
    assert value is not None
    return value

"""The rungs of the ladder, cheapest first. Each is a module with a `run` function."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from shouldtune.evaluate import EvalContext
from shouldtune.records import Example, Prediction, RungResult
from shouldtune.rungs import few_shot, lora, rag, zero_shot


class Rung(Protocol):
    """What a rung module provides (checked structurally, no base class)."""

    NAME: str

    def run(
        self, ctx: EvalContext, train: Sequence[Example], test: Sequence[Example]
    ) -> tuple[RungResult, list[Prediction]]: ...


REGISTRY: dict[str, Rung] = {
    zero_shot.NAME: zero_shot,
    few_shot.NAME: few_shot,
    rag.NAME: rag,
    lora.NAME: lora,
}

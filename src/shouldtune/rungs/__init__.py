"""The rungs of the ladder, cheapest first. Each is a module with a `run` function.

What a rung *is* (name, cost order, kind, words) lives in `shouldtune.rung_info`, which the
decision, the cost model and the reports read without importing any rung.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from shouldtune.evaluate import EvalContext
from shouldtune.records import Example, Prediction, RungResult
from shouldtune.rung_info import CATALOG
from shouldtune.rungs import few_shot, lora, prompt_search, rag, zero_shot


class Rung(Protocol):
    """What a rung module provides (checked structurally, no base class)."""

    NAME: str

    def run(
        self, ctx: EvalContext, train: Sequence[Example], test: Sequence[Example]
    ) -> tuple[RungResult, list[Prediction]]: ...


_MODULES: dict[str, Rung] = {m.NAME: m for m in (zero_shot, few_shot, prompt_search, rag, lora)}
# In the catalog's cost order; every catalog entry has its module (tests/rungs check it).
REGISTRY: dict[str, Rung] = {r.name: _MODULES[r.name] for r in CATALOG}

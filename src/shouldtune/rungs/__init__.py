"""The rungs of the ladder, cheapest first. Each is a module with a `run` function.

What a rung *is* (name, cost order, kind, words, what it needs) lives in
`shouldtune.rung_info`, which the spec, the decision, the cost model and the reports read
without importing any rung.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Protocol, cast

from shouldtune.evaluate import EvalContext
from shouldtune.records import Example, Prediction, RungResult
from shouldtune.rung_info import CATALOG


class Rung(Protocol):
    """What a rung module provides (checked structurally, no base class)."""

    NAME: str

    def run(
        self, ctx: EvalContext, train: Sequence[Example], test: Sequence[Example]
    ) -> tuple[RungResult, list[Prediction]]: ...


# One module per catalog entry, named after it (shouldtune/rungs/<name>.py), in cost order:
# adding a rung is its module plus its entry in rung_info.CATALOG.
REGISTRY: dict[str, Rung] = {
    r.name: cast(Rung, importlib.import_module(f"shouldtune.rungs.{r.name}")) for r in CATALOG
}

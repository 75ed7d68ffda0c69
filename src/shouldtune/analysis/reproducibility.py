"""What re-running a rung's failures found: the records `analysis.reproduce` produces.

Kept apart from the re-running itself (which calls the model through the evaluator) so that
the verdict and the reports can read these records without importing the pipeline.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from shouldtune.records import Interval


class ReproducedFailure(BaseModel):
    example_id: str
    category: str
    runs: int
    failed_runs: int
    passed_under: list[str] = Field(description="Conditions under which it passed.")

    @property
    def reproducible(self) -> bool:
        return self.runs > 0 and 2 * self.failed_runs > self.runs


class CategoryShare(BaseModel):
    category: str
    checked: int
    reproducible: int


class Reproducibility(BaseModel):
    """How many of one rung's failures recur across seeds and prompt variants."""

    rung: str
    n_failures: int = Field(
        description="Failures of the rung on the test set, less error rows and truncated ones."
    )
    n_checked: int = Field(description="Failures re-run (a seeded sample when there are many).")
    n_truncated: int = Field(
        0, description="Failures cut off by the generation budget: not re-run, not evidence."
    )
    conditions: list[str] = Field(description="The re-run conditions (at most, per example).")
    reproducible: int
    share: Interval = Field(description="Share of checked failures that are reproducible.")
    by_category: list[CategoryShare]
    failures: list[ReproducedFailure]

    def describe(self) -> str:
        if not self.n_checked:
            return f"{self.rung}: no failures to re-run"
        cats = ", ".join(f"{c.category} {c.reproducible}/{c.checked}" for c in self.by_category)
        budget = (
            f"; {self.n_truncated} truncated by the generation budget left out"
            if self.n_truncated
            else ""
        )
        return (
            f"{self.rung}: {self.reproducible} of {self.n_checked} failures reproducible "
            f"({self.share.fmt()}) over {len(self.conditions)} re-runs each ({cats}){budget}"
        )

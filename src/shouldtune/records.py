"""The records that flow through the ladder: examples in, predictions and rung results out.

Plain pydantic models so that every one of them round-trips through the run directory's JSON.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# Interval lives beside the rung settings, which quote intervals (a learning curve's points).
from shouldtune.rung_settings import Interval as Interval
from shouldtune.rung_settings import RungSettings


class Example(BaseModel):
    """One usable example: the rendered input text and the expected output."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Stable id: the id field, or a hash of input and expected.")
    input: str
    expected: str
    line: int = Field(description="Line (or row) of the source file, 1-based, for messages.")
    fields: dict[str, Any] = Field(default_factory=dict, description="The raw record.")


class Prediction(BaseModel):
    """One rung's answer to one test example."""

    rung: str
    example_id: str
    input: str
    expected: str
    output: str
    score: float
    passed: bool
    latency_s: float = Field(description="Seconds spent on this example (0 when cached).")
    prompt_tokens: int
    completion_tokens: int
    cached: bool = False
    method: str = Field(description="loglik (label likelihood) or generate")
    detail: dict[str, Any] = Field(default_factory=dict)


class RungResult(BaseModel):
    """A rung's score on the shared test set, with what it cost to get."""

    rung: str
    n: int
    score: Interval
    pass_rate: float
    mean_latency_s: float
    mean_prompt_tokens: float
    mean_completion_tokens: float
    computed_calls: int = Field(description="Model calls made in this run (not from the cache).")
    cached_calls: int
    wall_s: float
    notes: list[str] = Field(default_factory=list)
    settings: RungSettings = Field(default_factory=RungSettings)


class Comparison(BaseModel):
    """Rung b against rung a on the same test examples."""

    a: str
    b: str
    method: str
    n: int
    diff: float = Field(description="b minus a, mean score")
    low: float | None = None
    high: float | None = None
    p_value: float | None = None
    a_only: int | None = Field(None, description="examples a passes and b fails")
    b_only: int | None = None

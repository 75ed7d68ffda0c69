"""The model-free baseline: one constant answer, chosen on train, scored on test like a rung.

A rung's score means little until it is set against what answering the same thing every
time earns: on a json task whose fields are mostly empty, the constant object of empty
fields can score 40%+. The constant is chosen from the train split only (the most common
label or output; for json objects, each field's most common value), scored by the task's
own scorer on the test split, with an interval like any rung. It makes no model call and
is never a candidate for the verdict; the decision reads it as a floor (decide.py).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from shouldtune.analysis.stats import score_interval
from shouldtune.nontrivial import NonTrivial
from shouldtune.records import Comparison, Example, Interval, Prediction
from shouldtune.scoring import Scorer

BASELINE = "baseline"  # its name in tables and paired tests; never a rung of the ladder
How = Literal["most_common_label", "most_common_output", "per_field"]


class Baseline(BaseModel):
    """The constant answer and its test score; results.json's `baseline`."""

    constant: str = Field(description="The answer given to every test example.")
    how: How = Field(description="How it was chosen from the train split.")
    n: int
    score: Interval
    pass_rate: float
    pairs: list[Comparison] = Field(
        default_factory=list, description="Each climbed rung against the constant (paired)."
    )
    nontrivial: NonTrivial | None = Field(
        None,
        description=(
            "What the constant gets right, and each rung's score on the rest (a second "
            "figure); None: the constant gets nothing right, or nothing else is left."
        ),
    )


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _objects(train: Sequence[Example]) -> list[dict[str, Any]] | None:
    """The train answers as JSON objects, or None when any is not one."""
    found = []
    for e in train:
        try:
            value = json.loads(e.expected)
        except json.JSONDecodeError:
            return None
        if not isinstance(value, dict):
            return None
        found.append(value)
    return found or None


def constant_answer(train: Sequence[Example], scorer_name: str) -> tuple[str, How]:
    """The constant: per-field most common values for json objects, else the most common answer.

    Ties go to the answer seen first in train (Counter keeps insertion order), so the choice
    is deterministic for a given split.
    """
    if not train:
        raise ValueError("the baseline needs at least one train example")
    objects = _objects(train) if scorer_name == "json" else None
    if objects is not None:
        keys = Counter(k for o in objects for k in o)
        # A field most train answers have; each takes its most common value.
        common = [k for k, c in keys.items() if c * 2 > len(objects)]
        constant = {}
        for key in common:
            values = Counter(_dump(o[key]) for o in objects if key in o)
            constant[key] = json.loads(values.most_common(1)[0][0])
        return json.dumps(constant, ensure_ascii=False), "per_field"
    answer = Counter(e.expected for e in train).most_common(1)[0][0]
    return answer, "most_common_label" if scorer_name == "label" else "most_common_output"


def baseline_predictions(
    constant: str, test: Sequence[Example], scorer: Scorer
) -> list[Prediction]:
    """The constant's answer to each test example, scored by the task's scorer (no model)."""
    out = []
    for e in test:
        s = scorer.score(constant, e.expected)
        out.append(
            Prediction(
                rung=BASELINE,
                example_id=e.id,
                input=e.input,
                expected=e.expected,
                output=constant,
                score=s.value,
                passed=s.passed,
                latency_s=0.0,
                prompt_tokens=0,
                completion_tokens=0,
                method="constant",
                detail={"category": s.category} if s.category else {},
            )
        )
    return out


def measure_baseline(
    train: Sequence[Example], test: Sequence[Example], scorer: Scorer, scorer_name: str, seed: int
) -> tuple[Baseline, list[Prediction]]:
    """The baseline record and its predictions (for the paired tests against each rung)."""
    constant, how = constant_answer(train, scorer_name)
    predictions = baseline_predictions(constant, test, scorer)
    values = [p.score for p in predictions]
    n = len(predictions)
    record = Baseline(
        constant=constant,
        how=how,
        n=n,
        score=score_interval(values, scorer.binary, seed=seed),
        pass_rate=sum(p.passed for p in predictions) / n if n else 0.0,
    )
    return record, predictions


def short(constant: str, limit: int = 60) -> str:
    """The constant as a sentence quotes it."""
    return constant if len(constant) <= limit else constant[: limit - 1] + "…"

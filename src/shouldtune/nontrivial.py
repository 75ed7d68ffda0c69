"""The score on the non-trivial part: only the credit the constant answer cannot earn.

When most json fields of most answers are empty, the per-field score gives a rung credit
for every empty field it leaves empty: the constant answer (baseline.py) earns it too. This
module names the parts the constant gets right and scores each rung again on the rest:

- json objects: per test example, only the fields whose expected value differs from the
  constant's (for an all-empty constant: the fields that are not empty); examples with no
  such field drop out. A field counts as right as the scorer counted it (the prediction's
  stored `missing` and `wrong` fields), so fences, the schema and refusals count the same.
- anything else (labels, short answers): only the test examples the constant fails, e.g.
  those whose label is not the majority class.

Computed from the stored predictions: no model call. Types and arithmetic only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from shouldtune.analysis.stats import score_interval
from shouldtune.records import Example, Interval, Prediction
from shouldtune.scoring import json_equal


class TrivialPart(BaseModel):
    """One part of the answers the constant gets right, and how often."""

    name: str = Field(description="A json field, or the constant answer itself.")
    share: float = Field(description="Share of test examples where the constant gets it right.")


class NonTrivial(BaseModel):
    """Each rung's score on the part of the test answers the constant does not get right."""

    unit: Literal["fields", "examples"] = Field(
        description="fields: json fields that differ from the constant; examples: those it fails."
    )
    parts: list[TrivialPart] = Field(
        description="What the constant gets right, most often first (share above 0)."
    )
    n: int = Field(description="Test examples with a non-trivial part (the rest drop out).")
    n_units: int = Field(description="Non-trivial fields (json) or examples counted.")
    scores: dict[str, Interval] = Field(
        description="Rung -> its score on the non-trivial part, with a 95% interval."
    )


def _object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _field_right(p: Prediction, key: str) -> bool:
    """Whether the scorer counted this field right (its stored missing and wrong fields)."""
    d = p.detail
    if "missing" in d and "wrong" in d:
        return key not in d["missing"] and key not in d["wrong"]
    return p.passed  # not compared field by field: invalid JSON, a refusal, a call error


def _fields(
    constant: dict[str, Any],
    test: Sequence[Example],
    predictions: Mapping[str, Sequence[Prediction]],
    seed: int,
) -> NonTrivial | None:
    expected = {e.id: _object(e.expected) for e in test}
    if any(v is None for v in expected.values()):
        return None
    wanted = {i: v for i, v in expected.items() if v is not None}
    # Per example: the fields whose expected value the constant does not already give.
    hard = {
        i: [k for k, v in obj.items() if not (k in constant and json_equal(constant[k], v))]
        for i, obj in wanted.items()
    }
    hard = {i: keys for i, keys in hard.items() if keys}
    if not hard:
        return None
    n_test = len(wanted)
    shares = {
        key: sum(1 for obj in wanted.values() if key in obj and json_equal(obj[key], value))
        / n_test
        for key, value in constant.items()
    }
    scores = {}
    for rung, preds in predictions.items():
        values = [
            sum(_field_right(p, k) for k in hard[p.example_id]) / len(hard[p.example_id])
            for p in preds
            if p.example_id in hard
        ]
        if values:
            scores[rung] = score_interval(values, False, seed=seed)
    return NonTrivial(
        unit="fields",
        parts=_parts(shares),
        n=len(hard),
        n_units=sum(len(keys) for keys in hard.values()),
        scores=scores,
    )


def _parts(shares: Mapping[str, float]) -> list[TrivialPart]:
    ordered = sorted(shares.items(), key=lambda kv: -kv[1])
    return [TrivialPart(name=k, share=v) for k, v in ordered if v > 0]


def _examples(
    constant: str,
    baseline: Sequence[Prediction],
    predictions: Mapping[str, Sequence[Prediction]],
    binary: bool,
    seed: int,
) -> NonTrivial | None:
    hard = {p.example_id for p in baseline if not p.passed}
    if not hard or not baseline:
        return None
    scores = {}
    for rung, preds in predictions.items():
        values = [(float(p.passed) if binary else p.score) for p in preds if p.example_id in hard]
        if values:
            scores[rung] = score_interval(values, binary, seed=seed)
    share = sum(p.passed for p in baseline) / len(baseline)
    return NonTrivial(
        unit="examples",
        parts=_parts({constant: share}),
        n=len(hard),
        n_units=len(hard),
        scores=scores,
    )


def nontrivial(
    constant: str,
    test: Sequence[Example],
    baseline: Sequence[Prediction],
    predictions: Mapping[str, Sequence[Prediction]],
    *,
    scorer_name: str,
    binary: bool,
    seed: int,
) -> NonTrivial | None:
    """Each rung's score without the part the constant gets right.

    None when nothing is left once that part is taken out, or the constant gets nothing right.
    """
    fields = _object(constant) if scorer_name == "json" else None
    # A constant the scorer gives nothing (a schema it breaks) earns no field's credit either.
    earns = any(p.score > 0 for p in baseline)
    found = _fields(fields, test, predictions, seed) if fields is not None and earns else None
    found = found or _examples(constant, baseline, predictions, binary, seed)
    # The constant gets nothing right: the second figure would only repeat the first.
    return found if found is not None and found.parts else None

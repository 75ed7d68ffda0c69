"""Two saved runs side by side: another model, prompt or dataset version on the same task.

Scores of runs on different test sets are not comparable example by example, so the paired
tests (McNemar for pass/fail scores, a paired bootstrap for graded ones) use only the test
examples the two runs share, with the same expected value, and the comparison says how many
those are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

from shouldtune.analysis.stats import PairedTest, mcnemar, paired_bootstrap
from shouldtune.records import Interval, Prediction
from shouldtune.report.facts import by_rung
from shouldtune.report.load import RunData


class RunSide(BaseModel):
    run_dir: str
    task: str
    model: str
    model_sha256: str
    scorer: str
    bar: float
    n_test: int
    verdict: str
    headline: str


class TestSets(BaseModel):
    same: bool = Field(description="Both runs scored exactly the same test example ids.")
    n_a: int
    n_b: int
    overlap: int = Field(description="Test example ids present in both runs.")
    expected_changed: int = Field(
        description="Shared ids whose expected value differs (left out of the paired tests)."
    )


class RungComparison(BaseModel):
    rung: str
    a: Interval | None
    b: Interval | None
    diff: float | None = Field(None, description="b's score minus a's, on each run's own set.")
    paired: PairedTest | None = Field(
        None, description="b against a on the shared test examples (diff is b minus a)."
    )


class RunComparison(BaseModel):
    """What `shouldtune compare --json` prints."""

    a: RunSide
    b: RunSide
    test_sets: TestSets
    changed: list[str] = Field(description="Settings that differ between the runs, a -> b.")
    rungs: list[RungComparison]
    note: str


def _side(run: RunData) -> RunSide:
    r = run.result
    return RunSide(
        run_dir=str(run.path),
        task=r.task,
        model=r.model.name,
        model_sha256=r.model.file_sha256,
        scorer=r.scorer,
        bar=r.bar,
        n_test=r.split.n_test,
        verdict=r.verdict.kind,
        headline=r.verdict.headline,
    )


def _flat(value: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, Mapping):
            out.update(_flat(item, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = item
    return out


def _short(value: Any, limit: int = 60) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def changed_settings(a: RunData, b: RunData) -> list[str]:
    """Spec fields and the model file that differ, as 'key: a -> b'."""
    spec_a = _flat(a.manifest.get("spec") or {})
    spec_b = _flat(b.manifest.get("spec") or {})
    changes = [
        f"{key}: {_short(spec_a.get(key))} -> {_short(spec_b.get(key))}"
        for key in sorted(set(spec_a) | set(spec_b))
        if spec_a.get(key) != spec_b.get(key)
    ]
    if a.result.model.file_sha256 != b.result.model.file_sha256:
        changes.append(
            f"model file: {a.result.model.file_sha256[:12]} -> {b.result.model.file_sha256[:12]}"
        )
    return changes


def _paired(pa: list[Prediction], pb: list[Prediction], binary: bool) -> PairedTest | None:
    by_id = {p.example_id: p for p in pb}
    pairs = [
        (p, by_id[p.example_id])
        for p in pa
        if p.example_id in by_id and by_id[p.example_id].expected == p.expected
    ]
    if not pairs:
        return None
    if binary:
        return mcnemar([x.passed for x, _ in pairs], [y.passed for _, y in pairs])
    return paired_bootstrap([x.score for x, _ in pairs], [y.score for _, y in pairs])


def _note(sets: TestSets) -> str:
    if sets.same:
        return f"Same {sets.n_a} test examples in both runs: the differences are paired."
    head = (
        f"The test sets differ: A has {sets.n_a} examples, B has {sets.n_b}, "
        f"{sets.overlap} ids in common"
    )
    if sets.expected_changed:
        head += f" ({sets.expected_changed} with a changed expected value, left out)"
    shared = sets.overlap - sets.expected_changed
    if shared <= 0:
        return head + ". Nothing can be paired; the scores come from different examples."
    return (
        head + f". The scores come from different examples; the paired tests use only the "
        f"{shared} shared ones."
    )


def compare_runs(a: RunData, b: RunData) -> RunComparison:
    ids_a, ids_b = set(a.result.split.test_ids), set(b.result.split.test_ids)
    expected_a = {p.example_id: p.expected for p in a.predictions}
    expected_b = {p.example_id: p.expected for p in b.predictions}
    overlap = ids_a & ids_b
    sets = TestSets(
        same=ids_a == ids_b,
        n_a=len(ids_a),
        n_b=len(ids_b),
        overlap=len(overlap),
        expected_changed=sum(
            1
            for i in overlap
            if i in expected_a and i in expected_b and expected_a[i] != expected_b[i]
        ),
    )
    if sets.same and sets.expected_changed:
        sets = sets.model_copy(update={"same": False})
    scores_a = {r.rung: r.score for r in a.result.rungs}
    scores_b = {r.rung: r.score for r in b.result.rungs}
    order = list(scores_a) + [name for name in scores_b if name not in scores_a]
    preds_a, preds_b = by_rung(a.predictions), by_rung(b.predictions)
    rungs = []
    for name in order:
        sa, sb = scores_a.get(name), scores_b.get(name)
        paired = None
        if sa is not None and sb is not None:
            binary = sa.method == "wilson" and sb.method == "wilson"
            paired = _paired(preds_a.get(name, []), preds_b.get(name, []), binary)
        rungs.append(
            RungComparison(
                rung=name,
                a=sa,
                b=sb,
                diff=sb.point - sa.point if sa is not None and sb is not None else None,
                paired=paired,
            )
        )
    return RunComparison(
        a=_side(a),
        b=_side(b),
        test_sets=sets,
        changed=changed_settings(a, b),
        rungs=rungs,
        note=_note(sets),
    )

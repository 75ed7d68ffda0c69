"""The climbing policy: what each rung needs, the question 3 gate, and one decision per climb."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shouldtune import decide as decide_module
from shouldtune import policy
from shouldtune.analysis.reproducibility import Reproducibility
from shouldtune.analysis.stats import wilson
from shouldtune.cache import CallCache
from shouldtune.findings import REPRODUCIBLE_SHARE
from shouldtune.ladder import run_ladder
from shouldtune.policy import NEEDS, not_reproducible_reason
from shouldtune.rung_info import CATALOG
from shouldtune.spec import TaskSpec
from tests.fakes import ScriptedModel, last_input


def parity(tmp_path: Path, n: int = 80, **update: object) -> TaskSpec:
    path = tmp_path / "data.jsonl"
    rows = [{"text": f"item {i} is {'odd' if i % 2 else 'even'}"} for i in range(n)]
    for row, i in zip(rows, range(n), strict=True):
        row["label"] = "odd" if i % 2 else "even"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    spec = TaskSpec(data=path, input="text", expected="label", bar=0.8)
    return spec.model_copy(update=update)


def oracle(prompt: str) -> str:
    return last_input(prompt).rsplit(" ", 1)[-1]


def test_every_need_in_the_catalog_has_a_check() -> None:
    assert {need for r in CATALOG for need in r.needs} <= set(NEEDS)


def test_a_mock_model_skips_lora_with_a_reason_instead_of_failing(
    tmp_path: Path, cache: CallCache
) -> None:
    spec = parity(tmp_path, model="mock", rungs=["zero_shot", "lora"], all_rungs=True)
    result = run_ladder(spec, cache=cache, runs_dir=None)
    assert [r.rung for r in result.rungs] == ["zero_shot"]
    assert "'mock' has no weights" in result.skipped["lora"]
    assert "set student" in result.skipped["lora"]


def test_too_little_train_skips_prompt_search(tmp_path: Path, cache: CallCache) -> None:
    spec = parity(tmp_path, n=14, rungs=["zero_shot", "prompt_search"], all_rungs=True)
    result = run_ladder(spec, cache=cache, runs_dir=None, model=ScriptedModel(oracle))
    assert f"it needs {policy.MIN_SEARCH_TRAIN}" in result.skipped["prompt_search"]


def _found(reproducible: int, checked: int) -> Reproducibility:
    return Reproducibility(
        rung="few_shot",
        n_failures=checked,
        n_checked=checked,
        conditions=["seed 1"],
        reproducible=reproducible,
        share=wilson(reproducible, checked),
        by_category=[],
        failures=[],
    )


@pytest.mark.parametrize(
    ("reproducible", "checked", "skips"),
    [(0, 20, True), (19, 20, False), (5, 10, False), (0, policy.MIN_CHECKED - 1, False)],
)
def test_the_fine_tune_gate_reads_the_verdicts_threshold(
    reproducible: int, checked: int, skips: bool
) -> None:
    reason = not_reproducible_reason(_found(reproducible, checked))
    assert (reason is not None) == skips
    if skips:
        assert wilson(reproducible, checked).high < REPRODUCIBLE_SHARE


def test_the_gate_and_the_verdict_agree_on_every_share() -> None:
    """The ladder skips the fine-tune exactly where the verdict calls failures not reproducible."""
    for checked in range(policy.MIN_CHECKED, 31):
        for reproducible in range(checked + 1):
            found = _found(reproducible, checked)
            skipped = not_reproducible_reason(found) is not None
            assert skipped == (decide_module.pattern_call(found.share) == "not_reproducible")


def test_the_decision_is_made_once_per_set_of_climbed_rungs(
    tmp_path: Path, cache: CallCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    """zero_shot settles it: the later rungs are skipped on one decision; the verdict reuses it."""
    asked: list[tuple[str, ...]] = []
    real = policy.decide_findings  # type: ignore[attr-defined]

    def counting(results, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(tuple(r.rung for r in results))
        return real(results, **kwargs)

    monkeypatch.setattr(policy, "decide_findings", counting)
    spec = parity(tmp_path, rungs=["zero_shot", "few_shot", "lora"], all_rungs=False)
    result = run_ladder(spec, cache=cache, runs_dir=None, model=ScriptedModel(oracle))
    assert set(result.skipped) == {"few_shot", "lora"}
    assert result.verdict.kind == "PROMPT"
    assert asked == [("zero_shot",)]

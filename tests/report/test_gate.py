"""CI gating decisions on constructed results."""

from __future__ import annotations

from pathlib import Path

import pytest

from shouldtune.records import Interval
from shouldtune.report.gate import gate_failures, parse_verdicts
from shouldtune.results import RunResult


def with_scores(result: RunResult, *intervals: tuple[float, float, float]) -> RunResult:
    rungs = [
        rung.model_copy(update={"score": Interval(point=p, low=lo, high=hi, method="wilson")})
        for rung, (p, lo, hi) in zip(result.rungs, intervals, strict=True)
    ]
    return result.model_copy(update={"rungs": rungs})


def test_fail_under_holds_the_low_end_not_the_point(label_run_result: RunResult) -> None:
    result = with_scores(label_run_result, (0.5, 0.4, 0.6), (0.9, 0.75, 0.96))
    assert gate_failures(result, fail_under=0.75, fail_unless=None) == []
    (failure,) = gate_failures(result, fail_under=0.8, fail_unless=None)
    assert "highest low end is few_shot's 75.0%" in failure
    # A point estimate above the threshold is not enough.
    assert gate_failures(result, fail_under=0.85, fail_unless=None)


def test_fail_under_takes_the_best_low_end_whichever_rung(label_run_result: RunResult) -> None:
    result = with_scores(label_run_result, (0.82, 0.78, 0.86), (0.9, 0.6, 0.97))
    assert gate_failures(result, fail_under=0.78, fail_unless=None) == []


def test_fail_unless(label_run_result: RunResult) -> None:
    kind = label_run_result.verdict.kind
    assert gate_failures(label_run_result, fail_under=None, fail_unless=[kind, "RAG"]) == []
    (failure,) = gate_failures(label_run_result, fail_under=None, fail_unless=["FINE_TUNE"])
    assert failure == f"the verdict is {kind}, not one of --fail-unless FINE_TUNE"


def test_both_gates_report_both_failures(label_run_result: RunResult) -> None:
    failures = gate_failures(label_run_result, fail_under=0.99, fail_unless=["FINE_TUNE"])
    assert len(failures) == 2


def test_parse_verdicts() -> None:
    assert parse_verdicts(" prompt, RAG ") == ["PROMPT", "RAG"]
    with pytest.raises(ValueError, match="unknown verdict MAYBE; choose from PROMPT, RAG"):
        parse_verdicts("PROMPT,maybe")
    with pytest.raises(ValueError, match="unknown verdict"):
        parse_verdicts(",")


def test_label_run_fixture_is_inconclusive(label_run: Path, label_run_result: RunResult) -> None:
    # The CLI tests below rely on this fixture's verdict and few-shot interval.
    assert label_run_result.verdict.kind == "INCONCLUSIVE"
    assert label_run_result.rungs[1].score.low == pytest.approx(0.633, abs=0.001)

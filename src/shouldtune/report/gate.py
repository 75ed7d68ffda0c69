"""CI gating: turn a run's result into pass/fail for `--fail-under` and `--fail-unless`.

`--fail-under` holds the low end of the 95% interval to the threshold, not the point
estimate, for the same reason decide.py does: a score whose interval dips below what the
user asked for has not been shown to reach it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import get_args

from shouldtune.decide import VerdictKind
from shouldtune.results import RunResult

VERDICTS: tuple[str, ...] = get_args(VerdictKind)
GATE_EXIT_CODE = 3


def parse_verdicts(text: str) -> list[str]:
    """'PROMPT,RAG' -> ['PROMPT', 'RAG']; unknown names raise ValueError naming the known."""
    names = [part.strip().upper() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in VERDICTS]
    if unknown or not names:
        raise ValueError(
            f"--fail-unless: unknown verdict {', '.join(unknown) or '(none)'}; "
            f"choose from {', '.join(VERDICTS)}"
        )
    return names


def gate_failures(
    result: RunResult, *, fail_under: float | None, fail_unless: Sequence[str] | None
) -> list[str]:
    """Why the gate fails, one sentence each; empty when the run passes."""
    failures: list[str] = []
    if fail_under is not None:
        best = max(result.rungs, key=lambda r: r.score.low, default=None)
        if best is None:
            failures.append(f"no rung was measured, so none reaches --fail-under {fail_under:.1%}")
        elif best.score.low < fail_under:
            failures.append(
                f"no rung's 95% interval is at or above --fail-under {fail_under:.1%}: the "
                f"highest low end is {best.rung}'s {best.score.low:.1%} "
                f"(score {best.score.fmt()})"
            )
    if fail_unless is not None and result.verdict.kind not in fail_unless:
        failures.append(
            f"the verdict is {result.verdict.kind}, not one of --fail-unless "
            f"{','.join(fail_unless)}"
        )
    return failures

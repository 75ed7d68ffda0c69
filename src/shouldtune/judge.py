"""The `judge` scorer: a model grades each output against the expected answer.

A fixed rubric (correct / partially correct / wrong, with a one-line reason), temperature 0,
every call through the call cache like a rung's calls. The judge's model and its prompt go in
the manifest and the rung settings, so a reader can see exactly who graded and how. When the
judge is the model that wrote the answers, the run says so: a model grading itself is biased.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shouldtune.cache import CallCache, call_key
from shouldtune.models.base import Message, Model, prompt_for
from shouldtune.scoring import Score, Scorer

RUBRIC = (
    "You grade an answer against a reference answer to the same question.\n"
    "- correct: it states the reference's facts (any wording) and contradicts none of them.\n"
    "- partially correct: some of the reference's facts are there, others missing or wrong.\n"
    "- wrong: it misses or contradicts the reference's main point, or does not answer.\n"
    "Reply with exactly two lines and nothing else:\n"
    "VERDICT: correct | partially correct | wrong\n"
    "REASON: one short sentence"
)
QUESTION = "Reference answer:\n{expected}\n\nAnswer to grade:\n{output}"
MAX_TOKENS = 64
GRADES = {"correct": 1.0, "partially correct": 0.5, "wrong": 0.0}

_GRADE = r"(partially correct|partial|correct|incorrect|wrong)"
_VERDICT = re.compile(r"verdict\s*[:\-]\s*\**\s*" + _GRADE)
_BARE = re.compile(r"^\W*" + _GRADE + r"\b")
_REASON = re.compile(r"reason\s*[:\-]\s*(.+)", re.IGNORECASE)


def parse_grade(reply: str) -> tuple[str | None, str]:
    """(grade, reason) from the judge's reply; grade None when it names none."""
    text = reply.strip().casefold()
    found = _VERDICT.search(text) or _BARE.search(text)
    grade = None
    if found is not None:
        word = found.group(1)
        grade = {"partial": "partially correct", "incorrect": "wrong"}.get(word, word)
    reason = _REASON.search(reply)
    if reason is not None:
        return grade, reason.group(1).strip()[:300]
    lines = [line.strip() for line in reply.splitlines() if line.strip()]
    return grade, (lines[-1] if lines else "")[:300]


@dataclass
class JudgeScorer:
    """Implements `shouldtune.scoring.Scorer`: the judge model's grade is the score."""

    model: Model
    cache: CallCache
    reference: str
    own_outputs: bool = False
    # Scorers graded alongside, so the run can say how much the choice of scorer matters.
    compare: dict[str, Scorer] = field(default_factory=dict)
    name = "judge"
    binary = False
    calls: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def settings(self) -> dict[str, Any]:
        return {
            "judge_model": self.reference,
            "judge_backend": self.model.info.backend,
            "prompt": {"system": RUBRIC, "user": QUESTION},
            "temperature": 0.0,
            "max_tokens": MAX_TOKENS,
            "grades": GRADES,
            "judges_own_outputs": self.own_outputs,
        }

    def grade(self, output: str, expected: str) -> dict[str, Any]:
        messages = [
            Message("system", RUBRIC),
            Message("user", QUESTION.format(expected=expected.strip(), output=output.strip())),
        ]
        prompt = prompt_for(self.model, messages)
        params = {"max_tokens": MAX_TOKENS, "temperature": 0.0, "seed": 0}
        info = self.model.info
        key = call_key(
            kind="judge",
            prompt=prompt.text,
            params=params,
            model=info.file_sha256,
            adapter=info.adapter_sha256,
            backend=info.backend,
        )
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        start = time.perf_counter()
        out = self.model.generate(prompt, max_tokens=MAX_TOKENS, temperature=0.0, seed=0)
        with self._lock:
            self.calls += 1
        record = {
            "text": out.text,
            "prompt_tokens": out.prompt_tokens,
            "completion_tokens": out.completion_tokens,
            "latency_s": time.perf_counter() - start,
        }
        self.cache.put(key, record)
        return record

    def score(self, output: str, expected: str) -> Score:
        record = self.grade(output, expected)
        grade, reason = parse_grade(str(record["text"]))
        detail: dict[str, Any] = {"judge_grade": grade, "judge_reason": reason}
        if self.compare and grade is not None:
            detail["also"] = {
                name: {"score": round(other.value, 4), "passed": other.passed}
                for name, other in ((n, s.score(output, expected)) for n, s in self.compare.items())
            }
        if grade is None:
            return Score(0.0, False, "judge_unreadable", detail)
        value = GRADES[grade]
        categories = {"correct": None, "partially correct": "judged_partial"}
        category = categories.get(grade, "judged_wrong")
        return Score(value, grade == "correct", category, detail)


def agreement(details: Sequence[dict[str, Any]]) -> dict[str, dict[str, float | int]]:
    """How often each compared scorer passes/fails an answer the way the judge does.

    Over the answers the judge graded (the generic checks, empty or refusal, decide the rest
    the same way for every scorer).
    """
    out: dict[str, dict[str, float | int]] = {}
    graded = [d for d in details if isinstance(d.get("also"), dict)]
    for name in sorted({n for d in graded for n in d["also"]}):
        pairs = [
            (d.get("judge_grade") == "correct", bool(d["also"][name]["passed"]))
            for d in graded
            if name in d["also"]
        ]
        n = len(pairs)
        out[name] = {
            "n": n,
            "agreement": sum(a == b for a, b in pairs) / n,
            "judge_pass_rate": sum(a for a, _ in pairs) / n,
            "pass_rate": sum(b for _, b in pairs) / n,
        }
    return out

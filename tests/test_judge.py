"""The judge scorer: a model grades answers with a fixed rubric, cached, at temperature 0."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from shouldtune.cache import CallCache
from shouldtune.judge import RUBRIC, agreement, parse_grade
from shouldtune.scorer_factory import build_scorer
from shouldtune.scoring import scorer_settings
from shouldtune.spec import TaskSpec
from tests.rag.fakes import HashEmbedder

REFERENCE = "Exports run nightly at 02:00 and keep thirty days of history."


class FakeJudge:
    """An OpenAI-compatible chat endpoint on loopback that grades by keywords."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(body)
                graded = body["messages"][-1]["content"].split("Answer to grade:")[-1]
                if "night" in graded and "thirty" in graded:
                    reply = "VERDICT: correct\nREASON: same schedule and retention."
                elif "night" in graded:
                    reply = "Verdict: partially correct\nReason: retention is missing."
                else:
                    reply = "VERDICT: wrong\nREASON: it describes something else."
                payload = {
                    "id": "x",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": reply},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 50, "completion_tokens": 12, "total_tokens": 62},
                }
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def reference(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1:grader"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def judge_server() -> Iterator[FakeJudge]:
    server = FakeJudge()
    yield server
    server.stop()


def judge_spec(tmp_path: Path, reference: str, model: str = "smollm2-135m") -> TaskSpec:
    return TaskSpec(
        data=tmp_path / "d.jsonl",
        model=model,
        scorer="judge",
        scorer_options={"judge_model": reference},
    )


def test_grades_map_to_scores_and_the_reason_is_kept(
    tmp_path: Path, cache: CallCache, judge_server: FakeJudge
) -> None:
    judge = build_scorer(
        judge_spec(tmp_path, judge_server.reference),
        labels=None,
        cache=cache,
        embedder=HashEmbedder(),
    )
    correct = judge.score("They run every night at 2am, thirty days are kept.", REFERENCE)
    partial = judge.score("Exports happen nightly.", REFERENCE)
    wrong = judge.score("You can change the logo in Branding.", REFERENCE)
    assert (correct.value, correct.passed, correct.category) == (1.0, True, None)
    assert (partial.value, partial.passed, partial.category) == (0.5, False, "judged_partial")
    assert (wrong.value, wrong.passed, wrong.category) == (0.0, False, "judged_wrong")
    assert correct.detail["judge_reason"] == "same schedule and retention."
    sent = judge_server.requests[0]
    assert sent["temperature"] == 0.0 and sent["model"] == "grader"
    assert sent["messages"][0] == {"role": "system", "content": RUBRIC}
    assert set(correct.detail["also"]) == {"f1", "similarity"}


def test_judge_calls_are_cached_and_settings_name_the_judge_and_prompt(
    tmp_path: Path, cache: CallCache, judge_server: FakeJudge
) -> None:
    spec = judge_spec(tmp_path, judge_server.reference)
    judge = build_scorer(spec, labels=None, cache=cache, embedder=HashEmbedder())
    judge.score("Exports happen nightly.", REFERENCE)
    again = build_scorer(spec, labels=None, cache=cache, embedder=HashEmbedder())
    assert again.score("Exports happen nightly.", REFERENCE).value == 0.5
    assert len(judge_server.requests) == 1
    settings = scorer_settings(again)
    assert settings["judge_model"] == judge_server.reference
    assert settings["prompt"]["system"] == RUBRIC and settings["temperature"] == 0.0
    assert settings["judges_own_outputs"] is False


def test_a_judge_grading_its_own_answers_is_flagged(
    tmp_path: Path, cache: CallCache, judge_server: FakeJudge
) -> None:
    spec = judge_spec(tmp_path, judge_server.reference, model=judge_server.reference)
    judge = build_scorer(spec, labels=None, cache=cache, embedder=HashEmbedder())
    assert scorer_settings(judge)["judges_own_outputs"] is True


def test_the_judge_needs_a_model_in_the_spec(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="judge_model"):
        TaskSpec(data=tmp_path / "d.jsonl", scorer="judge")


def test_replies_are_parsed_leniently_and_an_unreadable_one_is_said() -> None:
    assert parse_grade("VERDICT: **Correct**\nREASON: fine") == ("correct", "fine")
    assert parse_grade("Partially correct. It misses the date.")[0] == "partially correct"
    assert parse_grade("verdict - incorrect")[0] == "wrong"
    assert parse_grade("I think so?") == (None, "I think so?")


def test_agreement_counts_matching_pass_fail_decisions() -> None:
    def also(f1: bool, similarity: bool) -> dict[str, Any]:
        return {"f1": {"passed": f1}, "similarity": {"passed": similarity}}

    details: list[dict[str, Any]] = [
        {"judge_grade": "correct", "also": also(True, True)},
        {"judge_grade": "wrong", "also": also(True, False)},
        {"judge_grade": "partially correct", "also": also(False, False)},
        {"category": "empty"},  # decided before the judge: not compared
    ]
    found = agreement(details)
    assert found["f1"] == {"n": 3, "agreement": 2 / 3, "judge_pass_rate": 1 / 3, "pass_rate": 2 / 3}
    assert found["similarity"]["agreement"] == 1.0

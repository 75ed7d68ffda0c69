"""The OpenAI-compatible backend against real servers on loopback.

llama-cpp-python's own server runs the embedded model; a fault-injecting proxy sits in front
of it. Every run is small (a few test examples, label scoring with a handful of tokens) and
every wait is bounded by the client's timeout and the proxy's scripted faults.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shouldtune.cache import CallCache
from shouldtune.ladder import prepare, run_ladder
from shouldtune.models.base import Message, ModelError, prompt_for
from shouldtune.models.openai_compat import OpenAICompatModel
from shouldtune.models.registry import load_model
from shouldtune.models.remote import parse_remote
from shouldtune.models.retry import Backoff
from shouldtune.spec import TaskSpec, load_spec
from tests.conftest import EXAMPLES
from tests.fakes import present
from tests.models.servers import FaultProxy, LlamaServer

KEY = "sk-test-DO-NOT-LEAK-7f3a91"
KEY_ENV = "SHOULDTUNE_TEST_API_KEY"
LABELS = ["billing", "technical", "account", "shipping"]


@pytest.fixture
def proxy(llama_server: LlamaServer) -> Iterator[FaultProxy]:
    faults = FaultProxy(llama_server.port).start()
    yield faults
    faults.stop()


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)


def task(base_url: str, *, max_test: int = 6, **api: Any) -> TaskSpec:
    return load_spec(
        EXAMPLES / "support-triage" / "task.yaml",
        {
            "model": f"{base_url}:smollm2",
            "rungs": ["zero_shot"],
            "split": {"max_test": max_test},
            "context_length": 2048,
            "reproduce": {"enabled": False},
            "api": {"api_key_env": KEY_ENV, "concurrency": 2, "timeout_s": 30, **api},
        },
    )


def model_for(spec: TaskSpec, waits: list[float] | None = None) -> OpenAICompatModel:
    """The backend with a recorded, shortened backoff (Retry-After is still honoured)."""

    def sleep(seconds: float) -> None:
        if waits is not None:
            waits.append(seconds)
        time.sleep(seconds)

    backoff = Backoff(
        max_retries=spec.api.max_retries, base_s=0.05, sleep=sleep, rng=random.Random(0)
    )
    return OpenAICompatModel(
        parse_remote(spec.model), spec.api, context_length=spec.context_length, backoff=backoff
    )


def assert_no_key_in_files(*roots: Path) -> int:
    checked = 0
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file():
                assert KEY.encode() not in path.read_bytes(), f"API key written to {path}"
                checked += 1
    return checked


def test_chat_generation_and_label_logprobs(llama_server: LlamaServer, cache: CallCache) -> None:
    spec = task(llama_server.base_url)
    model = load_model(spec.model, cache, context_length=2048, api=spec.api)
    assert isinstance(model, OpenAICompatModel)
    assert model.info.backend == "openai" and KEY not in model.info.model_dump_json()
    messages = [
        Message("system", "Answer with exactly one of these labels: " + ", ".join(LABELS)),
        Message("user", "Subject: refund\nI was charged twice for my order."),
    ]
    prompt = prompt_for(model, messages)
    out = model.generate(prompt, max_tokens=8)
    assert out.text and out.prompt_tokens > 10 and 0 < out.completion_tokens <= 8
    scores = model.loglik(prompt, [model.answer_suffix(messages, label) for label in LABELS])
    assert scores is not None and len(scores) == len(LABELS)
    assert {s.method for s in scores} == {"logprobs"}
    assert all(s.logprob < 0 for s in scores) and scores[0].prompt_tokens == out.prompt_tokens
    model.close()


def test_run_survives_injected_faults_and_writes_no_key(
    proxy: FaultProxy, tmp_path: Path, cache: CallCache
) -> None:
    spec = task(proxy.base_url)
    proxy.queue = ["429", "500", "drop", "500"]
    waits: list[float] = []
    model = model_for(spec, waits)
    result = run_ladder(spec, cache=cache, runs_dir=tmp_path / "runs", model=model)
    rung = result.rungs[0]
    assert rung.n == 6 and not any("error rows" in note for note in rung.notes)
    injected = proxy.faults()
    assert injected == {"429": 1, "500": 2, "drop": 1}
    # Every injected fault was retried (spurious timeouts on a busy machine may add more).
    assert (
        rung.settings.extra("http")["retries"] >= 4
        and rung.settings.extra("http")["failed_calls"] == 0
    )
    assert 1.0 in waits  # the 429's Retry-After
    assert rung.settings.methods == ["logprobs"]
    assert present(present(rung.settings.usage).prompt_tokens) > 0
    assert proxy.authorizations == {f"Bearer {KEY}"}  # the key was sent, to this server only
    assert assert_no_key_in_files(tmp_path / "runs", cache.root) > 3
    # An identical re-run is answered from the cache: no request reaches the server.
    before = len(proxy.log)
    again = run_ladder(spec, cache=cache, runs_dir=None, model=model)
    assert again.rungs[0].cached_calls == 6 and len(proxy.log) == before
    assert again.rungs[0].score == rung.score
    model.close()


def test_a_call_that_keeps_failing_is_an_error_row_retried_next_run(
    proxy: FaultProxy, tmp_path: Path, cache: CallCache
) -> None:
    from tests.models.servers import Rule

    spec = task(proxy.base_url, max_test=4, max_retries=1)
    model = model_for(spec)
    doomed = prepare(spec, model).split.test[1]
    proxy.rules = [Rule(doomed.input.splitlines()[-1], "500")]
    result = run_ladder(spec, cache=cache, runs_dir=tmp_path / "runs", model=model)
    rung = result.rungs[0]
    assert rung.n == 4 and rung.settings.extra("http")["failed_calls"] == 1
    assert proxy.faults() == {"500": 2}  # the first try and its one retry
    assert any("error rows" in note for note in rung.notes)
    lines = (Path(result.run_dir or "") / "predictions.jsonl").read_text()
    assert lines.count('"method": "error"') + lines.count('"method":"error"') == 1
    # Nothing was cached from the failed call: the next run asks for that example only.
    proxy.rules = []
    again = run_ladder(spec, cache=cache, runs_dir=tmp_path / "runs", model=model)
    assert again.rungs[0].computed_calls == 1 and again.rungs[0].cached_calls == 3
    assert "error rows" not in " ".join(again.rungs[0].notes)
    assert_no_key_in_files(tmp_path / "runs", cache.root)
    model.close()


def test_a_slow_response_times_out_and_is_retried(proxy: FaultProxy, cache: CallCache) -> None:
    spec = task(proxy.base_url, timeout_s=2.0)
    proxy.slow_s = 3.0
    proxy.queue = ["slow"]
    model = model_for(spec)
    started = time.monotonic()
    out = model.generate(prompt_for(model, [Message("user", "Say hi.")]), max_tokens=2)
    assert out.completion_tokens > 0 and time.monotonic() - started >= 2.0
    assert model.call_stats()["retries"] >= 1 and proxy.faults() == {"slow": 1}
    model.close()


def test_a_refused_key_fails_fast_with_a_clear_message(
    proxy: FaultProxy, tmp_path: Path, cache: CallCache
) -> None:
    spec = task(proxy.base_url)
    proxy.queue = ["401"] * 20
    model = model_for(spec)
    with pytest.raises(ModelError) as info:
        run_ladder(spec, cache=cache, runs_dir=tmp_path / "runs", model=model)
    message = str(info.value)
    assert "HTTP 401" in message and "refused" in message
    assert KEY not in message  # the server echoed the key; the message is scrubbed
    assert len(proxy.log) <= spec.api.concurrency and model.call_stats()["retries"] == 0
    assert cache.count() == 0
    assert_no_key_in_files(tmp_path / "runs", cache.root)
    model.close()


def test_without_logprobs_labels_come_from_constrained_parsing(
    proxy: FaultProxy, cache: CallCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    # OPENAI_API_KEY is for the OpenAI API: never sent to another server unasked.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-key-for-openai-only")
    spec = task(proxy.base_url, max_test=3, api_key_env=None).model_copy(
        update={"max_new_tokens": 8}
    )
    proxy.strip_logprobs = True
    model = model_for(spec)
    result = run_ladder(spec, cache=cache, runs_dir=None, model=model)
    rung = result.rungs[0]
    assert rung.settings.methods == ["constrained"] and model.scores_labels is False
    assert rung.mean_completion_tokens > 0
    assert not any("sk-openai" in auth for auth in proxy.authorizations)
    model.close()


def test_a_reasoning_model_gets_max_completion_tokens_and_its_default_temperature(
    proxy: FaultProxy,
) -> None:
    proxy.reasoning_model = True
    spec = task(proxy.base_url, reasoning_tokens=6)
    model = model_for(spec)
    prompt = prompt_for(model, [Message("user", "Say hello.")])
    first = model.generate(prompt, max_tokens=4)
    second = model.generate(prompt, max_tokens=4)
    assert first.completion_tokens > 0 and second.completion_tokens > 0
    # Two refusals, learnt once: the second call goes through at the first try.
    assert proxy.log == ["ok", "400", "ok", "400", "ok", "ok"]
    assert proxy.completion_budgets == [4 + 6, 4 + 6]  # room for hidden reasoning
    assert model.call_stats()["failed_calls"] == 0
    assert len(model.adaptations()) == 2
    model.close()


def test_a_reasoning_models_rung_says_what_was_changed(proxy: FaultProxy, cache: CallCache) -> None:
    proxy.reasoning_model = True
    spec = task(proxy.base_url, max_test=2, reasoning_tokens=4)
    spec = spec.model_copy(update={"calibrate": "off"})  # no train probe: a short test
    model = model_for(spec)
    result = run_ladder(spec, cache=cache, runs_dir=None, model=model)
    (rung,) = result.rungs
    assert any(
        "max_completion_tokens" in change
        for change in present(present(rung.settings.model).adapted)
    )
    assert any("refused some parameters" in note for note in rung.notes)
    model.close()


def test_an_unknown_server_fails_at_once_naming_the_url(cache: CallCache) -> None:
    # Nothing listens on this port and nothing ever answered: no retry can help.
    from tests.models.servers import free_port

    url = f"http://127.0.0.1:{free_port()}/v1"
    model = model_for(task(url, max_retries=3))
    with pytest.raises(ModelError, match=f"cannot connect to {url}"):
        model.generate(prompt_for(model, [Message("user", "hi")]), max_tokens=2)
    assert model.call_stats()["retries"] == 0
    model.close()

"""Backoff: retries transient faults, honours Retry-After, gives up after max_retries."""

from __future__ import annotations

import random

import pytest

from shouldtune.models.retry import Backoff, RetriesExhausted, Transient, parse_retry_after


def test_retries_then_succeeds_honouring_retry_after() -> None:
    waits: list[float] = []
    backoff = Backoff(max_retries=3, base_s=0.5, sleep=waits.append, rng=random.Random(0))
    outcomes: list[Exception | str] = [Transient("429", retry_after=2.0), Transient("500"), "ok"]

    def action() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert backoff.call(action) == "ok"
    assert backoff.retries == 2
    assert waits[0] == 2.0  # the server's Retry-After, not the backoff
    assert 0.0 <= waits[1] <= 1.0  # full jitter under base * 2**1


def test_gives_up_after_max_retries() -> None:
    waits: list[float] = []
    backoff = Backoff(max_retries=2, sleep=waits.append)

    def action() -> str:
        raise Transient("HTTP 500")

    with pytest.raises(RetriesExhausted) as info:
        backoff.call(action)
    assert info.value.attempts == 3 and len(waits) == 2
    assert "HTTP 500" in str(info.value)


def test_exponential_cap_and_retry_after_cap() -> None:
    backoff = Backoff(base_s=1.0, cap_s=4.0, max_retry_after_s=10.0, rng=random.Random(1))
    assert all(backoff.delay(10, None) <= 4.0 for _ in range(50))
    assert backoff.delay(0, 3600.0) == 10.0


def test_non_transient_errors_are_not_retried() -> None:
    backoff = Backoff(sleep=lambda s: None)
    calls = []

    def action() -> None:
        calls.append(1)
        raise ValueError("bad request")

    with pytest.raises(ValueError):
        backoff.call(action)
    assert len(calls) == 1 and backoff.retries == 0


def test_parse_retry_after() -> None:
    assert parse_retry_after({"Retry-After": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    assert parse_retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert parse_retry_after({"Retry-After": "soon"}) is None
    assert parse_retry_after({}) is None

"""Retrying HTTP model calls: jittered exponential backoff that honours Retry-After.

Transient faults (429, 5xx, timeouts, dropped connections) are retried; the caller decides
what is transient by raising `Transient`. Full jitter (a uniform wait up to the exponential
cap) keeps concurrent workers from retrying in lockstep against a struggling server.
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


class Transient(Exception):
    """A fault worth retrying; `retry_after` is the server's requested wait, if it gave one."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RetriesExhausted(Exception):
    """Still failing after every retry; `attempts` calls were made."""

    def __init__(self, message: str, attempts: int) -> None:
        super().__init__(message)
        self.attempts = attempts


@dataclass
class Backoff:
    max_retries: int = 5
    base_s: float = 0.5
    cap_s: float = 30.0
    max_retry_after_s: float = 60.0  # a server asking for an hour gets a minute, then a retry
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    retries: int = 0  # retries made so far, all calls together (tests and reports read it)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after_s)
        with self._lock:
            return self.rng.uniform(0.0, min(self.cap_s, self.base_s * 2**attempt))

    def call(self, action: Callable[[], T]) -> T:
        attempt = 0
        while True:
            try:
                return action()
            except Transient as fault:
                if attempt >= self.max_retries:
                    raise RetriesExhausted(
                        f"{fault} (gave up after {attempt + 1} attempts)", attempt + 1
                    ) from None
                wait = self.delay(attempt, fault.retry_after)
                with self._lock:
                    self.retries += 1
                attempt += 1
                self.sleep(wait)


def parse_retry_after(headers: dict[str, str] | None) -> float | None:
    """Seconds to wait from `Retry-After` (seconds or an HTTP date) or `retry-after-ms`."""
    if not headers:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis is not None:
        try:
            return float(millis) / 1000.0
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())

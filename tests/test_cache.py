from __future__ import annotations

import sqlite3
from pathlib import Path

from shouldtune.cache import CallCache, call_key


def test_key_changes_with_every_part() -> None:
    base = {"model": "a", "adapter": None, "prompt": "p", "params": {"seed": 0}}
    keys = {
        call_key(**base),
        call_key(**{**base, "model": "b"}),
        call_key(**{**base, "adapter": "x"}),
        call_key(**{**base, "prompt": "q"}),
        call_key(**{**base, "params": {"seed": 1}}),
    }
    assert len(keys) == 5
    assert call_key(a=1, b=2) == call_key(b=2, a=1)


def test_values_survive_a_new_connection(tmp_path: Path) -> None:
    cache = CallCache(tmp_path)
    cache.put("k", {"text": "hello", "n": 3})
    cache.close()
    again = CallCache(tmp_path)
    assert again.get("k") == {"text": "hello", "n": 3}
    assert again.get("missing") is None
    assert again.count() == 1


def test_wal_mode(tmp_path: Path) -> None:
    CallCache(tmp_path).close()
    mode = sqlite3.connect(tmp_path / "calls.sqlite").execute("pragma journal_mode").fetchone()
    assert mode[0] == "wal"


def test_file_hash_is_remembered_and_follows_changes(tmp_path: Path) -> None:
    cache = CallCache(tmp_path / "c")
    target = tmp_path / "model.bin"
    target.write_bytes(b"weights")
    first = cache.file_hash(target)
    assert first == cache.file_hash(target)
    target.write_bytes(b"other weights")
    assert cache.file_hash(target) != first

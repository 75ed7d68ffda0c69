"""A SQLite cache of model calls: re-runs are instant and a killed run loses nothing.

Each finished call is committed at once (WAL mode keeps that cheap), so Ctrl-C or a crash
loses at most the call in flight. The key is a hash of everything that changes an answer:
model file hash, adapter hash, call kind, rendered prompt, decoding parameters and seed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

_SCHEMA = """
create table if not exists calls (
    key text primary key,
    value text not null,
    created real not null
);
create table if not exists file_hashes (
    path text primary key,
    size integer not null,
    mtime_ns integer not null,
    sha256 text not null
);
"""


def default_cache_dir() -> Path:
    env = os.environ.get("SHOULDTUNE_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "shouldtune"


class FolderError(Exception):
    """A folder we must write in cannot be one (a file is in the way, or it is not writable)."""


def check_folder(path: Path) -> None:
    """Raise FolderError unless `path` is, or can be created as, a folder."""
    for folder in [path, *path.parents]:
        if folder.exists() or folder.is_symlink():
            if not folder.is_dir():
                where = "" if folder == path else f"{path}: "
                raise FolderError(f"{where}{folder} is a file, not a folder")
            return


def make_private_dir(path: Path) -> None:
    """Create `path` (and missing parents) readable by its owner only; an existing folder is
    left as the user set it."""
    check_folder(path)
    try:
        for folder in reversed([path, *path.parents]):
            if not folder.exists():
                folder.mkdir(mode=0o700, exist_ok=True)
    except OSError as error:
        raise FolderError(f"{path}: cannot create the folder: {error.strerror}") from None


def call_key(**parts: Any) -> str:
    canonical = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class CallCache:
    def __init__(self, root: Path | None = None) -> None:
        self.root = root or default_cache_dir()
        # Private to the user: it holds their prompts, the model's outputs and their data.
        make_private_dir(self.root)
        self.path = self.root / "calls.sqlite"
        # One connection shared by the evaluator's worker threads (HTTP backends ask several
        # examples at once): sqlite3 allows that when every use holds the lock.
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False)
            self._db.execute("pragma journal_mode=wal")
        except sqlite3.Error as error:
            raise FolderError(f"{self.path}: cannot open the cache: {error}") from None
        self._db.execute("pragma synchronous=normal")
        self._db.executescript(_SCHEMA)
        self._db.commit()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("select value from calls where key = ?", (key,)).fetchone()
        if row is None:
            return None
        value: dict[str, Any] = json.loads(row[0])
        return value

    def put(self, key: str, value: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute(
                "insert or replace into calls (key, value, created) values (?, ?, ?)",
                (key, json.dumps(value, ensure_ascii=False), time.time()),
            )
            self._db.commit()

    def count(self) -> int:
        with self._lock:
            row = self._db.execute("select count(*) from calls").fetchone()
        return int(row[0])

    def file_hash(self, path: Path) -> str:
        """sha256 of a file (or of a model folder's files), hashed once per (size, mtime)."""
        if path.is_dir():
            parts = [
                f"{item.relative_to(path)}:{self.file_hash(item)}"
                for item in sorted(path.rglob("*"))
                if item.is_file()
            ]
            return hashlib.sha256("\n".join(parts).encode()).hexdigest()
        with self._lock:
            return self._file_hash(path)

    def _file_hash(self, path: Path) -> str:
        resolved = str(path.resolve())
        stat = path.stat()
        row = self._db.execute(
            "select size, mtime_ns, sha256 from file_hashes where path = ?", (resolved,)
        ).fetchone()
        if row is not None and row[0] == stat.st_size and row[1] == stat.st_mtime_ns:
            return str(row[2])
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        value = digest.hexdigest()
        self._db.execute(
            "insert or replace into file_hashes (path, size, mtime_ns, sha256) values (?, ?, ?, ?)",
            (resolved, stat.st_size, stat.st_mtime_ns, value),
        )
        self._db.commit()
        return value

    def close(self) -> None:
        self._db.close()

"""An exclusive lock between processes sharing a cache folder (fcntl.flock on a lock file).

Two runs on one cache can meet where a file is made once and then shared: the requantized
built-in model, a dequantized student, a LoRA work folder. The second waits for the first,
then finds the finished file and uses it. The kernel drops a lock when its holder dies, even
by SIGKILL, so a killed run never leaves the next one waiting; and while a lock is held, any
temporary file under it is a leftover of a killed holder, safe to remove (`remove_stale`).
Lock files are left in place: deleting one while another process waits on it would let two
holders in at once.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

logger = logging.getLogger(__name__)


@contextmanager
def exclusive(path: Path, waiting: str | None = None) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created 0600 if missing) for the `with` block.

    `waiting`: what is logged when another process holds the lock and this one waits.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.warning(waiting or f"waiting for another process holding {path}")
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def remove_stale(folder: Path, pattern: str) -> list[Path]:
    """Remove what matches `pattern` in `folder` (files or folders); call it under the lock
    that every writer of such temporaries holds, so nothing removed is still being written."""
    removed = []
    for path in sorted(folder.glob(pattern)) if folder.is_dir() else []:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def made_once(
    target: Path,
    make: Callable[[Path], None],
    *,
    ready: Callable[[Path], bool] | None = None,
    waiting: str | None = None,
) -> Path:
    """`target` (a file or a folder) made by `make(tmp)` once per cache, then shared.

    `make` writes a temporary path of its own, renamed into place when whole, so `target`
    is never seen half-written; one process makes it while the others wait on the lock and
    then find it `ready` (default: it exists). Temporaries a killed maker left are removed.
    """
    is_ready = ready or (lambda path: path.exists())
    lock = target.parent / f".{target.name}.lock"
    if is_ready(target):
        # A run killed while another finished the file left its temporary: remove it when
        # no one is making the file now (never wait for that).
        if lock.exists():
            _try_lock(lock, lambda: _remove_temporaries(target))
        return target
    with exclusive(lock, waiting):
        if is_ready(target):
            return target
        _remove_temporaries(target)
        tmp = target.with_name(f".{target.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
        try:
            make(tmp)
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)  # not ready, so not whole: made before this lock existed
            os.replace(tmp, target)
        finally:
            remove_stale(target.parent, tmp.name)  # what a failed `make` left
    return target


def _remove_temporaries(target: Path) -> None:
    # Both spellings of a temporary: made_once's and the older '<name>.tmp-<pid>'.
    remove_stale(target.parent, f".{target.name}.*.tmp")
    remove_stale(target.parent, f"{target.name}.tmp-*")


def _try_lock(path: Path, action: Callable[[], None]) -> bool:
    """Run `action` under the lock if it is free at once; False when another holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        action()
        return True
    finally:
        os.close(fd)

"""The cache's shared files: made once under a lock, published whole, leftovers removed.

Real processes (subprocess) hold the locks and are killed with SIGKILL: flock is per open
file, and what matters is what another process sees.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shouldtune.filelock import exclusive, made_once

SRC = str(Path(__file__).resolve().parents[1] / "src")

# Makes ARGV[1] through made_once: writes half, waits ARGV[2] seconds, writes the rest, and
# records each make in ARGV[1].makes (one line per process that made it).
MAKER = """
import os, sys, time
from pathlib import Path
from shouldtune.filelock import made_once
target, wait = Path(sys.argv[1]), float(sys.argv[2])
def make(tmp):
    with open(target.with_suffix('.makes'), 'a') as log:
        log.write(f'{os.getpid()}\\n')
    tmp.write_text('first half ')
    time.sleep(wait)
    with tmp.open('a') as out:
        out.write('second half')
made_once(target, make)
print(target.read_text())
"""


def maker(target: Path, wait: float) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.Popen(
        [sys.executable, "-c", MAKER, str(target), str(wait)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_two_processes_make_it_once_and_both_read_it_whole(tmp_path: Path) -> None:
    target = tmp_path / "models" / "model.gguf"
    first = maker(target, 1.0)
    wait_for(lambda: target.with_suffix(".makes").exists())
    second = maker(target, 1.0)  # arrives while the first is half-way
    outputs = [p.communicate(timeout=60) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], outputs
    assert [out for out, _ in outputs] == ["first half second half\n"] * 2
    assert len(target.with_suffix(".makes").read_text().split()) == 1
    assert not list(target.parent.glob("*.tmp"))


def test_a_maker_killed_half_way_leaves_no_lock_and_its_leftover_is_removed(
    tmp_path: Path,
) -> None:
    target = tmp_path / "models" / "model.gguf"
    killed = maker(target, 60.0)
    wait_for(lambda: list(target.parent.glob(".model.gguf.*.tmp")))
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=30)
    assert not target.exists()  # never published half-written
    assert len(list(target.parent.glob(".model.gguf.*.tmp"))) == 1
    started = time.monotonic()
    made_once(target, lambda tmp: tmp.write_text("whole"))  # type: ignore[arg-type]
    assert time.monotonic() - started < 10  # the kernel dropped the dead run's lock
    assert target.read_text() == "whole"
    assert not list(target.parent.glob("*.tmp"))


def test_a_folder_and_an_older_temporary_spelling(tmp_path: Path) -> None:
    target = tmp_path / "students" / "abc"
    stale = tmp_path / "students" / "abc.tmp-12345"  # dequantize's earlier temporary name
    stale.mkdir(parents=True)

    def make(tmp: Path) -> None:
        tmp.mkdir()
        (tmp / "config.json").write_text("{}")

    made_once(target, make, ready=lambda path: (path / "config.json").exists())
    assert (target / "config.json").exists()
    assert not stale.exists()


def test_a_failed_make_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "m.gguf"

    def make(tmp: Path) -> None:
        tmp.write_text("part")
        raise RuntimeError("quantize failed")

    with pytest.raises(RuntimeError):
        made_once(target, make)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".m.gguf.lock"]


def test_the_lock_excludes_another_process(tmp_path: Path) -> None:
    lock = tmp_path / "x.lock"
    probe = (
        "import fcntl, os, sys\n"
        "fd = os.open(sys.argv[1], os.O_RDWR)\n"
        "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept BlockingIOError:\n"
        "    sys.exit(7)\n"
    )
    with exclusive(lock):
        held = subprocess.run([sys.executable, "-c", probe, str(lock)], timeout=30)
        assert held.returncode == 7
        assert (lock.stat().st_mode & 0o777) == 0o600
    free = subprocess.run([sys.executable, "-c", probe, str(lock)], timeout=30)
    assert free.returncode == 0


def test_a_leftover_beside_a_finished_file_is_removed_when_no_one_is_making_it(
    tmp_path: Path,
) -> None:
    target = tmp_path / "m.gguf"
    made_once(target, lambda tmp: tmp.write_text("whole"))  # type: ignore[arg-type]
    leftover = tmp_path / ".m.gguf.999-dead.tmp"  # a run killed while another finished
    leftover.write_text("half")
    with exclusive(tmp_path / ".m.gguf.lock"):  # someone is making it: leave temporaries be
        held = subprocess.run(
            [sys.executable, "-c", REUSE, str(target)], env={**os.environ, "PYTHONPATH": SRC}
        )
        assert held.returncode == 0 and leftover.exists()
    assert made_once(target, lambda tmp: None) == target
    assert not leftover.exists()
    assert target.read_text() == "whole"


REUSE = (
    "import sys; from pathlib import Path; from shouldtune.filelock import made_once\n"
    "made_once(Path(sys.argv[1]), lambda tmp: None)\n"
)

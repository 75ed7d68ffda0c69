"""shouldtune: should I fine-tune, or just use a better prompt? Measured on your examples.

The public API is small: `run` climbs the ladder and returns a typed `RunResult`; `check`
runs the pre-check alone. Everything else is an implementation detail.
"""

from __future__ import annotations

import os

# llama.cpp and torch each bring an OpenMP runtime; their idle threads spin by default and
# steal the other's cores (measured: few-shot label scoring 8x slower after a torch call in
# the same process). Set before either library loads; an explicit user setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"

from shouldtune.api import check, run
from shouldtune.spec import TaskSpec, load_spec

__all__ = ["TaskSpec", "__version__", "check", "load_spec", "run"]

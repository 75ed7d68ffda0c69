"""shouldtune: should I fine-tune, or just use a better prompt? Measured on your examples.

The public API is small: `run` climbs the ladder and returns a typed `RunResult`; `check`
runs the pre-check alone. Everything else is an implementation detail.
"""

from __future__ import annotations

__version__ = "0.1.0"

from shouldtune.api import check, run
from shouldtune.spec import TaskSpec, load_spec

__all__ = ["TaskSpec", "__version__", "check", "load_spec", "run"]

"""The bundled examples that `shouldtune demo` runs, with the verdict each lands on.

Each is a folder under examples/ with its data and task.yaml. The verdict listed here is the
one measured with the embedded default model; `shouldtune demo` prints what was measured
next to it, and a slow test checks that they agree. No bundled example lands on FINE_TUNE
since the prompt search: every task built to need a fine-tune was solved by a searched prompt
on the same model (examples/README.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Demo:
    name: str
    shows: str  # the verdict it was built to show
    why: str


DEMOS: dict[str, Demo] = {
    demo.name: demo
    for demo in (
        Demo(
            "order-numbers",
            "PROMPT",
            "the order number in a customer's message: asked plainly, the model answers in a "
            "sentence; a few examples in the prompt teach it to reply with the number alone",
        ),
        Demo(
            "docs-qa",
            "RAG",
            "questions about a made-up company: facts no model can know without its documents",
        ),
        Demo(
            "support-triage",
            "PROMPT",
            "routing customer emails to four queues: a plain few-shot prompt scores about 47% "
            "and a fine-tune about 94%; the prompt search finds a prompt (the nearest train "
            "emails as examples) that gets there without training",
        ),
    )
}
"""In ladder order; a demo is listed only once its verdict was measured (examples/README.md)."""


class DemoError(Exception):
    """The examples folder or a demo in it cannot be found; the message says where to look."""


def examples_dir() -> Path:
    """SHOULDTUNE_EXAMPLES, else the checkout's examples/ (an editable install), else ./examples."""
    candidates = [
        Path(os.environ["SHOULDTUNE_EXAMPLES"]) if os.environ.get("SHOULDTUNE_EXAMPLES") else None,
        Path(__file__).resolve().parents[2] / "examples",
        Path.cwd() / "examples",
    ]
    for candidate in candidates:
        if candidate is not None and (candidate / "docs-qa" / "task.yaml").exists():
            return candidate
    raise DemoError(
        "the bundled examples were not found: run from a shouldtune checkout, or set "
        "SHOULDTUNE_EXAMPLES to its examples/ folder"
    )


def task_file(name: str) -> Path:
    if name not in DEMOS:
        raise DemoError(f"no demo named {name!r}; choose one of: {', '.join(DEMOS)}")
    return examples_dir() / name / "task.yaml"

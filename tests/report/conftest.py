"""Run directories for report tests, produced by `shouldtune.run` with scripted models."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from shouldtune.api import run
from shouldtune.results import RunResult
from shouldtune.spec import TaskSpec
from tests.fakes import ScriptedModel, last_input

COLORS = ("red", "green", "blue")
# Pinned, so that these tests do not follow changes to the default ladder.
RUNGS = ["zero_shot", "few_shot"]


def color_task(tmp_path: Path, n: int = 90, name: str = "colors") -> TaskSpec:
    """A 3-label task: 'item number I, <b>tag</b> ...' is labelled by I mod 3."""
    path = tmp_path / f"{name}.jsonl"
    rows = [
        # Markup-looking text: the reports must show it, never interpret it.
        {"text": f"item number {i} <b>tag</b> | {COLORS[i % 3]}", "label": COLORS[i % 3]}
        for i in range(n)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return TaskSpec(
        name=name,
        data=path,
        input="text",
        expected="label",
        bar=0.8,
        rungs=RUNGS,
        calibrate="off",  # the scripted answers read an item number every input has
    )


def shaky(prompt: str) -> str:
    """Zero-shot answers 'red' to everything; few-shot is right except for multiples of 5."""
    text = last_input(prompt)
    if not text.startswith("item number"):
        return "red"  # a content-free input (calibration) has no item number
    number = int(text.split()[2])
    truth = text.rsplit(" ", 1)[-1]
    if prompt.count("Input:") <= 1:
        return "red"
    return COLORS[(number + 1) % 3] if number % 5 == 0 else truth


def make_run(
    tmp_path: Path,
    answer: Callable[[str], str] = shaky,
    *,
    spec: TaskSpec | None = None,
    model_name: str = "scripted",
) -> RunResult:
    return run(
        spec or color_task(tmp_path),
        cache_dir=tmp_path / "cache",
        runs_dir=tmp_path / "runs",
        model=ScriptedModel(answer, name=model_name),
    )


@pytest.fixture
def label_run(tmp_path: Path) -> Path:
    """A finished run directory of a label task whose rungs fail in different ways."""
    return Path(make_run(tmp_path).run_dir or "")


@pytest.fixture
def generated_run(tmp_path: Path) -> Path:
    """A finished run directory of a generated (exact-scored) task."""
    path = tmp_path / "shout.jsonl"
    rows = [
        {"input": f"say {w} {i}", "expected": f"{w.upper()} {i}"}
        for i, w in enumerate(["alpha", "beta", "gamma"] * 20)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")

    def shout(prompt: str) -> str:
        said = last_input(prompt).removeprefix("say ")
        return "" if said.endswith("7") else said.upper()

    result = make_run(tmp_path, shout, spec=TaskSpec(name="shout", data=path, rungs=RUNGS))
    return Path(result.run_dir or "")


@pytest.fixture
def label_run_result(label_run: Path) -> RunResult:
    from shouldtune.report.load import load_run

    return load_run(label_run).result

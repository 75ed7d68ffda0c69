"""The Model Protocol declares everything the evaluator asks of a model; every backend has it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from shouldtune.models.base import Model
from shouldtune.models.hf import HFModel
from shouldtune.models.llamacpp import LlamaCppModel
from shouldtune.models.mock import MockModel
from shouldtune.models.openai_compat import OpenAICompatModel
from tests.fakes import ScriptedModel

SRC = Path(__file__).resolve().parents[2] / "src" / "shouldtune"
DECLARED = {name for name in vars(Model) if not name.startswith("_")}
CAPABILITIES = {"scores_labels", "max_concurrency", "usage_source", "call_stats", "adaptations"}
# The modules that drive a model through `ctx.model` (the evaluator and what shares its context).
PROBES = ("getattr", "hasattr")
DRIVERS = ["evaluate.py", "demonstrations.py", "analysis/reproduce.py", "rungs/few_shot.py"]


def _model_reads(path: Path) -> tuple[set[str], list[str]]:
    """(attributes read as ctx.model.NAME, getattr(...model..., ...) calls) in one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    reads: set[str] = set()
    probes: list[str] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "model"
        ):
            reads.add(node.attr)
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", None) in PROBES
            and node.args
            and "model" in ast.unparse(node.args[0])
        ):
            probes.append(ast.unparse(node))
    return reads, probes


def test_the_protocol_declares_the_capabilities() -> None:
    assert CAPABILITIES <= DECLARED
    assert {"render", "generate", "loglik", "count_tokens", "close", "info"} <= DECLARED


@pytest.mark.parametrize("module", DRIVERS)
def test_drivers_read_only_declared_members_and_never_probe(module: str) -> None:
    reads, probes = _model_reads(SRC / module)
    assert probes == []  # a capability is declared, not discovered with getattr
    assert reads - DECLARED == set()


@pytest.mark.parametrize(
    "backend", [LlamaCppModel, HFModel, OpenAICompatModel, MockModel, ScriptedModel]
)
def test_every_backend_implements_every_member(backend: type) -> None:
    assert sorted(name for name in DECLARED if not hasattr(backend, name)) == []

"""The layers of src/shouldtune, checked by reading the source (nothing is imported).

Every `import` counts: module level, inside functions (the lazy imports that keep start-up
fast) and under `if TYPE_CHECKING:`, because a lazy import still runs, and a type-only
import across a layer is the start of a real one. A module's reach is everything it imports,
directly or through other modules, including the `__init__` of every sub-package on the way.
The root package `shouldtune/__init__.py` is left out of the reach: it is the public facade
over the whole tree, and importing any submodule runs it anyway.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
ROOT = "shouldtune"

# What loads or calls a model: the loader, every backend, and the evaluator that drives them.
MODEL_CALLING = (
    "shouldtune.evaluate",
    "shouldtune.models.registry",
    "shouldtune.models.llamacpp",
    "shouldtune.models.hf",
    "shouldtune.models.openai_compat",
    "shouldtune.models.dequantize",
    "shouldtune.models.mock",
)
PIPELINE = ("shouldtune.ladder", "shouldtune.rungs", "shouldtune.training", "shouldtune.api")


def module_files(src: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package under `src`."""
    found: dict[str, Path] = {}
    for path in sorted((src / ROOT).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _packages_of(name: str) -> list[str]:
    """The sub-packages whose `__init__` runs on the way to `name` (the root excluded)."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(2, len(parts))]


def imports_of(name: str, path: Path, modules: Iterable[str]) -> set[str]:
    """The package's modules that `name` imports anywhere in its source."""
    known = set(modules)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from .x import y
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [base]
            # `from shouldtune.rungs import few_shot` imports the module few_shot too.
            targets += [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            if target in known and target != ROOT:
                found.add(target)
                found.update(p for p in _packages_of(target) if p in known)
    found.discard(name)
    return found


@cache
def graph(src: Path = SRC) -> dict[str, frozenset[str]]:
    files = module_files(src)
    return {name: frozenset(imports_of(name, path, files)) for name, path in files.items()}


def reach(name: str, src: Path = SRC) -> set[str]:
    """Everything `name` imports, directly or through the modules it imports."""
    edges = graph(src)
    seen: set[str] = set()
    todo = [name, *_packages_of(name)]
    while todo:
        current = todo.pop()
        for target in edges.get(current, frozenset()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    seen.discard(name)
    return seen


def _under(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def forbidden(sources: Iterable[str], banned: Iterable[str], src: Path = SRC) -> list[str]:
    """'a -> b' for every module `a` of `sources` whose reach includes a banned module `b`."""
    banned = tuple(banned)
    return sorted(
        f"{module} -> {target}"
        for module in sources
        for target in reach(module, src)
        if _under(target, banned)
    )


def under(prefix: str, src: Path = SRC) -> list[str]:
    return sorted(m for m in graph(src) if _under(m, [prefix]))


def circles(src: Path = SRC) -> list[list[str]]:
    """The import circles: groups of modules that each reach all the others (Tarjan)."""
    edges = graph(src)
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        for target in edges[module]:
            if target not in order:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], order[target])
        if low[module] == order[module]:
            group: list[str] = []
            while not group or group[-1] != module:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(edges):
        if module not in order:
            visit(module)
    return sorted(found)


# --- the rules ----------------------------------------------------------------------------


def test_no_import_circles() -> None:
    """Each layer imports only those below it, so every module can be read (and tested) alone."""
    assert circles() == []


def test_reports_never_reach_the_pipeline_or_a_model() -> None:
    """Re-rendering a saved run reads files; it must not pull in the runtime."""
    assert forbidden(under("shouldtune.report"), PIPELINE + MODEL_CALLING) == []


def test_the_model_layer_never_reaches_training() -> None:
    assert forbidden(under("shouldtune.models"), ["shouldtune.training"]) == []


@pytest.mark.parametrize(
    "module",
    [
        "shouldtune.decide",
        "shouldtune.findings",
        "shouldtune.decide_words",
        "shouldtune.policy",
        "shouldtune.cost",
        "shouldtune.results",
    ],
)
def test_verdict_cost_and_results_never_call_a_model(module: str) -> None:
    assert forbidden([module], PIPELINE + MODEL_CALLING) == []


def test_no_rung_imports_another_rung() -> None:
    """A rung is one module: what two rungs share lives below them (demonstrations, prompts).

    Direct imports only: every rung reaches the registry's siblings through nothing else.
    """
    rungs = [m for m in under("shouldtune.rungs") if m != "shouldtune.rungs"]
    edges = graph()
    crossing = sorted(
        f"{module} -> {target}"
        for module in rungs
        for target in edges[module]
        if _under(target, ["shouldtune.rungs"])
    )
    assert rungs and crossing == []


def test_the_records_layer_imports_nothing_above_it() -> None:
    """records.py and the rung settings it holds are the bottom: every other layer reads them."""
    assert reach("shouldtune.records") == {"shouldtune.rung_settings"}
    assert reach("shouldtune.rung_settings") == set()


# --- the checker itself -------------------------------------------------------------------


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / ROOT / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_the_checker_follows_lazy_relative_and_package_imports(tmp_path: Path) -> None:
    src = _write(
        tmp_path,
        {
            "__init__.py": "from shouldtune import top\n",
            "top.py": "",
            "low.py": "def f():\n    from shouldtune.mid import g\n",
            "mid.py": "import typing\nif typing.TYPE_CHECKING:\n    from . import pkg\n",
            "pkg/__init__.py": "",
            "pkg/leaf.py": "from .. import deep\n",
            "deep.py": "import shouldtune.pkg.leaf\n",
            "loner.py": "import os\nfrom shouldtune import deep as d\n",
        },
    )
    assert reach("shouldtune.low", src) == {
        "shouldtune.mid",
        "shouldtune.pkg",
    }
    assert reach("shouldtune.loner", src) == {
        "shouldtune.deep",
        "shouldtune.pkg",
        "shouldtune.pkg.leaf",
    }
    assert forbidden(["shouldtune.low"], ["shouldtune.pkg"], src) == [
        "shouldtune.low -> shouldtune.pkg"
    ]
    assert circles(src) == [["shouldtune.deep", "shouldtune.pkg.leaf"]]

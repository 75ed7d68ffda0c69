"""The Python API: `shouldtune.run(...)` and `shouldtune.check(...)`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from shouldtune.cache import CallCache
from shouldtune.spec import TaskSpec, load_spec, merge, spec_from_dict

if TYPE_CHECKING:
    from shouldtune.ladder import Reporter
    from shouldtune.models.base import Model
    from shouldtune.plan import Plan
    from shouldtune.results import Prepared, RunResult


COMMAND_LINE = "command line"  # the `source` the CLI passes: its overrides are flags


def as_spec(
    task: TaskSpec | Path | str | dict[str, Any],
    overrides: dict[str, Any],
    *,
    source: str = "task spec",
) -> TaskSpec:
    """A TaskSpec from a spec, a dict, a YAML spec file or a data file, with overrides on top.

    `source` names where a data file's settings came from in error messages (the CLI's flags).
    """
    # Errors in values the command line gave name their flag (--bar), not a key.
    flags = overrides if source == COMMAND_LINE else None
    if isinstance(task, TaskSpec):
        if not overrides:
            return task
        return spec_from_dict(merge(task.model_dump(), overrides), given=flags)
    if isinstance(task, dict):
        return spec_from_dict({**task, **overrides}, given=flags)
    path = Path(task)
    if path.suffix.lower() in (".yaml", ".yml"):
        return load_spec(path, overrides, flags=flags is not None)
    return spec_from_dict({"data": str(path), **overrides}, source=source, given=flags)


def run(
    task: TaskSpec | Path | str | dict[str, Any],
    *,
    cache_dir: Path | None = None,
    runs_dir: Path | None = Path("runs"),
    allow_python: bool = False,
    model: Model | None = None,
    reporter: Reporter | None = None,
    **overrides: Any,
) -> RunResult:
    """Climb the ladder on a task (a TaskSpec, a YAML spec, or a data file plus overrides).

    >>> result = shouldtune.run("examples.jsonl", expected="label")  # doctest: +SKIP
    >>> result.verdict.kind  # doctest: +SKIP
    'PROMPT'
    """
    from shouldtune.ladder import run_ladder
    from shouldtune.report.write import write_reports

    spec = as_spec(task, overrides)
    cache = CallCache(cache_dir)
    try:
        result = run_ladder(
            spec,
            cache=cache,
            runs_dir=runs_dir,
            allow_python=allow_python,
            model=model,
            reporter=reporter,
        )
    finally:
        cache.close()
    # The reports are rendered from the finished run directory, here rather than in the
    # ladder: the report package reads saved runs and never imports the pipeline.
    if result.run_dir is not None:
        write_reports(Path(result.run_dir))
    return result


def check(
    task: TaskSpec | Path | str | dict[str, Any],
    *,
    cache_dir: Path | None = None,
    model: Model | None = None,
    **overrides: Any,
) -> Prepared:
    """The pre-check alone: load, validate, de-duplicate, count tokens and split."""
    return check_and_plan(task, cache_dir=cache_dir, model=model, probe=None, **overrides)[0]


def plan(
    task: TaskSpec | Path | str | dict[str, Any],
    *,
    cache_dir: Path | None = None,
    model: Model | None = None,
    probe: bool = True,
    **overrides: Any,
) -> Plan:
    """What a run would cost: calls, seconds (from a few timed calls) and USD per rung."""
    found = check_and_plan(task, cache_dir=cache_dir, model=model, probe=probe, **overrides)[1]
    assert found is not None
    return found


def check_and_plan(
    task: TaskSpec | Path | str | dict[str, Any],
    *,
    cache_dir: Path | None = None,
    model: Model | None = None,
    probe: bool | None = False,
    **overrides: Any,
) -> tuple[Prepared, Plan | None]:
    """The pre-check and, unless `probe` is None, the plan (timed when `probe` is True)."""
    from shouldtune.cost import task_prices
    from shouldtune.ladder import check_late_inputs, prepare, read_examples
    from shouldtune.models.registry import load_model
    from shouldtune.pii_gate import check_gate
    from shouldtune.plan import plan_for

    spec = as_spec(task, overrides)
    cache = CallCache(cache_dir)
    check_late_inputs(spec, cache)  # as run does, before the model loads
    examples = read_examples(spec)
    loaded = model or load_model(
        spec.model, cache, context_length=spec.context_length, api=spec.api
    )
    try:
        prepared = prepare(spec, loaded, examples)
        task_prices(prepared.spec)  # a bad price table is refused by check as by run
        if probe:
            # Timing calls send a few examples to the model: the personal-data gate first.
            check_gate(prepared.spec, prepared.pii, training=False)
        found = None if probe is None else plan_for(prepared, loaded, probe=probe)
        return prepared, found
    finally:
        if model is None:
            loaded.close()
        cache.close()

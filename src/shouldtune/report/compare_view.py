"""A run comparison for people: a rich table on the terminal, or Markdown for a pull request."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from shouldtune.analysis.stats import PairedTest
from shouldtune.records import Interval
from shouldtune.report.compare import RunComparison
from shouldtune.report.markdown import code, md
from shouldtune.terminal_text import escape


def _score(score: Interval | None) -> str:
    return "not run" if score is None else score.fmt()


def _diff(value: float | None) -> str:
    return "" if value is None else f"{value * 100:+.1f} pts"


def compact_score(score: Interval | None) -> str:
    if score is None:
        return "not run"
    return f"{score.point:.1%} [{score.low * 100:.1f}, {score.high * 100:.1f}]"


def points(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:+.1f}"


def paired_words(test: PairedTest | None) -> str:
    if test is None:
        return "not paired"
    interval = (
        f" [{test.low * 100:+.1f}, {test.high * 100:+.1f}]"
        if test.low is not None and test.high is not None
        else ""
    )
    return f"{test.diff * 100:+.1f} pts{interval}, p={test.p_value:.3g} ({test.method}, n={test.n})"


def render_comparison(console: Console, comparison: RunComparison) -> None:
    a, b = comparison.a, comparison.b
    for tag, side in (("A", a), ("B", b)):
        console.print(
            f"[bold]{tag}[/bold] {escape(f'{side.run_dir}: {side.task}, {side.model}')}, "
            f"{side.n_test} test, verdict [bold]{escape(side.verdict)}[/bold]",
            highlight=False,
        )
    style = "green" if comparison.test_sets.same else "yellow"
    console.print(f"[{style}]{escape(comparison.note)}[/{style}]", highlight=False)
    if comparison.changed:
        changed = escape("; ".join(comparison.changed))
        console.print(f"[dim]changed: {changed}[/dim]", highlight=False)
    tests = {(r.paired.method, r.paired.n) for r in comparison.rungs if r.paired is not None}
    caption = "; ".join(f"{method} on {n} paired examples" for method, n in sorted(tests))
    same = comparison.test_sets.same
    table = Table(title="B against A (points)", caption=caption or "nothing paired")
    table.add_column("rung", no_wrap=True)
    # On one test set the paired difference is B - A itself; on two it is measured on the
    # shared examples only, so both are shown.
    columns = ["A [95% CI]", "B [95% CI]", "B - A"] + ([] if same else ["paired"]) + ["p"]
    for column in columns:
        table.add_column(column, justify="right", no_wrap=True)
    for rung in comparison.rungs:
        test = rung.paired
        cells = [escape(rung.rung), compact_score(rung.a), compact_score(rung.b), points(rung.diff)]
        if not same:
            cells.append(points(test.diff) if test is not None else "-")
        cells.append(f"{test.p_value:.3g}" if test is not None else "-")
        table.add_row(*cells)
    console.print(table)


def comparison_markdown(comparison: RunComparison) -> str:
    a, b = comparison.a, comparison.b
    lines = [
        f"## shouldtune compare: {md(a.task)} · {md(a.model)} vs {md(b.task)} · {md(b.model)}",
        "",
        f"- **A**: {code(a.run_dir)}, verdict **{a.verdict}**: {md(a.headline)}",
        f"- **B**: {code(b.run_dir)}, verdict **{b.verdict}**: {md(b.headline)}",
        "",
        md(comparison.note),
        "",
    ]
    if comparison.changed:
        lines += ["Changed: " + "; ".join(md(change) for change in comparison.changed), ""]
    lines += [
        "| rung | A score [95% CI] | B score [95% CI] | B - A | paired B - A |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for rung in comparison.rungs:
        cells = (_score(rung.a), _score(rung.b), _diff(rung.diff), paired_words(rung.paired))
        lines.append(f"| {code(rung.rung)} | " + " | ".join(md(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"

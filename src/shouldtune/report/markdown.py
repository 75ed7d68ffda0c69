"""report.md: a short summary to paste into a pull request or an issue.

Link-free and self-contained: the verdict, its headline and answer, the rung table with
intervals, the paired comparisons and the top failure categories per rung. Text from the
user's files is escaped so that it cannot open markup, links or table cells.
"""

from __future__ import annotations

import re

from shouldtune.baseline import short
from shouldtune.pii import describe_counts
from shouldtune.records import Comparison
from shouldtune.report.baseline_view import no_constant_words, second_figures, trivial_words
from shouldtune.report.cost_view import cost_markdown
from shouldtune.report.extras import nothing_better, search_outcome, val_text
from shouldtune.report.facts import (
    deciding_comparisons,
    failure_categories,
    rung_models,
    rung_status,
    status_words,
    top_failures,
)
from shouldtune.report.load import RunData
from shouldtune.report.sweep_view import budget_text, interval_text, sweep_rows

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#!~])")


def md(text: str) -> str:
    """Escape Markdown syntax and fold newlines, so user text stays plain text in one line."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def code(text: str) -> str:
    quoted = text.replace("`", "'")
    return f"`{quoted}`"


def _prompt_search_lines(run: RunData) -> list[str]:
    rung = next((r for r in run.result.rungs if r.rung == "prompt_search"), None)
    search = rung.settings.search if rung is not None else None
    if rung is None or search is None:
        return []
    lines = [
        "",
        "**Prompt search**",
        "",
        f"- Tried {search.tried} of {search.space} prompts within "
        f"{search.calls} calls (budget {search.budget}) on "
        f"{search.val_size} validation examples from train.",
        f"- {search_outcome(search)[0].upper()}{search_outcome(search)[1:]}.",
        f"- Winner {code(search.winner)}: "
        f"{val_text(search.winner_val_score, search.winner_val_pass, None, search.signal)} "
        f"on validation, {rung.score.fmt()} on the test split.",
    ]
    versus = search.versus_baseline
    if versus is not None and search.best is not None:
        lines.append(
            f"- Best other prompt {code(search.best)} against few-shot's on {versus.n} "
            f"validation examples: {versus.diff:+.3f} ({versus.method}, "
            f"p = {versus.p_value:.3g}), pass rate {versus.pass_diff:+.1%}."
        )
    nothing = nothing_better(search)
    if nothing is not None:
        lines.append(f"- {md(nothing)}")
    prompt_file = rung.settings.prompt_file
    if prompt_file:
        lines.append(f"- The winning prompt: {code(prompt_file)} in the run directory.")
        found = (run.path / prompt_file).resolve()
        if found.is_relative_to(run.path.resolve()) and found.is_file():
            lines += ["", *fenced(found.read_text(encoding="utf-8", errors="replace"))]
    return lines


def _sweep_lines(run: RunData) -> list[str]:
    rows = sweep_rows(run.result)
    if not rows:
        return []
    lines = [
        "",
        "**LoRA sweep: task score against general-probe score** (chosen on a validation "
        "slice of train, never the test split)",
        "",
        "| setting | task (test) | general probe | validation | budget | |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for row in rows:
        lines.append(
            f"| {code(row.label)} | {interval_text(row.task)} | {interval_text(row.probe)} "
            f"| {row.val_score:.1%} on {row.val_n} | {budget_text(row)} "
            f"| {'chosen' if row.chosen else ''} |"
        )
    return lines


def _comparison_line(c: Comparison) -> str:
    p = f", p = {c.p_value:.3g}" if c.p_value is not None else ""
    return f"- {code(c.b)} vs {code(c.a)}: {c.diff * 100:+.1f} pts ({c.method}{p}, n = {c.n})"


def fenced(text: str) -> list[str]:
    """A code block no line of `text` can close: the fence outruns its longest backtick run."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}text", *text.rstrip("\n").splitlines(), fence]


def render_markdown(run: RunData) -> str:
    result = run.result
    verdict = result.verdict
    within = result.prompt_fraction * result.bar
    lines = [
        f"## shouldtune · {md(result.task)}: **{verdict.kind}**",
        "",
        f"**{md(verdict.headline)}**",
        "",
        md(verdict.answer),
        "",
    ]
    # The second figure, when the constant earns part of the credit: one more column.
    second = {f.rung: interval_text(f.nontrivial) for f in second_figures(result)}
    extra = (" on the non-trivial part |", " ---: |") if second else ("", "")
    lines += [
        "| rung | score | 95% interval | status | n | latency | prompt tokens |" + extra[0],
        "| --- | ---: | ---: | --- | ---: | ---: | ---: |" + extra[1],
    ]
    models = rung_models(result) or [""] * len(result.rungs)
    base = result.baseline
    if base is not None:  # first: what answering one constant every time scores
        b = base.score
        lines.append(
            f"| baseline: always {code(short(base.constant))} | {b.point:.1%} "
            f"| [{b.low:.1%}, {b.high:.1%}] | no model, never a candidate | {base.n} | 0 ms | 0 |"
            + (" 0.0% |" if second else "")
        )
    for rung, model in zip(result.rungs, models, strict=True):
        s = rung.score
        status = status_words(rung_status(s, result.bar, within), s, result.bar)
        name = f"{code(rung.rung)} ({md(model)})" if model else code(rung.rung)
        lines.append(
            f"| {name} | {s.point:.1%} | [{s.low:.1%}, {s.high:.1%}] | {status} "
            f"| {rung.n} | {rung.mean_latency_s * 1000:,.0f} ms | {rung.mean_prompt_tokens:,.0f} |"
            + (f" {second.get(rung.rung, '')} |" if second else "")
        )
    for name, reason in result.skipped.items():
        lines.append(f"| {code(name)} | | | not climbed: {md(reason)} | | | |")
    lines += [
        "",
        f"Bar {result.bar:.0%}; prompt iteration threshold {within:.0%} "
        f"(prompt_fraction × bar). Model {md(result.model.name)} ({md(result.model.backend)}), "
        f"scorer {code(result.scorer)}, {result.split.n_test} test / {result.split.n_train} train "
        f"examples, split seed {result.split.seed}."
        # Kept in the same paragraph: report.md stays short.
        + (f" {md(words)}" if second and (words := trivial_words(result)) else "")
        + (f" {md(none)}" if (none := no_constant_words(result)) else ""),
    ]
    if result.precheck.pii:
        lines += [
            "",
            "Values that look like personal data or secrets were found in the examples "
            f"({md(describe_counts(result.precheck.pii))}); every example quoted here shows "
            "them masked.",
        ]
    deciding, others = deciding_comparisons(result)
    compared = [c for c in deciding if c.p_value is not None]
    folded = [c for c in others if c.p_value is not None]
    if compared or folded:
        lines += ["", "**Paired comparisons**", ""]
        lines += [_comparison_line(c) for c in compared]
    if folded:
        # The comparisons the verdict did not turn on: folded (GitHub renders <details>).
        plural = "s" if len(folded) > 1 else ""
        summary = f"{len(folded)} other paired comparison{plural}"
        lines += ["", f"<details><summary>{summary}</summary>", ""]
        lines += [_comparison_line(c) for c in folded]
        lines += ["", "</details>"]
    names = [r.rung for r in result.rungs]
    categories = failure_categories(names, run.predictions)
    if categories:
        lines += ["", "**Top failure categories**", ""]
        for name in names:
            top = top_failures(categories, name)
            shown = ", ".join(f"{code(category)} {count}" for category, count in top)
            lines.append(f"- {code(name)}: {shown or 'no failures'}")
    lines += _prompt_search_lines(run)
    lines += _sweep_lines(run)
    if result.cost is not None:
        lines += ["", *cost_markdown(result.cost, md)]
    lines += [
        "",
        f"<sub>shouldtune {result.shouldtune_version} · results schema "
        f"v{result.schema_version}</sub>",
        "",
    ]
    return "\n".join(lines)

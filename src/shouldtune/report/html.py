"""report.html: one self-contained page (inline CSS, JS and SVG) rendered with Jinja2.

Autoescape is on for the whole template: inputs, outputs, labels and task names come from
the user's files and the model's answers, so none of it may become markup. A
Content-Security-Policy in the page forbids every network request, so a report that opens
at all shows everything it has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from shouldtune.report import charts
from shouldtune.report.baseline_view import (
    constant_label,
    no_constant_words,
    second_figures,
    trivial_words,
)
from shouldtune.report.extras import extras
from shouldtune.report.facts import (
    FailureCategory,
    RungStatus,
    confusion,
    deciding_comparisons,
    example_rows,
    failure_categories,
    rung_models,
    rung_status,
    status_words,
    top_confusions,
)
from shouldtune.report.load import RunData

# Wider label sets make a matrix nobody can read; the top confusion pairs are listed instead.
MAX_CONFUSION_LABELS = 30


@dataclass(frozen=True)
class RungRow:
    name: str
    status: RungStatus
    status_words: str
    score: str
    low: str
    high: str
    n: int
    latency_ms: float
    prompt_tokens: float
    completion_tokens: float
    computed_calls: int
    cached_calls: int
    model: str = ""  # only when the rungs were answered by different models


@dataclass(frozen=True)
class ConfusionView:
    rung: str
    chart: Markup | None
    top: list[tuple[str, str, int]]


def pct0(value: float) -> str:
    """A share as a percentage, with a decimal only when it is not whole (64%, 72.5%)."""
    whole = abs(value * 100 - round(value * 100)) < 0.05
    return f"{value:.0%}" if whole else f"{value:.1%}"


def ms(value: float) -> str:
    return f"{value:,.1f} ms" if value < 10 else f"{value:,.0f} ms"


def spct(value: float) -> str:
    return f"{value * 100:+.1f} pts"


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("shouldtune.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["pct0"] = pct0
    env.filters["spct"] = spct
    env.filters["ms"] = ms
    return env


def _failure_chart(
    rungs: list[RungRow], passed: dict[str, int], categories: list[FailureCategory]
) -> Markup:
    colors = {c.name: charts.PALETTE[i % len(charts.PALETTE)] for i, c in enumerate(categories)}
    rows = [
        charts.BarRow(
            rung.name,
            [charts.Segment("passed", passed[rung.name], charts.PASS_COLOR)]
            + [
                charts.Segment(c.name, c.counts.get(rung.name, 0), colors[c.name])
                for c in categories
            ],
            f"{rung.n - passed[rung.name]} of {rung.n} failed",
        )
        for rung in rungs
    ]
    legend = [("passed", charts.PASS_COLOR)] + [(c.name, colors[c.name]) for c in categories]
    return charts.bar_chart("failures", "Passed and failure categories per rung", rows, legend)


def _baseline_row(run: RunData) -> charts.ScoreRow | None:
    """The constant answer as the score chart's first row (its status is never shown)."""
    base, label = run.result.baseline, constant_label(run.result, 22)
    if base is None or label is None:
        return None
    within = run.result.prompt_fraction * run.result.bar
    return charts.ScoreRow(label, base.score, rung_status(base.score, run.result.bar, within))


def context(run: RunData) -> dict[str, Any]:
    result = run.result
    within = result.prompt_fraction * result.bar
    models = rung_models(result) or [""] * len(result.rungs)
    rungs = [
        RungRow(
            name=r.rung,
            status=(status := rung_status(r.score, result.bar, within)),
            status_words=status_words(status, r.score, result.bar),
            score=f"{r.score.point:.1%}",
            low=f"{r.score.low:.1%}",
            high=f"{r.score.high:.1%}",
            n=r.n,
            latency_ms=r.mean_latency_s * 1000,
            prompt_tokens=r.mean_prompt_tokens,
            completion_tokens=r.mean_completion_tokens,
            computed_calls=r.computed_calls,
            cached_calls=r.cached_calls,
            model=model,
        )
        for r, model in zip(result.rungs, models, strict=True)
    ]
    names = [r.name for r in rungs]
    predictions = [p for p in run.predictions if p.rung in names]
    categories = failure_categories(names, predictions)
    passed = {name: 0 for name in names}
    for p in predictions:
        passed[p.rung] += p.passed
    confusions: list[ConfusionView] = []
    if result.labels:
        for name in names:
            matrix = confusion(name, result.labels, [p for p in predictions if p.rung == name])
            small = len(matrix.columns) <= MAX_CONFUSION_LABELS
            chart = charts.confusion_chart(matrix) if small else None
            confusions.append(ConfusionView(name, chart, top_confusions(matrix)))
    score_chart = charts.score_chart(
        [
            charts.ScoreRow(r.rung, r.score, row.status)
            for r, row in zip(result.rungs, rungs, strict=True)
        ],
        result.bar,
        within,
        baseline=_baseline_row(run),
    )
    latency_chart = charts.bar_chart(
        "latency",
        "Mean latency per request, per rung",
        [
            charts.BarRow(
                r.name, [charts.Segment("latency", r.latency_ms, "#0969da")], ms(r.latency_ms)
            )
            for r in rungs
        ],
    )
    tokens_chart = charts.bar_chart(
        "tokens",
        "Mean tokens per request, per rung",
        [
            charts.BarRow(
                r.name,
                [
                    charts.Segment("prompt", r.prompt_tokens, "#8250df"),
                    charts.Segment("completion", r.completion_tokens, "#e16f24"),
                ],
                f"{r.prompt_tokens + r.completion_tokens:,.0f} tokens",
            )
            for r in rungs
        ],
        legend=[("prompt tokens", "#8250df"), ("completion tokens", "#e16f24")],
    )
    deciding, others = deciding_comparisons(result)
    return {
        "result": result,
        "verdict": result.verdict,
        "within": within,
        "rungs": rungs,
        "score_chart": score_chart,
        "comparisons": result.comparisons,
        "baseline": result.baseline,
        "baseline_label": constant_label(result),
        "trivial_words": trivial_words(result),
        "no_constant": no_constant_words(result),
        "second_figures": second_figures(result),
        "deciding": deciding,
        "other_comparisons": others,
        # An interval column only where some comparison has one (McNemar gives none).
        "comparison_intervals": any(c.low is not None for c in result.comparisons),
        "categories": categories,
        "failure_chart": _failure_chart(rungs, passed, categories) if categories else None,
        "confusions": confusions,
        "latency_chart": latency_chart,
        "tokens_chart": tokens_chart,
        "extras": extras(run.raw, run.result, run.path),
        "examples": example_rows(result, predictions),
        "manifest": run.manifest,
        "when": str(run.manifest.get("updated") or run.manifest.get("started") or ""),
        "versions": run.manifest.get("versions") or {},
    }


def render_html(run: RunData) -> str:
    return _env().get_template("report.html.j2").render(context(run))

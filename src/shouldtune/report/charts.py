"""The report's charts as inline SVG, drawn in Python: no script, no library, no network.

Every chart is an `<svg data-chart="NAME">` with a text alternative, and every value it
shows also appears in a table next to it, so nothing depends on reading a picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from shouldtune.records import Interval
from shouldtune.report.facts import Confusion, RungStatus
from shouldtune.report.svg import el, svg, text, title, truncate

CHAR_W = 6.8  # average advance of a 12px sans-serif character, for layout estimates
STATUS_COLORS: dict[RungStatus, str] = {
    "meets": "#1a7f37",
    "within": "#2f81f7",
    "uncertain": "#bf8700",
    "short": "#cf222e",
}
PASS_COLOR = "#2da44e"
PALETTE = (
    "#cf222e",
    "#e16f24",
    "#bf8700",
    "#8250df",
    "#bf3989",
    "#0969da",
    "#57606a",
    "#1b7c83",
    "#953800",
    "#6e7781",
)
INK = "#1f2328"
MUTED = "#656d76"
GRID = "#d0d7de"


def _label_width(names: Sequence[str], limit: int = 24) -> float:
    longest = max((len(truncate(n, limit)) for n in names), default=4)
    return min(220.0, max(70.0, longest * CHAR_W + 16))


def _pct(value: float) -> str:
    return f"{value:.1%}"


BASELINE_COLOR = MUTED


@dataclass(frozen=True)
class ScoreRow:
    rung: str
    score: Interval
    status: RungStatus


def score_chart(
    rows: Sequence[ScoreRow], bar: float, within: float, baseline: ScoreRow | None = None
) -> Markup:
    """Each rung's point and 95% interval on a 0-100% axis, against the bar and the
    prompt-iteration threshold (prompt_fraction x bar).

    `baseline`, the constant answer, is drawn first in grey with a dotted line at its score
    down through every rung: a rung left of that line scores less than answering the same
    thing every time.
    """
    floor = baseline
    rows = [floor, *rows] if floor is not None else list(rows)
    width, right, top, row_h, bottom = 960.0, 190.0, 54.0, 38.0, 30.0
    left = _label_width([r.rung for r in rows])
    plot = width - left - right
    height = top + row_h * len(rows) + bottom

    def x(value: float) -> float:
        return left + min(1.0, max(0.0, value)) * plot

    parts: list[Markup] = []
    axis_y = top + row_h * len(rows)
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            el("line", {"x1": x(tick), "x2": x(tick), "y1": top - 4, "y2": axis_y, "stroke": GRID})
        )
        parts.append(text(x(tick), axis_y + 16, f"{tick:.0%}", fill=MUTED, text_anchor="middle"))
    # Thresholds first so that the intervals are drawn over them; their labels sit on two
    # rows so that they never overlap however close the two thresholds are.
    for value, label, dash, label_y in (
        (bar, f"bar {bar:.0%}", None, 14.0),
        (within, f"prompt_fraction × bar = {within:.0%}", "5 4", 32.0),
    ):
        parts.append(
            el(
                "line",
                {
                    "x1": x(value),
                    "x2": x(value),
                    "y1": label_y + 5,
                    "y2": axis_y,
                    "stroke": INK,
                    "stroke_width": 1.5,
                    "stroke_dasharray": dash,
                    "data-threshold": label,
                },
            )
        )
        # Keep the label inside the drawing at either end of the axis.
        half = len(label) * CHAR_W * 0.92 / 2
        anchor_x = min(max(x(value), half + 4), width - half - 4)
        parts.append(text(anchor_x, label_y, label, fill=INK, text_anchor="middle", font_size=11))
    if floor is not None:
        parts.append(
            el(
                "line",
                {
                    "x1": x(floor.score.point),
                    "x2": x(floor.score.point),
                    "y1": top,
                    "y2": axis_y,
                    "stroke": BASELINE_COLOR,
                    "stroke_width": 1.5,
                    "stroke_dasharray": "2 3",
                    "data-threshold": f"baseline {floor.score.point:.1%}",
                },
            )
        )
    for i, row in enumerate(rows):
        y = top + row_h * i + row_h / 2
        is_floor = floor is not None and i == 0
        color = BASELINE_COLOR if is_floor else STATUS_COLORS[row.status]
        s = row.score
        summary = f"{row.rung}: {s.fmt()} ({'no model' if is_floor else row.status})"
        parts.append(
            el(
                "g",
                # The constant is no rung: the report's rung filters never pick it up.
                {"data-baseline": row.rung} if is_floor else {"data-rung": row.rung},
                title(summary),
                text(left - 10, y + 4, truncate(row.rung, 24), fill=INK, text_anchor="end"),
                el(
                    "rect",
                    {
                        "x": x(s.low),
                        "y": y - 7,
                        "width": max(2.0, x(s.high) - x(s.low)),
                        "height": 14.0,
                        "rx": 7,
                        "fill": color,
                        "fill_opacity": 0.25,
                        "stroke": color,
                    },
                ),
                el("circle", {"cx": x(s.point), "cy": y, "r": 6, "fill": color}),
                text(
                    width - right + 12,
                    y + 4,
                    f"{_pct(s.point)}  [{_pct(s.low)}, {_pct(s.high)}]",
                    fill=INK,
                    font_variant_numeric="tabular-nums",
                ),
            )
        )
    return svg(
        "scores",
        width,
        height,
        "Score per rung with its 95% interval, against the bar",
        *parts,
    )


@dataclass(frozen=True)
class Segment:
    name: str
    value: float
    color: str


@dataclass(frozen=True)
class BarRow:
    name: str
    segments: list[Segment]
    label: str
    """Shown at the end of the bar, e.g. '312 ms'."""


def bar_chart(
    name: str,
    label: str,
    rows: Sequence[BarRow],
    legend: Sequence[tuple[str, str]] = (),
) -> Markup:
    """Horizontal bars, stacked when a row has several segments; one shared scale."""
    width, right, row_h, bar_h = 960.0, 130.0, 32.0, 18.0
    left = _label_width([r.name for r in rows])
    plot = width - left - right
    legend_h = 26.0 if legend else 0.0
    height = 8 + row_h * len(rows) + legend_h + 4
    most = max((sum(s.value for s in r.segments) for r in rows), default=0.0) or 1.0
    parts: list[Markup] = []
    for i, row in enumerate(rows):
        y = 8 + row_h * i
        parts.append(text(left - 10, y + bar_h / 2 + 4, truncate(row.name, 24), text_anchor="end"))
        parts.append(
            el("rect", {"x": left, "y": y, "width": plot, "height": bar_h, "fill": "#f6f8fa"})
        )
        start = left
        for segment in row.segments:
            if segment.value <= 0:
                continue
            w = segment.value / most * plot
            parts.append(
                el(
                    "rect",
                    {
                        "x": start,
                        "y": y,
                        "width": max(1.0, w),
                        "height": bar_h,
                        "fill": segment.color,
                        "data-segment": segment.name,
                    },
                    title(f"{row.name}: {segment.name} {segment.value:g}"),
                )
            )
            start += w
        parts.append(text(start + 8, y + bar_h / 2 + 4, row.label, fill=INK))
    x = left
    legend_y = 8 + row_h * len(rows) + 8
    for entry, color in legend:
        parts.append(
            el("rect", {"x": x, "y": legend_y, "width": 11, "height": 11, "rx": 2, "fill": color})
        )
        shown = truncate(entry, 28)
        parts.append(text(x + 16, legend_y + 10, shown, fill=MUTED, font_size=11, data_legend=1))
        x += 16 + len(shown) * 6.2 + 18
        if x > width - 120:
            x = left
            legend_y += 16
    if legend and legend_y > 8 + row_h * len(rows) + 8:
        height += legend_y - (8 + row_h * len(rows) + 8)
    series = len({segment.name for row in rows for segment in row.segments})
    return svg(name, width, height, label, *parts, series=series)


def confusion_chart(matrix: Confusion) -> Markup:
    """Expected labels down, predicted across; shade is the share of the expected row."""
    n_cols = len(matrix.columns)
    cell = min(44.0, max(16.0, 420.0 / max(1, n_cols)))
    left = _label_width(matrix.labels, 20)
    top = min(150.0, max(40.0, max(len(truncate(c, 20)) for c in matrix.columns) * 5.2 + 24))
    width = left + cell * n_cols + 24
    height = top + cell * len(matrix.labels) + 8
    parts: list[Markup] = []
    for j, column in enumerate(matrix.columns):
        cx = left + cell * j + cell / 2
        parts.append(
            text(
                cx,
                top - 8,
                truncate(column, 20),
                transform=f"rotate(-45 {cx:.1f} {top - 8:.1f})",
                fill=MUTED,
                font_size=11,
            )
        )
    for i, expected in enumerate(matrix.labels):
        y = top + cell * i
        parts.append(text(left - 8, y + cell / 2 + 4, truncate(expected, 20), text_anchor="end"))
        total = sum(matrix.counts[i]) or 1
        for j, column in enumerate(matrix.columns):
            count = matrix.counts[i][j]
            share = count / total
            color = PASS_COLOR if column == expected else "#cf222e"
            parts.append(
                el(
                    "rect",
                    {
                        "x": left + cell * j,
                        "y": y,
                        "width": cell - 1,
                        "height": cell - 1,
                        "fill": color if count else "#f6f8fa",
                        "fill_opacity": 0.15 + 0.85 * share if count else 1.0,
                    },
                    title(f"expected {expected}, predicted {column}: {count}"),
                )
            )
            if count and cell >= 20:
                ink = "#ffffff" if share > 0.55 else INK
                parts.append(
                    text(
                        left + cell * j + cell / 2,
                        y + cell / 2 + 4,
                        str(count),
                        fill=ink,
                        text_anchor="middle",
                        font_size=11,
                    )
                )
    return svg(
        f"confusion-{matrix.rung}",
        width,
        height,
        f"Confusion matrix of {matrix.rung}",
        *parts,
    )


def break_even_chart(
    upfront: float, monthly_savings: float, months: int, *, what_if: bool = False
) -> Markup:
    """Cumulative savings against the one-off cost; they cross at the break-even point.

    Two series, so a legend names them (above the plot), and both axes carry a title.
    """
    width, height, left, right, top, bottom = 960.0, 300.0, 84.0, 30.0, 40.0, 52.0
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(upfront, monthly_savings * months, 1.0) * 1.08

    def x(month: float) -> float:
        return left + month / months * plot_w

    def y(dollars: float) -> float:
        return top + plot_h - dollars / peak * plot_h

    parts: list[Markup] = []
    for k in range(5):
        value = peak * k / 4
        parts.append(
            el(
                "line",
                {"x1": left, "x2": width - right, "y1": y(value), "y2": y(value), "stroke": GRID},
            )
        )
        parts.append(
            text(
                left - 6,
                y(value) + 4,
                f"${value:,.0f}",
                fill=MUTED,
                text_anchor="end",
                font_size=11,
            )
        )
    for month in range(0, months + 1, max(1, months // 6)):
        parts.append(
            text(
                x(month),
                top + plot_h + 16,
                f"{month} mo",
                fill=MUTED,
                text_anchor="middle",
                font_size=11,
            )
        )
    parts.append(
        text(left + plot_w / 2, height - 8, "months after fine-tuning", text_anchor="middle")
    )
    mid = top + plot_h / 2
    parts.append(
        text(
            16,
            mid,
            "US dollars",
            text_anchor="middle",
            transform=f"rotate(-90 16 {mid:.1f})",
        )
    )
    legend = (
        ("fine-tuning cost (one-off)", "#cf222e", "6 4"),
        (
            "what-if savings: the fine-tune was not measured"
            if what_if
            else "cumulative savings against the prompted option",
            PASS_COLOR,
            None,
        ),
    )
    at = left
    for words, color, dash in legend:
        parts.append(
            el(
                "line",
                {
                    "x1": at,
                    "x2": at + 22,
                    "y1": 14,
                    "y2": 14,
                    "stroke": color,
                    "stroke_width": 2.5,
                    "stroke_dasharray": dash,
                },
            )
        )
        parts.append(text(at + 28, 18, words, fill=MUTED, font_size=11, data_legend=1))
        at += 28 + len(words) * CHAR_W * 0.92 + 24
    parts.append(
        el(
            "line",
            {
                "x1": x(0),
                "x2": x(months),
                "y1": y(upfront),
                "y2": y(upfront),
                "stroke": "#cf222e",
                "stroke_width": 2,
                "stroke_dasharray": "6 4",
            },
            title(f"fine-tuning cost ${upfront:,.0f}"),
        )
    )
    parts.append(
        el(
            "line",
            {
                "x1": x(0),
                "x2": x(months),
                "y1": y(0),
                "y2": y(monthly_savings * months),
                "stroke": PASS_COLOR,
                "stroke_width": 2.5,
            },
            title(f"cumulative savings, ${monthly_savings:,.0f} a month"),
        )
    )
    if monthly_savings > 0 and upfront / monthly_savings <= months:
        at = upfront / monthly_savings
        parts.append(el("circle", {"cx": x(at), "cy": y(upfront), "r": 5, "fill": INK}))
        parts.append(text(x(at) + 8, y(upfront) - 8, f"break-even at {at:.1f} months", fill=INK))
    label = "Cumulative savings against the fine-tuning cost"
    return svg("break-even", width, height, label, *parts, series=2)


@dataclass(frozen=True)
class TradeoffPoint:
    label: str
    task: Interval
    probe: Interval
    chosen: bool = False
    within: bool | None = None  # None: no forgetting budget


def tradeoff_chart(points: Sequence[TradeoffPoint], bar: float, probe_base: float | None) -> Markup:
    """Task score (x) against general-probe score (y), one point per fine-tune setting, each
    with its two 95% intervals as bars; the chosen setting ringed, the bar and the base
    model's probe score drawn as lines."""
    width, height, left, right, top, bottom = 640.0, 420.0, 64.0, 24.0, 24.0, 52.0
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(value: float) -> float:
        return left + min(1.0, max(0.0, value)) * plot_w

    def y(value: float) -> float:
        return top + (1.0 - min(1.0, max(0.0, value))) * plot_h

    parts: list[Markup] = []
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            el("line", {"x1": x(tick), "x2": x(tick), "y1": top, "y2": y(0), "stroke": GRID})
        )
        parts.append(
            el("line", {"x1": left, "x2": x(1), "y1": y(tick), "y2": y(tick), "stroke": GRID})
        )
        parts.append(text(x(tick), y(0) + 16, f"{tick:.0%}", fill=MUTED, text_anchor="middle"))
        parts.append(text(left - 8, y(tick) + 4, f"{tick:.0%}", fill=MUTED, text_anchor="end"))
    parts.append(
        text(
            left + plot_w / 2,
            height - 10,
            "task score (test split)",
            fill=INK,
            text_anchor="middle",
        )
    )
    parts.append(
        text(
            14,
            top + plot_h / 2,
            "general probe",
            fill=INK,
            text_anchor="middle",
            transform=f"rotate(-90 14 {top + plot_h / 2:.0f})",
        )
    )
    dash: dict[str, str | float] = {"stroke": INK, "stroke_width": 1.2, "stroke_dasharray": "5 4"}
    parts.append(
        el(
            "line",
            {"x1": x(bar), "x2": x(bar), "y1": top, "y2": y(0), **dash, "data-threshold": "bar"},
        )
    )
    parts.append(text(x(bar) + 4, top + 12, f"bar {bar:.0%}", fill=INK, font_size=11))
    if probe_base is not None:
        parts.append(
            el(
                "line",
                {
                    "x1": left,
                    "x2": x(1),
                    "y1": y(probe_base),
                    "y2": y(probe_base),
                    **dash,
                    "data-threshold": "base",
                },
            )
        )
        parts.append(
            text(
                left + 4, y(probe_base) - 4, f"base model {probe_base:.0%}", fill=INK, font_size=11
            )
        )
    for i, p in enumerate(points):
        color = PALETTE[i % len(PALETTE)] if p.within is not False else MUTED
        cx, cy = x(p.task.point), y(p.probe.point)
        summary = (
            f"{p.label}: task {p.task.fmt()}, general probe {p.probe.fmt()}"
            + ("" if p.within is None else ", within budget" if p.within else ", over budget")
            + (" (chosen)" if p.chosen else "")
        )
        mark = [
            el(
                "line",
                {
                    "x1": x(p.task.low),
                    "x2": x(p.task.high),
                    "y1": cy,
                    "y2": cy,
                    "stroke": color,
                    "stroke_width": 2,
                },
            ),
            el(
                "line",
                {
                    "x1": cx,
                    "x2": cx,
                    "y1": y(p.probe.low),
                    "y2": y(p.probe.high),
                    "stroke": color,
                    "stroke_width": 2,
                },
            ),
            el("circle", {"cx": cx, "cy": cy, "r": 5, "fill": color}),
        ]
        if p.chosen:
            mark.append(
                el(
                    "circle",
                    {"cx": cx, "cy": cy, "r": 10, "fill": "none", "stroke": INK, "stroke_width": 2},
                )
            )
        # Labels sit towards the middle of the plot, and step up one line per point, so
        # settings with close scores (the usual case) do not print over each other.
        right_half = p.task.point > 0.5
        mark.append(
            text(
                cx - 12 if right_half else cx + 12,
                max(top + 10, cy - 12 - 13 * (i % 4)),
                truncate(p.label, 28) + (" (chosen)" if p.chosen else ""),
                fill=INK,
                font_size=11,
                text_anchor="end" if right_half else "start",
            )
        )
        parts.append(
            el(
                "g",
                {
                    "class": "sweep-point chosen" if p.chosen else "sweep-point",
                    "data-setting": p.label,
                },
                title(summary),
                *mark,
            )
        )
    return svg(
        "tradeoff",
        width,
        height,
        "Task score against general-probe score per fine-tune setting, with 95% intervals",
        *parts,
    )

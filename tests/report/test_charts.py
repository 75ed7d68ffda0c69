"""Chart geometry read back from the SVG: positions follow the numbers, text stays text."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from shouldtune.records import Interval
from shouldtune.report.charts import (
    BarRow,
    ScoreRow,
    Segment,
    bar_chart,
    break_even_chart,
    confusion_chart,
    score_chart,
)
from shouldtune.report.facts import Confusion

NS = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)


def test_score_chart_places_points_intervals_and_thresholds_on_the_axis() -> None:
    rows = [
        ScoreRow("zero_shot", Interval(point=0.3, low=0.2, high=0.45, method="wilson"), "short"),
        ScoreRow("few_shot", Interval(point=0.85, low=0.7, high=0.93, method="wilson"), "within"),
    ]
    root = parse(score_chart(rows, bar=0.8, within=0.64))
    assert root.get("data-chart") == "scores"
    grid = [line for line in root.iter(f"{NS}line") if line.get("data-threshold") is None]
    zero, full = float(grid[0].get("x1", "")), float(grid[-1].get("x1", ""))

    def share(x: str | None) -> float:
        return (float(x or "nan") - zero) / (full - zero)

    thresholds = {
        line.get("data-threshold"): share(line.get("x1"))
        for line in root.iter(f"{NS}line")
        if line.get("data-threshold")
    }
    assert thresholds == {
        "bar 80%": pytest.approx(0.8, abs=0.002),
        "prompt_fraction × bar = 64%": pytest.approx(0.64, abs=0.002),
    }
    groups = [g for g in root.iter(f"{NS}g") if g.get("data-rung")]
    assert [g.get("data-rung") for g in groups] == ["zero_shot", "few_shot"]
    for group, row in zip(groups, rows, strict=True):
        circle = group.find(f"{NS}circle")
        rect = group.find(f"{NS}rect")
        assert circle is not None and rect is not None
        assert share(circle.get("cx")) == pytest.approx(row.score.point, abs=0.002)
        assert share(rect.get("x")) == pytest.approx(row.score.low, abs=0.002)
        right = float(rect.get("x", "")) + float(rect.get("width", ""))
        assert share(str(right)) == pytest.approx(row.score.high, abs=0.002)


def test_user_text_in_a_chart_stays_text() -> None:
    evil = '<script>alert("x")</script>'
    root = parse(
        score_chart(
            [ScoreRow(evil, Interval(point=0.5, low=0.4, high=0.6, method="wilson"), "short")],
            0.8,
            0.64,
        )
    )
    assert not list(root.iter(f"{NS}script"))
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert any(t and t.startswith("<script>") for t in texts)


def test_bar_chart_segments_share_one_scale() -> None:
    rows = [
        BarRow("a", [Segment("p", 100, "#000"), Segment("c", 50, "#111")], "150"),
        BarRow("b", [Segment("p", 75, "#000")], "75"),
    ]
    root = parse(bar_chart("tokens", "tokens", rows))
    widths = {
        (r.get("data-segment"), i): float(r.get("width", ""))
        for i, r in enumerate(root.iter(f"{NS}rect"))
        if r.get("data-segment")
    }
    (a_p, a_c, b_p) = widths.values()
    assert a_c / a_p == pytest.approx(0.5, rel=0.01)
    assert b_p / a_p == pytest.approx(0.75, rel=0.01)


def test_confusion_chart_draws_one_cell_per_pair() -> None:
    matrix = Confusion("few_shot", ["x", "y"], ["x", "y", "(other)"], [[3, 1, 0], [0, 2, 2]])
    root = parse(confusion_chart(matrix))
    assert root.get("data-chart") == "confusion-few_shot"
    cells = list(root.iter(f"{NS}rect"))
    assert len(cells) == 6
    counts = [t.text for t in root.iter(f"{NS}text") if t.text and t.text.isdigit()]
    assert sorted(counts) == ["1", "2", "2", "3"]


def test_break_even_chart_marks_the_crossing() -> None:
    root = parse(break_even_chart(upfront=100.0, monthly_savings=50.0, months=6))
    assert any(t.text == "break-even at 2.0 months" for t in root.iter(f"{NS}text"))


def test_break_even_chart_names_its_series_and_axes() -> None:
    root = parse(break_even_chart(upfront=100.0, monthly_savings=50.0, months=6))
    shown = [t.text or "" for t in root.iter(f"{NS}text")]
    legend = [t.text for t in root.iter(f"{NS}text") if t.get("data-legend")]
    # Two series, two legend entries; a title on each axis.
    assert len(legend) == 2 and any("savings" in (e or "") for e in legend)
    assert "months after fine-tuning" in shown and "US dollars" in shown


def test_break_even_chart_without_savings_has_no_crossing() -> None:
    root = parse(break_even_chart(upfront=100.0, monthly_savings=0.0, months=12))
    assert not any((t.text or "").startswith("break-even") for t in root.iter(f"{NS}text"))


def test_score_chart_draws_the_constant_first_with_a_line_through_every_rung() -> None:
    rows = [ScoreRow("lora", Interval(point=0.44, low=0.38, high=0.5, method="bootstrap"), "short")]
    floor = ScoreRow(
        "baseline: always '{}'",
        Interval(point=0.43, low=0.36, high=0.5, method="bootstrap"),
        "short",
    )
    root = parse(score_chart(rows, bar=0.8, within=0.64, baseline=floor))
    groups = [g for g in root.iter(f"{NS}g") if g.get("data-rung") or g.get("data-baseline")]
    assert [g.get("data-baseline") or g.get("data-rung") for g in groups] == [floor.rung, "lora"]
    grid = [line for line in root.iter(f"{NS}line") if line.get("data-threshold") is None]
    zero, full = float(grid[0].get("x1", "")), float(grid[-1].get("x1", ""))
    line = next(x for x in root.iter(f"{NS}line") if x.get("data-threshold") == "baseline 43.0%")
    assert (float(line.get("x1", "")) - zero) / (full - zero) == pytest.approx(0.43, abs=0.002)
    # It runs down through the rung rows, below the constant's own row.
    lora_y = float(next(t for t in groups[1].iter(f"{NS}circle")).get("cy", ""))
    assert float(line.get("y2", "")) > lora_y

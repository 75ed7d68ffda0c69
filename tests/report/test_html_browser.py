"""report.html in a real browser: headless Chromium, no console errors, every chart drawn
(with a legend where it draws several series), the example filter working, nothing past the
page edge or cut off, and screenshots (the page, and each section) kept as test artifacts.

Skipped when Chromium is missing on a developer machine; in CI (CI is set) a missing
Chromium fails, because .ci/run installs it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.report.chromium import check_page, find_chromium, one_section, problems, screenshot

ARTIFACTS = ROOT / ".pytest-artifacts"
QUERY = "number 4"


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = find_chromium()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs Debian's chromium)")
        pytest.skip("chromium is not installed: apt-get install chromium")
    return binary


def _truth(run_dir: Path) -> tuple[int, int]:
    """From predictions.jsonl, independently of the report code: the test examples whose
    input contains QUERY, and those that fail in at least one rung."""
    inputs: dict[str, str] = {}
    failing: set[str] = set()
    for line in (run_dir / "predictions.jsonl").read_text().splitlines():
        p = json.loads(line)
        inputs[p["example_id"]] = p["input"]
        if not p["passed"]:
            failing.add(p["example_id"])
    return sum(QUERY in text.lower() for text in inputs.values()), len(failing)


LABEL_CHARTS = {
    "scores",
    "failures",
    "latency",
    "tokens",
    "confusion-zero_shot",
    "confusion-few_shot",
    "break-even",  # every run prices the options (cost model)
}


def test_label_report_is_clean_complete_and_filters(
    chromium: str, label_run: Path, tmp_path: Path
) -> None:
    matches, failing = _truth(label_run)
    assert matches > 0 and failing > 0  # the fixture exercises both filters
    check = check_page(chromium, label_run / "report.html", tmp_path / "browser", query=QUERY)
    found = problems(
        check, expected_charts=LABEL_CHARTS, query_matches=matches, failing_rows=failing
    )
    assert found == []
    assert set(check.charts) == LABEL_CHARTS
    shot = screenshot(
        chromium, label_run / "report.html", tmp_path / "report.png", tmp_path / "shot"
    )
    assert shot.stat().st_size > 10_000
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(shot, ARTIFACTS / "report.png")


def test_each_section_is_screenshotted_on_its_own(
    chromium: str, label_run: Path, tmp_path: Path
) -> None:
    """One picture per section (.pytest-artifacts/sections/), for a person to look over."""
    page = (label_run / "report.html").read_text()
    found = re.findall(r'<section [^>]*id="([^"]+)"', page)
    assert {"verdict", "scores", "cost"} <= set(found)
    target = ARTIFACTS / "sections"
    target.mkdir(parents=True, exist_ok=True)
    for section in found:
        alone = tmp_path / f"{section}.html"
        alone.write_text(one_section(page, section), encoding="utf-8")
        shot = screenshot(
            chromium, alone, tmp_path / f"{section}.png", tmp_path / "shot", height=1400
        )
        assert shot.stat().st_size > 5_000, section
        shutil.copy(shot, target / f"{section}.png")


def test_generated_report_has_no_confusion_chart_and_is_clean(
    chromium: str, generated_run: Path, tmp_path: Path
) -> None:
    matches, failing = _truth(generated_run)
    check = check_page(chromium, generated_run / "report.html", tmp_path / "b", query=QUERY)
    expected = {"scores", "failures", "latency", "tokens", "break-even"}
    found = problems(check, expected_charts=expected, query_matches=matches, failing_rows=failing)
    assert found == []
    assert set(check.charts) == expected


def _drop_chart(name: str) -> Callable[[str], str]:
    def drop(page: str) -> str:
        pattern = re.compile(rf'<svg [^>]*data-chart="{name}".*?</svg>', re.S)
        assert pattern.search(page), name
        return pattern.sub("", page, count=1)

    return drop


def _empty_chart(page: str) -> str:
    pattern = re.compile(r'(<svg [^>]*data-chart="tokens"[^>]*>).*?(</svg>)', re.S)
    assert pattern.search(page)
    return pattern.sub(r"\1\2", page, count=1)


def _throw(page: str) -> str:
    return page.replace("</body>", '<script>throw new Error("boom");</script></body>', 1)


def _console_error(page: str) -> str:
    return page.replace("</body>", '<script>console.error("bad data");</script></body>', 1)


def _network(page: str) -> str:
    return page.replace("</main>", '<img src="https://example.com/pixel.png" alt=""></main>', 1)


def _too_wide(page: str) -> str:
    wide = '<table><tr><td style="white-space: nowrap">' + "wide " * 400 + "</td></tr></table>"
    return page.replace("</main>", wide + "</main>", 1)


def _cut_text(page: str) -> str:
    box = '<p style="width: 80px; overflow: hidden; white-space: nowrap">' + "cut " * 40 + "</p>"
    return page.replace("</main>", box + "</main>", 1)


def _no_legend(page: str) -> str:
    stripped = re.sub(
        r'(<svg [^>]*data-chart="tokens".*?</svg>)', _drop_legend, page, count=1, flags=re.S
    )
    assert stripped != page
    return stripped


def _drop_legend(found: re.Match[str]) -> str:
    return found.group(1).replace(' data-legend="1"', "")


def _dead_filter(page: str) -> str:
    broken = page.replace('input.addEventListener("input", apply);', "", 1)
    assert broken != page
    return broken


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (_drop_chart("scores"), "chart missing: scores"),
        (_drop_chart("confusion-few_shot"), "chart missing: confusion-few_shot"),
        (_empty_chart, "chart empty: tokens"),
        (_throw, "page error: error: Uncaught Error: boom"),
        (_console_error, "page error: console.error: bad data"),
        (_network, "page error: CSP violation"),
        (_dead_filter, "filter:"),
        (_no_legend, "chart without a legend: tokens"),
        (_too_wide, "past the page edge: table"),
        (_cut_text, "text cut: p"),
    ],
    ids=[
        "missing-scores",
        "missing-confusion",
        "empty-chart",
        "throws",
        "console-error",
        "network",
        "dead-filter",
        "no-legend",
        "too-wide",
        "cut-text",
    ],
)
def test_checker_fails_a_broken_report(
    chromium: str,
    label_run: Path,
    tmp_path: Path,
    breakage: Callable[[str], str],
    expected: str,
) -> None:
    matches, failing = _truth(label_run)
    broken = tmp_path / "broken.html"
    broken.write_text(breakage((label_run / "report.html").read_text()))
    check = check_page(chromium, broken, tmp_path / "browser", query=QUERY)
    found = problems(
        check, expected_charts=LABEL_CHARTS, query_matches=matches, failing_rows=failing
    )
    assert any(line.startswith(expected) for line in found), found

"""Drive headless Chromium on a report page with nothing but the standard library.

The page under test gets two scripts injected into a copy of it: a hook at the top of
<head> that records every error (uncaught exceptions, failed resources, CSP violations,
console.error), and a checker run on `load` that measures the charts, drives the example
filter and writes its findings as JSON into the DOM, which `--dump-dom` then prints.
Chromium's own console log on stderr is read too, so an error the hook misses still counts.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NAMES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
)

HOOK = """<script>
window.__st = {errors: []};
window.addEventListener("error", function (e) {
  var what = e.message || (e.target && e.target.outerHTML) || "resource failed to load";
  window.__st.errors.push("error: " + what);
}, true);
window.addEventListener("unhandledrejection", function (e) {
  window.__st.errors.push("unhandled rejection: " + e.reason);
});
document.addEventListener("securitypolicyviolation", function (e) {
  window.__st.errors.push("CSP violation: " + e.violatedDirective + " " + e.blockedURI);
});
(function () {
  var original = console.error;
  console.error = function () {
    window.__st.errors.push("console.error: " + Array.prototype.join.call(arguments, " "));
    return original.apply(console, arguments);
  };
})();
</script>"""

CHECKER = """<script>
window.addEventListener("load", function () {
  var out = {errors: window.__st.errors, charts: []};
  try {
    document.querySelectorAll("svg[data-chart]").forEach(function (svg) {
      var box = svg.getBoundingClientRect();
      out.charts.push({
        name: svg.getAttribute("data-chart"),
        series: parseInt(svg.getAttribute("data-series") || "1", 10),
        legend: svg.querySelectorAll("[data-legend]").length,
        shapes: svg.querySelectorAll("rect, circle, line, path, polyline, polygon, text").length,
        width: box.width,
        height: box.height
      });
    });
    // Nothing may reach past the page's right edge, except inside a container that scrolls
    // (a wide table or chart scrolls in its box; the page itself never grows sideways), and
    // no text may be cut off by a box that hides its overflow.
    var page = document.documentElement.clientWidth;
    var scrolls = ".table-wrap, .chart-wrap, pre, .clip";
    out.page_width = page;
    out.wide = [];
    out.cut = [];
    document.querySelectorAll("body *").forEach(function (el) {
      if (el.closest("script, style, #st-check")) { return; }
      var name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
        (el.className && typeof el.className === "string" ? "." + el.className.split(" ")[0] : "");
      var outer = el.parentElement && el.parentElement.closest(scrolls);
      var box = el.getBoundingClientRect();
      if (!outer && box.width > 0 && box.right > page + 1) {
        out.wide.push(name + " reaches " + Math.round(box.right) + "px of " + page);
      }
      var style = getComputedStyle(el);
      var hides = style.overflowX === "hidden" || style.overflowX === "clip";
      if (hides && el.scrollWidth > el.clientWidth + 1) {
        out.cut.push(name + " hides " + (el.scrollWidth - el.clientWidth) + "px of its text");
      }
    });
    out.page_scroll = document.documentElement.scrollWidth;
    var rows = document.querySelectorAll("#examples tbody tr");
    var input = document.getElementById("filter");
    var show = document.getElementById("show");
    function visible() {
      var n = 0;
      rows.forEach(function (row) { if (getComputedStyle(row).display !== "none") { n += 1; } });
      return n;
    }
    out.rows = rows.length;
    out.visible_initial = visible();
    input.value = __QUERY__;
    input.dispatchEvent(new Event("input"));
    out.visible_query = visible();
    out.shown_query = document.getElementById("shown").textContent;
    input.value = "";
    input.dispatchEvent(new Event("input"));
    show.value = "fail-any";
    show.dispatchEvent(new Event("change"));
    out.visible_failing = visible();
    show.value = "all";
    show.dispatchEvent(new Event("change"));
    out.visible_reset = visible();
  } catch (e) {
    out.errors.push("checker: " + e);
  }
  var pre = document.createElement("pre");
  pre.id = "st-check";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""

_RESULT = re.compile(r'<pre id="st-check">(.*?)</pre>', re.S)
_CONSOLE = re.compile(r":CONSOLE[:(\d)\]]+\s*\"(.*)\", source:")


def find_chromium() -> str | None:
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageCheck:
    errors: list[str]
    charts: dict[str, int]
    """Drawn shapes per chart name."""
    sizes: dict[str, tuple[float, float]]
    rows: int = 0
    unlabelled: list[str] = field(default_factory=list)
    """Charts drawing more than one series with fewer legend entries than series."""
    visible_initial: int = 0
    visible_query: int = 0
    shown_query: str = ""
    visible_failing: int = 0
    visible_reset: int = 0
    console: list[str] = field(default_factory=list)
    page_width: int = 0
    page_scroll: int = 0
    wide: list[str] = field(default_factory=list)
    """Elements reaching past the page's right edge (outside a scrolling container)."""
    cut: list[str] = field(default_factory=list)
    """Elements whose hidden overflow cuts their text."""


def _instrument(page: str, query: str) -> str:
    if "<head>" not in page or "</body>" not in page:
        raise ValueError("not an HTML page with <head> and </body>")
    checker = CHECKER.replace("__QUERY__", json.dumps(query))
    page = page.replace("<head>", "<head>\n" + HOOK, 1)
    head, tail = page.rsplit("</body>", 1)
    return head + checker + "</body>" + tail


def _run(binary: str, args: list[str], workdir: Path) -> subprocess.CompletedProcess[str]:
    profile = workdir / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def check_page(binary: str, page: Path, workdir: Path, *, query: str) -> PageCheck:
    """Open an instrumented copy of `page` and return what the checker saw."""
    workdir.mkdir(parents=True, exist_ok=True)
    copy = workdir / "instrumented.html"
    copy.write_text(_instrument(page.read_text(encoding="utf-8"), query), encoding="utf-8")
    done = _run(binary, ["--virtual-time-budget=2000", "--dump-dom", copy.as_uri()], workdir)
    console = [m.group(1) for m in _CONSOLE.finditer(done.stderr)]
    found = _RESULT.search(done.stdout)
    if found is None:
        reason = f"the checker wrote nothing (exit {done.returncode}): {done.stderr[-2000:]}"
        return PageCheck(errors=[reason], charts={}, sizes={}, console=console)
    data: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    # Chromium logs uncaught errors and refused loads even when a script broke the hook.
    logged = [m for m in console if m.startswith(("Uncaught", "Refused")) or "Error" in m]
    errors = list(data["errors"]) + [m for m in logged if not _seen(m, data["errors"])]
    return PageCheck(
        errors=errors,
        charts={c["name"]: int(c["shapes"]) for c in data["charts"]},
        sizes={c["name"]: (float(c["width"]), float(c["height"])) for c in data["charts"]},
        unlabelled=[
            f"{c['name']} ({c['series']} series, {c['legend']} in its legend)"
            for c in data["charts"]
            if int(c.get("series", 1)) > 1 and int(c.get("legend", 0)) < int(c["series"])
        ],
        rows=int(data.get("rows", 0)),
        visible_initial=int(data.get("visible_initial", 0)),
        visible_query=int(data.get("visible_query", 0)),
        shown_query=str(data.get("shown_query", "")),
        visible_failing=int(data.get("visible_failing", 0)),
        visible_reset=int(data.get("visible_reset", 0)),
        console=console,
        page_width=int(data.get("page_width", 0)),
        page_scroll=int(data.get("page_scroll", 0)),
        wide=[str(w) for w in data.get("wide", [])],
        cut=[str(c) for c in data.get("cut", [])],
    )


def _seen(message: str, recorded: list[str]) -> bool:
    return any(message in r or r.endswith(message) for r in recorded)


def screenshot(binary: str, page: Path, target: Path, workdir: Path, *, height: int = 2800) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    done = _run(
        binary, [f"--window-size=1280,{height}", f"--screenshot={target}", page.as_uri()], workdir
    )
    if not target.exists():
        raise RuntimeError(f"no screenshot (exit {done.returncode}): {done.stderr[-2000:]}")
    return target


def one_section(page: str, section: str) -> str:
    """The page with every <section> but `section` taken out: one section to screenshot."""
    sections = re.findall(r'<section [^>]*id="([^"]+)"', page)
    if section not in sections:
        raise ValueError(f"no section {section!r} in the page ({', '.join(sections)})")
    for other in sections:
        if other != section:
            pattern = rf'<section [^>]*id="{re.escape(other)}".*?</section>'
            page = re.sub(pattern, "", page, count=1, flags=re.S)
    return page


def problems(
    check: PageCheck,
    *,
    expected_charts: set[str],
    query_matches: int,
    failing_rows: int,
) -> list[str]:
    """Everything wrong with a checked page; empty when it is healthy."""
    found = [f"page error: {e}" for e in check.errors]
    missing = expected_charts - set(check.charts)
    found += [f"chart missing: {name}" for name in sorted(missing)]
    for name, shapes in sorted(check.charts.items()):
        width, height = check.sizes.get(name, (0.0, 0.0))
        if shapes == 0 or width < 1 or height < 1:
            found.append(f"chart empty: {name} ({shapes} shapes, {width:.0f}x{height:.0f})")
    if check.visible_initial != check.rows or check.rows == 0:
        found.append(f"table: {check.visible_initial} of {check.rows} rows visible at first")
    if check.visible_query != query_matches or check.shown_query != str(query_matches):
        found.append(
            f"filter: {check.visible_query} rows visible (counter says {check.shown_query!r}), "
            f"expected {query_matches}"
        )
    if check.visible_failing != failing_rows:
        found.append(f"failing filter: {check.visible_failing} rows, expected {failing_rows}")
    if check.visible_reset != check.rows:
        found.append(f"reset: {check.visible_reset} of {check.rows} rows visible")
    if check.page_scroll > check.page_width + 1:
        found.append(f"page wider than the window: {check.page_scroll}px of {check.page_width}")
    found += [f"chart without a legend: {u}" for u in check.unlabelled]
    found += [f"past the page edge: {w}" for w in check.wide[:10]]
    found += [f"text cut: {c}" for c in check.cut[:10]]
    return found


def dump_dom(binary: str, url: str, workdir: Path) -> tuple[str, list[str]]:
    """The DOM Chromium builds for `url` (a served page), and the errors it logged."""
    workdir.mkdir(parents=True, exist_ok=True)
    done = _run(binary, ["--virtual-time-budget=2000", "--dump-dom", url], workdir)
    console = [m.group(1) for m in _CONSOLE.finditer(done.stderr)]
    errors = [m for m in console if m.startswith(("Uncaught", "Refused")) or "Error" in m]
    if "</html>" not in done.stdout:
        errors.append(f"no page (exit {done.returncode}): {done.stderr[-2000:]}")
    return done.stdout, errors

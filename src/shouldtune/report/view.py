"""`shouldtune view RUNS_DIR`: the runs in a folder as a local web page.

A standard-library HTTP server in this process, bound to a loopback address only: the runs
quote the user's examples and the model's answers, so nothing outside this machine may read
them. A request naming another host in its Host header is refused too (a web page elsewhere
can point a DNS name at 127.0.0.1, and the browser would then send it our pages).

Three pages: the list of runs (task, model, verdict, date; damaged folders with the reason),
each run's report.html, and two runs compared (`compare_runs`, as `shouldtune compare`
prints it). Only run folders directly inside RUNS_DIR are served, found by listing it, so
no path in a request can reach a file outside it. Every user text is HTML-escaped: the pages
are Jinja2 templates with autoescape on, as report.html is.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from shouldtune.report.compare import RunComparison, compare_runs
from shouldtune.report.compare_view import compact_score, paired_words, points
from shouldtune.report.html import render_html
from shouldtune.report.load import ReportError, RunData, load_run

DEFAULT_PORT = 8765
REPORT = "report.html"
# The list and comparison pages carry no script; a report page carries its own inline one.
PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
)
REPORT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class RunRow:
    name: str
    """The folder's name inside RUNS_DIR: the run's part of every URL."""
    task: str
    model: str
    verdict: str
    headline: str
    when: str
    started: str
    best: str


@dataclass(frozen=True)
class Damaged:
    name: str
    reason: str


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes
    policy: str = PAGE_POLICY


def check_loopback(host: str) -> None:
    """Refuse any address but this machine's own (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ReportError(
            f"--host {host}: view serves this machine only (127.0.0.1, ::1 or localhost): "
            "the runs quote your examples and the model's answers"
        )


def _when(manifest: dict[str, Any]) -> tuple[str, str]:
    started = str(manifest.get("started") or manifest.get("updated") or "")
    try:
        shown = datetime.fromisoformat(started).strftime("%Y-%m-%d %H:%M %Z").strip()
    except ValueError:
        shown = started
    return started, shown


def _best(run: RunData) -> str:
    rungs = run.result.rungs
    if not rungs:
        return ""
    top = max(rungs, key=lambda r: r.score.point)
    return f"{top.rung} {compact_score(top.score)}"


def _row(name: str, run: RunData) -> RunRow:
    started, shown = _when(run.manifest)
    return RunRow(
        name=name,
        task=run.result.task,
        model=run.result.model.name,
        verdict=run.result.verdict.kind,
        headline=run.result.verdict.headline,
        when=shown,
        started=started,
        best=_best(run),
    )


def _run_folders(root: Path) -> dict[str, Path]:
    """The run folders directly inside `root`, by name. A link is left out: it may lead
    anywhere, and only what is inside the folder is served."""
    found: dict[str, Path] = {}
    for child in sorted(root.iterdir()):
        if child.is_symlink() or not child.is_dir():
            continue
        if (child / "manifest.json").exists() or (child / "results.json").exists():
            found[child.name] = child
    return found


def scan(root: Path) -> tuple[list[RunRow], list[Damaged]]:
    """Every run in `root`, newest first, and the folders that cannot be read, with why."""
    rows: list[RunRow] = []
    damaged: list[Damaged] = []
    for name, path in _run_folders(root).items():
        try:
            rows.append(_row(name, load_run(path)))
        except (ReportError, OSError) as error:
            damaged.append(Damaged(name, str(error)))
    rows.sort(key=lambda row: (row.started, row.name), reverse=True)
    return rows, damaged


def _env() -> Environment:
    return Environment(
        loader=PackageLoader("shouldtune.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _page(**context: Any) -> str:
    base: dict[str, Any] = {
        "rows": [],
        "damaged": [],
        "comparison": None,
        "cells": [],
        "message": "",
    }
    return _env().get_template("view.html.j2").render({**base, **context})


def index_html(root: Path) -> str:
    rows, damaged = scan(root)
    return _page(kind="index", title="Runs", root=str(root), rows=rows, damaged=damaged)


def _cells(comparison: RunComparison) -> list[list[str]]:
    return [
        [
            rung.rung,
            compact_score(rung.a),
            compact_score(rung.b),
            points(rung.diff),
            paired_words(rung.paired),
        ]
        for rung in comparison.rungs
    ]


def compare_html(root: Path, a: str, b: str) -> str:
    folders = _run_folders(root)
    comparison = compare_runs(load_run(folders[a]), load_run(folders[b]))
    return _page(
        kind="compare",
        title="Compare",
        root=str(root),
        names={"a": a, "b": b},
        comparison=comparison,
        cells=_cells(comparison),
    )


def _html(status: int, text: str, policy: str = PAGE_POLICY) -> Response:
    return Response(status, "text/html; charset=utf-8", text.encode("utf-8"), policy)


def _error(root: Path, status: int, message: str) -> Response:
    return _html(status, _page(kind="error", title=str(status), root=str(root), message=message))


def _host_allowed(header: str | None) -> bool:
    if not header:
        return True  # HTTP/1.0 sends none; the socket is loopback-only anyway
    if header.startswith("["):
        host = header[1 : header.find("]")] if "]" in header else header
    else:
        host = header.rsplit(":", 1)[0] if header.count(":") == 1 else header
    try:
        check_loopback(host)
    except ReportError:
        return False
    return True


def respond(root: Path, target: str, host_header: str | None = None) -> Response:
    """The answer to `GET target`: a page, a report, or an error page."""
    try:
        return _respond(root, target, host_header)
    except OSError as error:  # the folder moved or became unreadable while served
        return _error(root, 500, f"{root}: cannot read: {error.strerror or error}")


def _respond(root: Path, target: str, host_header: str | None) -> Response:
    if not _host_allowed(host_header):
        return _error(root, 403, "This page answers only to a loopback address (127.0.0.1).")
    url = urlsplit(target)
    parts = [unquote(part) for part in url.path.split("/")]
    if url.path in ("", "/"):
        return _html(200, index_html(root))
    if url.path == "/favicon.ico":  # browsers ask for one; an empty answer logs no error
        return Response(204, "image/x-icon", b"")
    if url.path == "/compare":
        query = parse_qs(url.query)
        a, b = (query.get(side, [""])[0] for side in ("a", "b"))
        folders = _run_folders(root)
        if a not in folders or b not in folders:
            return _error(root, 404, "Pick two runs of this folder to compare.")
        if a == b:
            return _error(root, 400, "Pick two different runs to compare.")
        try:
            return _html(200, compare_html(root, a, b))
        except ReportError as error:
            return _error(root, 404, str(error))
    # /runs/<folder>/report.html, the folder one that listing the root finds.
    if len(parts) == 4 and parts[:2] == ["", "runs"] and parts[3] == REPORT:
        folder = _run_folders(root).get(parts[2])
        if folder is not None:
            return _report(root, folder)
    return _error(root, 404, "Nothing here.")


def _report(root: Path, folder: Path) -> Response:
    saved = folder / REPORT
    try:
        if saved.is_file() and not saved.is_symlink():
            return Response(200, "text/html; charset=utf-8", saved.read_bytes(), REPORT_POLICY)
        # A run from before reports were written (or with them deleted): rendered, not saved.
        return _html(200, render_html(load_run(folder)), REPORT_POLICY)
    except (ReportError, OSError) as error:
        return _error(root, 404, str(error))


class ViewServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], root: Path) -> None:
        self.root = root
        super().__init__(address, _Handler)


class _ViewServer6(ViewServer):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: ViewServer
    server_version = "shouldtune-view"

    def do_GET(self) -> None:
        found = respond(self.server.root, self.path, self.headers.get("Host"))
        self.send_response(found.status)
        self.send_header("Content-Type", found.content_type)
        self.send_header("Content-Length", str(len(found.body)))
        self.send_header("Content-Security-Policy", found.policy)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(found.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request would bury the address the user needs


def make_server(root: Path, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> ViewServer:
    """A server for `root` listening on a loopback address (port 0: any free port)."""
    check_loopback(host)
    if not root.is_dir():
        raise ReportError(
            f"{root}: no such folder of runs (the one `shouldtune run --runs-dir` wrote to)"
        )
    kind = _ViewServer6 if ":" in host else ViewServer
    try:
        server = kind((host.strip("[]"), port), root)
    except OSError as error:
        raise ReportError(
            f"cannot listen on {host}:{port}: {error.strerror or error} (another --port?)"
        ) from None
    # A name like localhost resolves when binding: what it bound to is checked too.
    bound = str(server.server_address[0])
    try:
        check_loopback(bound)
    except ReportError:
        server.server_close()
        raise
    return server


def url_of(server: ViewServer) -> str:
    host = str(server.server_address[0])
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{server.server_address[1]}/"


def serve(root: Path, host: str, port: int, say: Callable[[str], None]) -> None:
    """Serve until interrupted (Ctrl-C)."""
    server = make_server(root, host, port)
    rows, damaged = scan(root)
    say(f"{len(rows)} run(s) in {root} ({len(damaged)} unreadable) at {url_of(server)}")
    say("Ctrl-C stops it.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        say("stopped")
    finally:
        server.server_close()

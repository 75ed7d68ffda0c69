"""`shouldtune view`: the list of runs, the comparison page, and a server that serves only
what is inside the runs folder, only on a loopback address."""

from __future__ import annotations

import http.client
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shouldtune.cli import app
from shouldtune.report.load import ReportError
from shouldtune.report.view import (
    ViewServer,
    check_loopback,
    compare_html,
    index_html,
    make_server,
    respond,
    scan,
)
from tests.report.chromium import dump_dom, find_chromium
from tests.report.conftest import make_run

EVIL = "<img src=x onerror=alert(1)>"


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    """Two finished runs (one of them by a model with markup in its name), an unfinished
    one, a damaged one, and a folder that is no run at all."""
    make_run(tmp_path)
    make_run(tmp_path, lambda prompt: "red", model_name=EVIL)
    root = tmp_path / "runs"
    unfinished = root / "colors-unfinished"
    unfinished.mkdir()
    (unfinished / "manifest.json").write_text('{"status": "running"}')
    damaged = root / "<b>broken"
    damaged.mkdir()
    (damaged / "results.json").write_text("{not json")
    (root / "notes").mkdir()
    return root


def _finished(root: Path) -> list[str]:
    rows, _ = scan(root)
    return [row.name for row in rows]


def test_index_lists_runs_with_verdicts_and_damaged_folders_with_why(runs: Path) -> None:
    rows, damaged = scan(runs)
    assert len(rows) == 2 and {row.model for row in rows} == {"scripted", EVIL}
    assert rows[0].started >= rows[1].started  # newest first
    assert {d.name for d in damaged} == {"colors-unfinished", "<b>broken"}
    page = index_html(runs)
    for row in rows:
        assert f'href="/runs/{row.name}/report.html"' in page
        assert f'<span class="kind v-{row.verdict}">{row.verdict}</span>' in page
    assert "did not finish" in page and "not valid JSON" in page
    assert "notes" not in page  # not a run folder: not listed at all
    # User text is escaped, never markup.
    assert EVIL not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<b>broken" not in page and "&lt;b&gt;broken" in page


def test_compare_page_renders_compare_runs(runs: Path) -> None:
    a, b = _finished(runs)
    page = compare_html(runs, a, b)
    assert "Same " in page and "paired" in page  # one task, one test set
    assert 'id="comparison"' in page and "zero_shot" in page and "few_shot" in page
    assert EVIL not in page and "&lt;img" in page


def test_respond_routes_and_refuses_what_is_not_a_run_report(runs: Path) -> None:
    a, b = _finished(runs)
    assert respond(runs, "/").status == 200
    assert respond(runs, "/favicon.ico").status == 204
    report = respond(runs, f"/runs/{a}/report.html")
    assert report.status == 200 and report.body == (runs / a / "report.html").read_bytes()
    assert respond(runs, f"/compare?a={a}&b={b}").status == 200
    assert respond(runs, f"/compare?a={a}&b={a}").status == 400
    assert respond(runs, f"/compare?a={a}&b=..").status == 404
    for target in (
        f"/runs/{a}/results.json",
        f"/runs/{a}/../../../etc/passwd",
        "/runs/../report.html",
        "/runs/%2e%2e/report.html",
        f"/runs/{a}%2f..%2f{b}/report.html",
        "/runs/notes/report.html",
        "/../../etc/passwd",
    ):
        assert respond(runs, target).status == 404, target
    # Another name for this machine in the Host header: a DNS-rebinding page.
    assert respond(runs, "/", "attacker.example:8765").status == 403
    assert respond(runs, "/", "localhost:8765").status == 200
    assert respond(runs, "/", "[::1]:8765").status == 200


def test_a_report_is_rendered_when_its_file_is_missing(runs: Path) -> None:
    a = _finished(runs)[0]
    (runs / a / "report.html").unlink()
    found = respond(runs, f"/runs/{a}/report.html")
    assert found.status == 200 and b"<!doctype html>" in found.body.lower()
    assert not (runs / a / "report.html").exists()  # view never writes


def test_a_link_out_of_the_folder_is_not_served(runs: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "results.json").write_text("{}")
    (outside / "report.html").write_text("secret")
    os.symlink(outside, runs / "link")
    assert respond(runs, "/runs/link/report.html").status == 404
    assert "link" not in {d.name for d in scan(runs)[1]}


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.com", ""])
def test_only_loopback_hosts(host: str) -> None:
    with pytest.raises(ReportError, match="this machine only"):
        check_loopback(host)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_hosts_are_accepted(host: str) -> None:
    check_loopback(host)


@pytest.fixture
def server(runs: Path) -> Iterator[ViewServer]:
    found = make_server(runs, "127.0.0.1", 0)
    thread = threading.Thread(target=found.serve_forever, daemon=True)
    thread.start()
    yield found
    found.shutdown()
    found.server_close()


def _get(server: ViewServer, target: str) -> tuple[int, bytes, http.client.HTTPResponse]:
    # http.client sends the target as given: no '..' is resolved on the way.
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
    connection.request("GET", target)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body, response


def test_the_server_binds_loopback_and_refuses_traversal(server: ViewServer, runs: Path) -> None:
    assert server.server_address[0] == "127.0.0.1"
    status, body, response = _get(server, "/")
    assert status == 200 and b'id="runs"' in body
    assert "default-src 'none'" in (response.getheader("Content-Security-Policy") or "")
    a = _finished(runs)[0]
    assert _get(server, f"/runs/{a}/report.html")[0] == 200
    for target in (f"/runs/{a}/../../cache/x", "/runs/../../etc/passwd", "/runs/%2e%2e/x"):
        assert _get(server, target)[0] == 404, target


def test_cli_refuses_a_non_loopback_host_and_a_missing_folder(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["view", str(tmp_path), "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "this machine only" in result.output
    result = runner.invoke(app, ["view", str(tmp_path / "nope"), "--port", "0"])
    assert result.exit_code == 2 and "no such folder of runs" in result.output


def test_the_page_in_a_real_browser(server: ViewServer, runs: Path, tmp_path: Path) -> None:
    binary = find_chromium()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs Debian's chromium)")
        pytest.skip("chromium is not installed: apt-get install chromium")
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    dom, errors = dump_dom(binary, url, tmp_path / "browser")
    assert errors == []
    assert dom.count("<tr data-run=") == 2
    a, b = _finished(runs)
    dom, errors = dump_dom(binary, f"{url}compare?a={a}&b={b}", tmp_path / "browser")
    assert errors == [] and 'id="comparison"' in dom

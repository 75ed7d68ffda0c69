"""Reading run directories back, and the messages when one cannot be read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shouldtune.report.load import ReportError, load_run
from shouldtune.report.write import write_reports


def test_round_trips_a_finished_run(label_run: Path) -> None:
    run = load_run(label_run)
    assert run.result.task == "colors"
    assert len(run.predictions) == sum(r.n for r in run.result.rungs)
    assert run.manifest["status"] == "finished"
    assert run.raw["schema_version"] == 2
    assert run.result.verdict.findings is not None


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="no such run directory"):
        load_run(tmp_path / "nope")


def test_unfinished_run_says_so(label_run: Path) -> None:
    (label_run / "results.json").unlink()
    manifest = json.loads((label_run / "manifest.json").read_text())
    manifest["status"] = "running"
    (label_run / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ReportError, match="status is 'running': it did not finish"):
        load_run(label_run)


def test_not_a_run_directory(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"no manifest\.json either"):
        load_run(tmp_path)


def test_other_schema_version_is_refused(label_run: Path) -> None:
    results = json.loads((label_run / "results.json").read_text())
    results["schema_version"] = 99
    (label_run / "results.json").write_text(json.dumps(results))
    with pytest.raises(
        ReportError, match="schema_version 99; this shouldtune reads versions 1 to 2"
    ):
        load_run(label_run)


def as_version_1(run_dir: Path) -> dict[str, object]:
    """Rewrite a run's results.json as version 1 wrote it: no verdict.findings."""
    results: dict[str, Any] = json.loads((run_dir / "results.json").read_text())
    results["schema_version"] = 1
    del results["verdict"]["findings"]
    (run_dir / "results.json").write_text(json.dumps(results))
    return results


def test_a_version_1_run_still_loads_without_findings(label_run: Path) -> None:
    written = as_version_1(label_run)
    run = load_run(label_run)
    assert run.result.schema_version == 1
    assert run.result.verdict.findings is None
    assert run.result.verdict.model_dump(exclude={"findings"}) == written["verdict"]


def test_report_renders_a_version_1_run(label_run: Path) -> None:
    from typer.testing import CliRunner

    from shouldtune.cli import app

    as_version_1(label_run)
    result = CliRunner().invoke(app, ["report", str(label_run)])
    assert result.exit_code == 0, result.stdout
    report = json.loads((label_run / "report.json").read_text())
    assert report["schema_version"] == 1 and "findings" in report["verdict"]
    assert report["verdict"]["findings"] is None


def test_broken_json_names_the_file(label_run: Path) -> None:
    (label_run / "results.json").write_text("{not json")
    with pytest.raises(ReportError, match=r"results\.json: not valid JSON"):
        load_run(label_run)


def test_broken_prediction_names_the_line(label_run: Path) -> None:
    with (label_run / "predictions.jsonl").open("a") as handle:
        handle.write('{"rung": "x"}\n')
    with pytest.raises(ReportError, match=r"predictions.jsonl:\d+:"):
        load_run(label_run)


def test_quoted_examples_are_masked_even_in_a_run_written_unmasked(label_run: Path) -> None:
    # A run from before the run files were masked: a card number in a prediction's input and
    # output and in a failure example. Every report format reads through load_run.
    value = "4539 1488 0343 6467"
    predictions = label_run / "predictions.jsonl"
    lines = predictions.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["input"] = first["output"] = f"card {value}"
    lines[0] = json.dumps(first)
    predictions.write_text("\n".join(lines) + "\n", encoding="utf-8")
    results = json.loads((label_run / "results.json").read_text(encoding="utf-8"))
    examples = [e for f in results["failures"] for c in f["categories"] for e in c["examples"]]
    assert examples
    examples[0]["input"] = f"card {value}"
    (label_run / "results.json").write_text(json.dumps(results), encoding="utf-8")
    run = load_run(label_run)
    assert run.predictions[0].input == "card 45***************67"
    assert value not in json.dumps(run.raw)
    assert value not in run.result.model_dump_json()
    for path in write_reports(label_run):
        assert value not in path.read_text(encoding="utf-8"), path

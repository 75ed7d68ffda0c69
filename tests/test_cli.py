"""The CLI in-process: exit codes and messages for bad input, and the small commands."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from shouldtune.cli import app
from shouldtune.spec import spec_reference

runner = CliRunner()


def test_malformed_data_exits_2_with_file_line_field_and_no_traceback(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text('{"text": "a", "label": "x"}\n{"text": "b"}\nnot json\n')
    result = runner.invoke(app, ["run", str(data), "--input", "text", "--expected", "label"])
    assert result.exit_code == 2
    assert f"{data}:2: label: missing" in result.output
    assert f"{data}:3:" in result.output
    assert "Traceback" not in result.output
    assert "nothing was run" in result.output


def test_unknown_yaml_key_exits_2(tmp_path: Path) -> None:
    spec = tmp_path / "task.yaml"
    spec.write_text("data: d.jsonl\nexpectd: label\n")
    result = runner.invoke(app, ["run", str(spec)])
    assert result.exit_code == 2
    assert f"{spec}:2: expectd: unknown key" in result.output


def test_bad_flag_value_exits_2(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text('{"input": "a", "expected": "b"}\n')
    result = runner.invoke(app, ["run", str(data), "--bar", "3"])
    assert result.exit_code == 2
    assert "bar:" in result.output


def test_unknown_model_exits_2(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text('{"input": "a", "expected": "b"}\n')
    result = runner.invoke(app, ["run", str(data), "--model", "no-such-model"])
    assert result.exit_code == 2
    assert "not a built-in name" in result.output
    assert "Traceback" not in result.output


def test_python_scorer_needs_opt_in(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    rows = [{"input": f"q{i}", "expected": f"a{i}"} for i in range(4)]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    scorer = tmp_path / "score.py"
    scorer.write_text("def score(output, expected):\n    return 1.0\n")
    spec = tmp_path / "task.yaml"
    spec.write_text("data: d.jsonl\nscorer: python\nscorer_options:\n  function: score.py:score\n")
    result = runner.invoke(app, ["run", str(spec), "--runs-dir", str(tmp_path / "runs")])
    assert result.exit_code == 2
    assert "--allow-python" in result.output


def test_models_lists_the_embedded_default() -> None:
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0
    assert "smollm2-135m" in result.output
    assert "gemma3-270m" in result.output


def test_spec_docs_prints_the_reference() -> None:
    result = runner.invoke(app, ["spec-docs"])
    assert result.exit_code == 0
    assert result.stdout.strip() == spec_reference().strip()


def test_check_reports_duplicates_and_not_enough_data(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    lines = [
        "text,label",
        "good product,pos",
        "good product,pos",
        "bad product,neg",
        "bad product,pos",
    ] + [f"item {i} is fine,pos" for i in range(10)]
    lines += [f"item {i} is broken,neg" for i in range(10)]
    data.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["check", str(data), "--input", "text", "--expected", "label"])
    assert result.exit_code == 0, result.output
    assert "exact duplicates" in result.output
    assert "conflicting groups" in result.output
    assert "NOT_ENOUGH_DATA" in result.output

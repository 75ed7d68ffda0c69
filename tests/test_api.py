"""The API layer: `shouldtune.run` climbs the ladder, then renders the reports from disk."""

from __future__ import annotations

from pathlib import Path

import pytest

import shouldtune
from shouldtune.cache import CallCache
from shouldtune.ladder import run_ladder
from shouldtune.report.write import REPORT_FILES
from tests.fakes import ScriptedModel
from tests.test_ladder import oracle, write_task


def test_run_writes_every_report_after_the_ladder(tmp_path: Path) -> None:
    result = shouldtune.run(
        write_task(tmp_path),
        cache_dir=tmp_path / "cache",
        runs_dir=tmp_path / "runs",
        model=ScriptedModel(oracle),
    )
    run_dir = Path(result.run_dir or "")
    assert all((run_dir / name).is_file() for name in REPORT_FILES)
    assert result.verdict.kind in (run_dir / "report.md").read_text()


def test_the_ladder_alone_leaves_results_and_no_reports(tmp_path: Path, cache: CallCache) -> None:
    """The pipeline does not render: the reports are the API layer's step (no import circle)."""
    spec = write_task(tmp_path)
    result = run_ladder(spec, cache=cache, runs_dir=tmp_path / "runs", model=ScriptedModel(oracle))
    run_dir = Path(result.run_dir or "")
    assert (run_dir / "results.json").is_file()
    assert not any((run_dir / name).exists() for name in REPORT_FILES)


def test_no_run_dir_means_no_reports(tmp_path: Path) -> None:
    result = shouldtune.run(
        write_task(tmp_path),
        cache_dir=tmp_path / "cache",
        runs_dir=None,
        model=ScriptedModel(oracle),
    )
    assert result.run_dir is None and not (tmp_path / "runs").exists()


def test_the_cli_builds_its_spec_through_the_api(tmp_path: Path) -> None:
    """One path from a data file and flags to a TaskSpec; the CLI's errors name the flags."""
    from shouldtune.api import as_spec
    from shouldtune.cli import _build_spec
    from shouldtune.spec import SpecError

    data = tmp_path / "d.jsonl"
    data.write_text('{"input": "a", "expected": "b"}\n')
    overrides = {"bar": 0.7, "split": {"seed": 3}}
    assert _build_spec(data, overrides) == as_spec(data, overrides)
    with pytest.raises(SpecError, match=r"^--bar:"):
        _build_spec(data, {"bar": 7})
    with pytest.raises(SpecError, match=r"^task spec: bar:"):
        as_spec(data, {"bar": 7})

"""The API layer: `shouldtune.run` climbs the ladder, then renders the reports from disk."""

from __future__ import annotations

from pathlib import Path

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

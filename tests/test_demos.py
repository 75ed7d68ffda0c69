"""The bundled examples: each loads and climbs on a small budget; the slow test checks that
each lands on the verdict it was built to show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shouldtune.cache import CallCache
from shouldtune.cli import app
from shouldtune.demos import DEMOS, task_file
from shouldtune.ladder import prepare, run_ladder
from shouldtune.models.base import Model
from shouldtune.report.write import write_reports
from shouldtune.spec import load_spec

runner = CliRunner()


def test_demo_list_names_each_demo_and_its_verdict() -> None:
    done = runner.invoke(app, ["demo", "--list"])
    assert done.exit_code == 0
    shows = {d.shows for d in DEMOS.values()}
    # No bundled task still needs a fine-tune once the prompt is searched (examples/README.md).
    assert shows == {"PROMPT", "RAG"}
    for name, demo in DEMOS.items():
        assert name in done.output and demo.shows in done.output


def test_unknown_demo_is_a_clear_error() -> None:
    done = runner.invoke(app, ["demo", "no-such-demo"])
    assert done.exit_code == 2
    assert "no demo named 'no-such-demo'" in done.output
    assert "Traceback" not in done.output


@pytest.mark.parametrize("name", list(DEMOS))
def test_demo_loads_and_climbs_on_a_small_budget(
    name: str, smollm: Model, cache: CallCache, tmp_path: Path
) -> None:
    spec = load_spec(task_file(name))
    prepared = prepare(spec, smollm)
    assert prepared.precheck.enough_data  # every demo has at least min_examples examples
    small = spec.model_copy(
        update={
            "split": spec.split.model_copy(update={"max_test": 4}),
            "rungs": [r for r in spec.rungs if r != "lora"],
            "reproduce": spec.reproduce.model_copy(
                update={"max_failures": 2, "seeds": 1, "variants": 1}
            ),
            "prompt_search": spec.prompt_search.model_copy(
                update={"budget": 16, "val_size": 4, "similar": False}
            ),
            "all_rungs": True,  # every rung, prompt search included, runs on the real model
        }
    )
    result = run_ladder(small, cache=cache, runs_dir=tmp_path / "runs", model=smollm)
    write_reports(Path(result.run_dir or ""))  # what `shouldtune.run` does after the ladder
    assert result.rungs[0].rung == "zero_shot"
    assert "prompt_search" in [r.rung for r in result.rungs]
    assert all(r.n == 4 for r in result.rungs)
    assert result.verdict.reasons
    assert (Path(result.run_dir or "") / "report.html").exists()


@pytest.mark.slow
@pytest.mark.parametrize("name", list(DEMOS))
def test_demo_lands_on_the_verdict_it_was_built_to_show(
    name: str, model_cache: CallCache, tmp_path: Path
) -> None:
    from tests.conftest import SHARED_MODEL_CACHE

    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    for shared in ("models", "students"):  # reuse the slow-to-make model files, not answers
        (SHARED_MODEL_CACHE / shared).mkdir(parents=True, exist_ok=True)
        (cache_dir / shared).symlink_to(SHARED_MODEL_CACHE / shared)
    done = runner.invoke(
        app, ["demo", name, "--runs-dir", str(tmp_path / "runs"), "--cache-dir", str(cache_dir)]
    )
    assert done.exit_code == 0, done.output
    assert DEMOS[name].shows in done.output
    (run_dir,) = (tmp_path / "runs").iterdir()
    results = json.loads((run_dir / "results.json").read_text())
    assert results["verdict"]["kind"] == DEMOS[name].shows, results["verdict"]["answer"]
    assert results["failures"] and results["cost"]
    if DEMOS[name].shows != "PROMPT":  # a prompt that passes may leave nothing to re-run
        assert results["reproducibility"]["n_checked"] > 0

"""`run --plan`, the plan in `check`, and the max_minutes / max_usd stop, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shouldtune import ladder
from shouldtune import plan as plan_module
from shouldtune.cli import app
from shouldtune.models.base import UsageSource
from shouldtune.models.mock import MockModel
from shouldtune.plan import Timing
from shouldtune.sweep import DEFAULT_GRID

runner = CliRunner()


def labelled(tmp_path: Path, n: int = 90) -> Path:
    rows = [{"input": f"item {i} is l{i % 3}", "expected": f"l{i % 3}"} for i in range(n)]
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return data


def args(tmp_path: Path, *extra: str) -> list[str]:
    return [
        "run",
        str(labelled(tmp_path)),
        "--model",
        "mock",
        "--cache-dir",
        str(tmp_path / "cache"),
        "--runs-dir",
        str(tmp_path / "runs"),
        *extra,
    ]


@pytest.fixture
def slow_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every call takes 2 s by the probe's clock (the mock model is otherwise free)."""

    def timed(*_: object, **__: object) -> Timing:
        return Timing(zero_shot_s=2.0, few_shot_s=2.0, forward_s=0.5, how="patched")

    monkeypatch.setattr(plan_module, "time_calls", timed)


def test_run_plan_prints_the_plan_and_runs_nothing(tmp_path: Path) -> None:
    result = runner.invoke(app, args(tmp_path, "--plan"))
    assert result.exit_code == 0, result.output
    assert "Plan:" in result.output and "zero_shot" in result.output and "total" in result.output
    assert "95% interval" in result.output
    assert not (tmp_path / "runs").exists()


def test_run_plan_json_is_the_plan_model(tmp_path: Path) -> None:
    result = runner.invoke(app, args(tmp_path, "--plan", "--json"))
    assert result.exit_code == 0, result.output
    found = plan_module.Plan.model_validate_json(result.stdout)
    assert found.n_test > 0 and found.rungs[0].rung == "zero_shot"
    raw = json.loads(result.stdout)
    assert raw["total_calls"] == sum(r["calls"] for r in raw["rungs"])


def test_check_prints_the_untimed_plan(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["check", str(labelled(tmp_path)), "--model", "mock", "--cache-dir", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    assert "Plan:" in result.output and "not timed" in result.output


def test_over_max_minutes_stops_before_starting(tmp_path: Path, slow_probe: None) -> None:
    result = runner.invoke(app, args(tmp_path, "--max-minutes", "1"))
    assert result.exit_code == 2
    assert "max_minutes" in result.output
    assert not list((tmp_path / "runs").glob("*"))  # no run directory: nothing started


def test_within_max_minutes_runs(tmp_path: Path) -> None:
    result = runner.invoke(app, args(tmp_path, "--max-minutes", "1", "--rungs", "zero_shot"))
    assert result.exit_code == 0, result.output
    assert list((tmp_path / "runs").glob("*"))


class Billed(MockModel):
    """The mock billed per token, like an API model."""

    @property
    def usage_source(self) -> UsageSource:
        return "server"


def test_over_max_usd_stops_before_starting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    labelled(tmp_path)
    spec = tmp_path / "task.yaml"
    spec.write_text("data: d.jsonl\nmodel: mock\napi:\n  price_input: 1000\nmax_usd: 0.5\n")
    monkeypatch.setattr(ladder, "load_model", lambda *_, **__: Billed())
    result = runner.invoke(
        app, ["run", str(spec), "--cache-dir", str(tmp_path / "c"), "--runs-dir", str(tmp_path)]
    )
    assert result.exit_code == 2, result.output
    assert "max_usd" in result.output


def test_plan_with_a_limit_still_exits_0(tmp_path: Path, slow_probe: None) -> None:
    result = runner.invoke(app, args(tmp_path, "--plan", "--max-minutes", "1"))
    assert result.exit_code == 0
    assert "max_minutes" in result.output


def test_check_names_the_cap_once(tmp_path: Path) -> None:
    data = labelled(tmp_path, n=1500)  # 450 held out: over the default cap
    result = runner.invoke(
        app, ["check", str(data), "--model", "mock", "--cache-dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("test capped at") == 1
    everything = runner.invoke(
        app, ["check", str(data), "--model", "mock", "--cache-dir", str(tmp_path), "--all-test"]
    )
    assert "test capped at" not in everything.output
    assert "450 test" in everything.output


def test_sweep_flag_counts_the_built_in_grid_in_the_plan(tmp_path: Path) -> None:
    plain = runner.invoke(app, args(tmp_path, "--plan", "--json"))
    swept = runner.invoke(app, args(tmp_path, "--plan", "--json", "--sweep"))
    assert plain.exit_code == 0 and swept.exit_code == 0, swept.output
    lora = {
        name: next(r for r in json.loads(out.stdout)["rungs"] if r["rung"] == "lora")
        for name, out in (("plain", plain), ("swept", swept))
    }
    assert f"sweep of {len(DEFAULT_GRID)} settings" in lora["swept"]["detail"]
    assert lora["swept"]["train_steps"] > lora["plain"]["train_steps"]

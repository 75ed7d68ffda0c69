"""The sweep end to end on the real tiny model: two settings, a few steps each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shouldtune.cli import app
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.slow


def test_a_two_point_sweep_reports_the_chosen_point_and_records_both(
    tmp_path: Path, model_cache: object
) -> None:
    from tests.conftest import SHARED_MODEL_CACHE

    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    for shared in ("models", "students"):  # reuse the slow-to-make model files, not answers
        (SHARED_MODEL_CACHE / shared).mkdir(parents=True, exist_ok=True)
        (cache_dir / shared).symlink_to(SHARED_MODEL_CACHE / shared)
    spec = tmp_path / "task.yaml"
    spec.write_text(
        (EXAMPLES / "sentiment" / "task.yaml")
        .read_text()
        .replace("data: data.jsonl", f"data: {EXAMPLES / 'sentiment' / 'data.jsonl'}")
        + 'rungs: [zero_shot, lora]\nall_rungs: true\ncalibrate: "off"\n'
        + "reproduce:\n  enabled: false\n"
        + "split:\n  max_test: 8\nforgetting:\n  max_probe_drop: 100\n"
        + "lora:\n  max_steps: 2\n  batch_size: 4\n  target_modules: [q_proj, v_proj]\n"
        + "  sweep: [{rank: 4}, {learning_rate: 0.0002}]\n"
        + "  probe_n: 16\n"  # the default 150-item probe, twice, would add minutes
    )
    argv = ["run", str(spec), "--runs-dir", str(tmp_path / "runs"), "--cache-dir", str(cache_dir)]
    result = CliRunner().invoke(app, [*argv, "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    lora = next(r for r in payload["rungs"] if r["rung"] == "lora")
    record = lora["settings"]["sweep"]
    assert [p["label"] for p in record["points"]] == ["rank=4", "learning_rate=0.0002"]
    chosen = record["points"][record["chosen"]]
    # The rung reports the chosen point: its test score and its own settings.
    assert chosen["test_score"] == lora["score"]["point"] and chosen["test_n"] == lora["n"] == 8
    assert all(p["val_n"] == record["val_size"] > 0 for p in record["points"])
    assert all(p["within_budget"] is True for p in record["points"])  # 100 points: any drop
    assert all(p["forgetting"]["n_probe"] > 0 for p in record["points"])
    assert lora["settings"]["lora"]["rank"] == chosen["overrides"].get("rank", 16)
    assert "within" in record["rule"]
    # The report draws the trade-off, one point per setting.
    run_dir = Path(payload["run_dir"])
    assert (run_dir / "report.html").read_text().count('class="sweep-point') == 2

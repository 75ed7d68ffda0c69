"""Prompt the served model, fine-tune a local student: one run compares the two.

The prompted model is the embedded model behind llama-cpp-python's OpenAI-compatible
server (loopback); the student is the same weights loaded locally and fine-tuned with LoRA
for a few steps. The verdict table names both models, with their scores, latencies and costs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from shouldtune.api import run
from shouldtune.report.terminal import render_result
from shouldtune.rung_settings import ModelUsed
from shouldtune.spec import load_spec
from tests.conftest import EXAMPLES, SHARED_MODEL_CACHE
from tests.fakes import present
from tests.models.servers import LlamaServer

pytestmark = pytest.mark.slow


def test_prompted_server_model_against_fine_tuned_local_student(
    llama_server: LlamaServer, tmp_path: Path
) -> None:
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    for shared in ("models", "students"):  # reuse the slow-to-make model files, not answers
        (SHARED_MODEL_CACHE / shared).mkdir(parents=True, exist_ok=True)
        (cache_dir / shared).symlink_to(SHARED_MODEL_CACHE / shared)
    spec = load_spec(
        EXAMPLES / "sentiment" / "task.yaml",
        {
            "model": f"{llama_server.base_url}:served-smollm2",
            "student": "smollm2-135m",
            "rungs": ["zero_shot", "lora"],
            "all_rungs": True,
            "split": {"max_test": 8},
            "context_length": 2048,
            "reproduce": {"enabled": False},
            "api": {"concurrency": 2, "price_input": 0.15, "price_output": 0.6},
            "lora": {
                "max_steps": 4,
                "batch_size": 4,
                "target_modules": ["q_proj", "v_proj"],
                "probe_n": 16,  # the default 150-item probe would add a minute or more
            },
        },
    )
    result = run(spec, cache_dir=cache_dir, runs_dir=tmp_path / "runs")
    prompted, tuned = result.rungs
    assert result.model.backend == "openai" and result.model.name == "served-smollm2"
    assert prompted.settings.model == ModelUsed(name="served-smollm2", backend="openai")
    assert prompted.settings.methods == ["logprobs"]
    assert (
        present(prompted.settings.usage).requests == 8 and present(prompted.settings.cost_usd) > 0
    )
    assert tuned.settings.student == "smollm2-135m"
    assert present(tuned.settings.model).backend == "llama.cpp"
    assert present(tuned.settings.model).name == "smollm2-135m+lora"
    assert tuned.settings.cost_usd is None  # a local model has no per-token price
    assert present(tuned.settings.latency_vs)["zero_shot"].model == "served-smollm2"
    assert prompted.mean_latency_s > 0 and tuned.mean_latency_s > 0
    console = Console(record=True, width=200)
    render_result(console, result)
    table = console.export_text()
    print(table)  # shown with -s: the verdict table a person reads
    assert "served-smollm2" in table and "smollm2-135m+lora" in table
    assert "ms/ex" in table
    for report in ("report.html", "report.md"):  # the written reports name them too
        text = (Path(result.run_dir or "") / report).read_text()
        assert "served-smollm2" in text and "smollm2-135m+lora" in text, report
    if result.cost is not None:  # the cost model prices both options from the usage figures
        assert "zero_shot" in result.cost.options

"""The typed rung settings: older runs load, results.json keeps its names, readers get types."""

from __future__ import annotations

import json
from typing import Any

from shouldtune.rung_settings import RungSettings, Usage

# A LoRA rung's settings as an earlier results.json holds them (abridged, real key names).
RECORDED: dict[str, Any] = {
    "system_prompt": "Classify.",
    "model": {"name": "smollm2-135m+lora", "backend": "hf"},
    "usage": {
        "prompt_tokens": 800,
        "completion_tokens": 40,
        "requests": 20,
        "mean_prompt_tokens": 40.0,
        "mean_completion_tokens": 2.0,
        "fresh_prompt_tokens": 0,
        "fresh_completion_tokens": 0,
        "source": "tokenizer",
    },
    "methods": ["loglik"],
    "student": "smollm2-135m",
    "student_params": 134515008,
    "training": {"steps": 30, "wall_s": 12.5, "tokens_per_s": 900.0, "device": "cpu"},
    "forgetting": {"probe_base": 0.6, "probe_tuned": 0.55, "summary": "KL 0.010 nats/token"},
    "artifacts": {"adapter": "/cache/lora/abc/adapter"},
    "latency_vs": {
        "zero_shot": {"latency_s": 0.2, "prompt_tokens": 50.0, "speedup": 2.0, "model": None}
    },
}


def test_recorded_settings_load_typed_and_write_back_unchanged() -> None:
    settings = RungSettings.model_validate(RECORDED)
    assert settings.usage is not None and settings.usage.requests == 20
    assert settings.training is not None and settings.training.tokens_per_s == 900.0
    assert settings.forgetting is not None and settings.forgetting.summary is not None
    assert settings.latency_vs is not None and settings.latency_vs["zero_shot"].speedup == 2.0
    # Keys no reader types are kept as recorded, nested ones too.
    assert settings.extra("system_prompt") == "Classify."
    assert settings.training.extra("steps") == 30
    # Same names, values and order, nothing added (no nulls for fields the rung never set).
    assert settings.model_dump_json() == json.dumps(RECORDED, separators=(",", ":"))


def test_settings_without_a_part_do_not_gain_it() -> None:
    dumped = json.loads(RungSettings.model_validate({"methods": ["generate"]}).model_dump_json())
    assert dumped == {"methods": ["generate"]}


def test_usage_has_one_request_count_whatever_an_older_record_called_it() -> None:
    for spelling in ("requests", "calls", "n"):
        usage = Usage.model_validate({"prompt_tokens": 900, "completion_tokens": 30, spelling: 10})
        assert usage.requests == 10
        assert usage.means() == (90.0, 3.0)
        assert "requests" in json.loads(usage.model_dump_json())


def test_recorded_means_win_over_totals() -> None:
    usage = Usage(
        prompt_tokens=900,
        completion_tokens=30,
        requests=10,
        mean_prompt_tokens=85.0,
        mean_completion_tokens=2.5,
    )
    assert usage.means() == (85.0, 2.5)
    assert Usage(prompt_tokens=900, completion_tokens=30).means() is None

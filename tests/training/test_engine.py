"""The training engine: unsloth only with a CUDA GPU and the package, else transformers."""

from __future__ import annotations

import importlib.util
import sys
import types
from typing import Any, ClassVar

import pytest

from shouldtune.training import engine


class FakeTokenizer:
    pad_token: str | None = None
    eos_token = "</s>"


class FakeFastLanguageModel:
    calls: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    @staticmethod
    def from_pretrained(**kwargs: Any) -> tuple[str, FakeTokenizer]:
        FakeFastLanguageModel.calls.append(("from_pretrained", kwargs))
        return "base-model", FakeTokenizer()

    @staticmethod
    def get_peft_model(model: str, **kwargs: Any) -> str:
        FakeFastLanguageModel.calls.append(("get_peft_model", {"model": model, **kwargs}))
        return "peft-model"


@pytest.fixture
def fake_unsloth(monkeypatch: pytest.MonkeyPatch) -> type[FakeFastLanguageModel]:
    module = types.ModuleType("unsloth")
    module.FastLanguageModel = FakeFastLanguageModel  # type: ignore[attr-defined]
    module.__spec__ = types.SimpleNamespace(name="unsloth")  # type: ignore[assignment]
    monkeypatch.setitem(sys.modules, "unsloth", module)
    monkeypatch.delenv("SHOULDTUNE_TRAIN_ENGINE", raising=False)
    FakeFastLanguageModel.calls = []
    return FakeFastLanguageModel


def test_cpu_uses_transformers_even_with_unsloth_installed(
    fake_unsloth: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert engine.choose_engine() == "transformers"


def test_gpu_with_unsloth_loads_through_it_with_the_job_settings(
    fake_unsloth: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: object())
    job = types.SimpleNamespace(
        student_dir="/students/x",
        rank=8,
        alpha=16.0,
        dropout=0.05,
        target_modules=["q_proj", "v_proj"],
        seed=3,
    )
    loaded = engine.load_for_training(job, tokenizer=None, max_seq_length=128)
    assert loaded.engine == "unsloth"
    assert loaded.model == "peft-model" and loaded.base == "base-model"
    assert loaded.tokenizer.pad_token == "</s>"
    (_, load), (_, peft) = fake_unsloth.calls
    assert load["model_name"] == "/students/x" and load["max_seq_length"] == 128
    assert load["load_in_4bit"] is False
    assert peft["r"] == 8 and peft["lora_alpha"] == 16.0 and peft["random_state"] == 3
    assert peft["target_modules"] == ["q_proj", "v_proj"]


def test_environment_forces_transformers(
    fake_unsloth: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: object())
    monkeypatch.setenv("SHOULDTUNE_TRAIN_ENGINE", "transformers")
    assert engine.choose_engine() == "transformers"

"""What loads the student for training: unsloth on a CUDA GPU when the `gpu` extra is there,
else transformers + peft. Nothing else in shouldtune imports unsloth.

Both return a peft model whose `save_pretrained` writes a standard adapter, so everything
after training (scoring, GGUF export, serving) is the same whichever engine trained it.
SHOULDTUNE_TRAIN_ENGINE=transformers forces the plain engine (to compare, or to work
around an unsloth problem).
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from typing import Any, Literal, Protocol

Engine = Literal["transformers", "unsloth"]


@dataclass
class Loaded:
    model: Any  # the peft model to train
    base: Any  # the model under the adapters (for what its forward accepts)
    tokenizer: Any
    engine: Engine


def choose_engine() -> Engine:
    """unsloth only with a CUDA GPU and the package installed, unless told otherwise."""
    if os.environ.get("SHOULDTUNE_TRAIN_ENGINE", "").strip() == "transformers":
        return "transformers"
    import torch

    if torch.cuda.is_available() and importlib.util.find_spec("unsloth") is not None:
        return "unsloth"
    return "transformers"


class AdapterSettings(Protocol):
    """What loading needs from a LoRA job (`lora.LoraJob` is one)."""

    @property
    def student_dir(self) -> str: ...
    @property
    def rank(self) -> int: ...
    @property
    def alpha(self) -> float: ...
    @property
    def dropout(self) -> float: ...
    @property
    def target_modules(self) -> list[str]: ...
    @property
    def seed(self) -> int: ...


def load_for_training(job: AdapterSettings, *, tokenizer: Any, max_seq_length: int) -> Loaded:
    """The student with fresh LoRA adapters; `tokenizer` is the student's (unsloth brings its
    own, patched)."""
    if choose_engine() == "unsloth":
        return _load_unsloth(job, max_seq_length)
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(job.seed)
    base: Any = AutoModelForCausalLM.from_pretrained(job.student_dir, dtype=torch.float32)
    config = LoraConfig(
        r=job.rank,
        lora_alpha=job.alpha,  # type: ignore[arg-type]  # peft reads it as a float scale
        lora_dropout=job.dropout,
        target_modules=list(job.target_modules),
        task_type="CAUSAL_LM",
    )
    return Loaded(get_peft_model(base, config), base, _with_pad(tokenizer), "transformers")


def _load_unsloth(job: AdapterSettings, max_seq_length: int) -> Loaded:
    from unsloth import FastLanguageModel

    base, tokenizer = FastLanguageModel.from_pretrained(
        model_name=job.student_dir,
        max_seq_length=max_seq_length,
        dtype=None,  # bf16 where the GPU has it, else fp16
        load_in_4bit=False,  # the student is already full precision; QLoRA is a user choice
    )
    model = FastLanguageModel.get_peft_model(
        base,
        r=job.rank,
        lora_alpha=job.alpha,
        lora_dropout=job.dropout,
        target_modules=list(job.target_modules),
        bias="none",
        use_gradient_checkpointing="unsloth",
        random_state=job.seed,
    )
    return Loaded(model, base, _with_pad(tokenizer), "unsloth")


def _with_pad(tokenizer: Any) -> Any:
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer

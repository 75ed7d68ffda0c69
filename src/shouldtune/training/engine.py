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
from typing import Any, Literal

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


def load_for_training(
    student_dir: str,
    *,
    rank: int,
    alpha: float,
    dropout: float,
    target_modules: list[str],
    seed: int,
    max_seq_length: int,
) -> Loaded:
    engine = choose_engine()
    if engine == "unsloth":
        return _load_unsloth(
            student_dir, rank, alpha, dropout, target_modules, seed, max_seq_length
        )
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(student_dir)
    base: Any = AutoModelForCausalLM.from_pretrained(student_dir, dtype=torch.float32)
    config = LoraConfig(
        r=rank,
        lora_alpha=alpha,  # type: ignore[arg-type]  # peft reads it as a float scale
        lora_dropout=dropout,
        target_modules=list(target_modules),
        task_type="CAUSAL_LM",
    )
    return Loaded(get_peft_model(base, config), base, _with_pad(tokenizer), "transformers")


def _load_unsloth(
    student_dir: str,
    rank: int,
    alpha: float,
    dropout: float,
    target_modules: list[str],
    seed: int,
    max_seq_length: int,
) -> Loaded:
    from unsloth import FastLanguageModel

    base, tokenizer = FastLanguageModel.from_pretrained(
        model_name=student_dir,
        max_seq_length=max_seq_length,
        dtype=None,  # bf16 where the GPU has it, else fp16
        load_in_4bit=False,  # the student is already full precision; QLoRA is a user choice
    )
    model = FastLanguageModel.get_peft_model(
        base,
        r=rank,
        lora_alpha=alpha,
        lora_dropout=dropout,
        target_modules=list(target_modules),
        bias="none",
        use_gradient_checkpointing="unsloth",
        random_state=seed,
    )
    return Loaded(model, base, _with_pad(tokenizer), "unsloth")


def _with_pad(tokenizer: Any) -> Any:
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer

"""The student: the local model the LoRA rung fine-tunes, as a transformers folder.

A GGUF student is dequantized once (slow: tens of seconds) and saved as safetensors under
the cache, keyed by the GGUF's hash, so later runs load it in a second or two.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from shouldtune.cache import CallCache
from shouldtune.models.registry import ModelError, resolve


def student_dir(reference: str, cache: CallCache) -> tuple[Path, str]:
    """(transformers folder, content hash of the weights it came from) for a model reference."""
    resolved = resolve(reference, cache.root)
    digest = cache.file_hash(resolved.path)
    if resolved.path.is_dir():
        return resolved.path, digest
    return dequantized_dir(resolved.path, digest, cache.root), digest


def dequantized_dir(gguf_path: Path, digest: str, cache_root: Path) -> Path:
    """A GGUF file as a transformers folder (fp32 safetensors), made once and cached."""
    target = cache_root / "students" / digest[:24]
    if (target / "config.json").exists():
        return target
    from shouldtune.models.hf import load_hf

    try:
        model, tokenizer = load_hf(gguf_path)
    except Exception as error:  # transformers raises many types for unsupported GGUFs
        raise ModelError(f"{gguf_path}: transformers cannot load it: {error}") from None
    # Dequantized weights are plain fp32 now; transformers still marks the model as GGUF
    # quantized and refuses to save it unless that mark is removed.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tmp = target.with_name(target.name + f".tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    if target.exists():
        shutil.rmtree(tmp)
    else:
        tmp.rename(target)  # atomic: a half-written student is never picked up
    return target


def load_peft(student: Path, adapter: Path) -> tuple[Any, Any]:
    """(peft model, tokenizer): the student in fp32 with the adapter attached."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from shouldtune.models.hf import quiet_transformers

    quiet_transformers()
    tokenizer = AutoTokenizer.from_pretrained(str(student))
    base = AutoModelForCausalLM.from_pretrained(str(student))
    return PeftModel.from_pretrained(base, str(adapter)), tokenizer

"""A GGUF file as a transformers folder, for the backends and the trainer that need torch weights.

Dequantizing is slow (tens of seconds), so the result is saved as fp32 safetensors under the
cache, keyed by the GGUF's hash, and later loads take a second or two. It lives in the model
layer because loading a GGUF in transformers needs it; training reads it from here.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from shouldtune.models.base import ModelError


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

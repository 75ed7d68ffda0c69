"""A GGUF file as a transformers folder, for the backends and the trainer that need torch weights.

Dequantizing is slow (tens of seconds), so the result is saved as fp32 safetensors under the
cache, keyed by the GGUF's hash, and later loads take a second or two. It lives in the model
layer because loading a GGUF in transformers needs it; training reads it from here.
"""

from __future__ import annotations

from pathlib import Path

from shouldtune.filelock import made_once
from shouldtune.models.base import ModelError


def dequantized_dir(gguf_path: Path, digest: str, cache_root: Path) -> Path:
    """A GGUF file as a transformers folder (fp32 safetensors), made once and cached."""
    target = cache_root / "students" / digest[:24]

    def dequantize(tmp: Path) -> None:
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
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)

    # Made by one run at a time (a second one sharing the cache waits, then reuses it) and
    # published by rename when whole: a half-written student is never picked up.
    return made_once(
        target,
        dequantize,
        ready=lambda path: (path / "config.json").exists(),
        waiting="waiting for another run dequantizing the same student",
    )

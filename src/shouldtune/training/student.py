"""The student: the local model the LoRA rung fine-tunes, as a transformers folder.

A GGUF student is dequantized once (models.dequantize) and loaded from the cache after that.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shouldtune.cache import CallCache
from shouldtune.models.dequantize import dequantized_dir
from shouldtune.models.registry import resolve


def student_dir(reference: str, cache: CallCache) -> tuple[Path, str]:
    """(transformers folder, content hash of the weights it came from) for a model reference."""
    resolved = resolve(reference, cache.root)
    digest = cache.file_hash(resolved.path)
    if resolved.path.is_dir():
        return resolved.path, digest
    return dequantized_dir(resolved.path, digest, cache.root), digest


def load_peft(student: Path, adapter: Path) -> tuple[Any, Any]:
    """(peft model, tokenizer): the student in fp32 with the adapter attached."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from shouldtune.models.hf import quiet_transformers

    quiet_transformers()
    tokenizer = AutoTokenizer.from_pretrained(str(student))
    base = AutoModelForCausalLM.from_pretrained(str(student))
    return PeftModel.from_pretrained(base, str(adapter)), tokenizer

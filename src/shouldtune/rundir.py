"""The run directory: manifest.json, predictions.jsonl and results.json, written atomically."""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from shouldtune import __version__
from shouldtune.cache import make_private_dir
from shouldtune.models.base import ModelInfo
from shouldtune.models.remote import redact_url_credentials
from shouldtune.pii import mask_quoted, masked_prediction
from shouldtune.records import Prediction
from shouldtune.spec import TaskSpec
from shouldtune.split import Split

_VERSIONED = ("llama_cpp_python", "transformers", "torch", "pydantic", "numpy", "peft")


def _versions() -> dict[str, str]:
    found = {"shouldtune": __version__, "python": sys.version.split()[0]}
    for name in _VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def write_json_atomic(path: Path, value: Any) -> None:
    """Write to a temporary file and rename, so a crash never leaves half a file.

    Credentials in URLs ('https://user:token@host') are written as '***': a run records the
    server it talked to, never the secret in its address.
    """
    text = redact_url_credentials(json.dumps(value, indent=2, ensure_ascii=False))
    write_text_atomic(path, text + "\n")


def write_text_atomic(path: Path, text: str) -> None:
    """`text` written whole to `path` or not at all: a temporary file, flushed to disk, then
    renamed over it. A killed writer leaves at most `<name>.tmp`, rewritten the next time."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())  # else a crash of the machine can publish an empty file
    os.replace(tmp, path)


class RunDir:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.started = datetime.now(UTC)

    @classmethod
    def create(cls, root: Path, task: str) -> RunDir:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in task) or "task"
        path = root / f"{safe}-{stamp}"
        n = 1
        while path.exists():
            n += 1
            path = root / f"{safe}-{stamp}-{n}"
        make_private_dir(root)
        path.mkdir(mode=0o700)  # private: results quote the user's examples
        return cls(path)

    def write_manifest(
        self,
        spec: TaskSpec,
        model: ModelInfo,
        split: Split,
        status: str,
        scorer: dict[str, Any] | None = None,
    ) -> None:
        """`scorer`: what a model-backed scorer says about itself (the judge and its prompt)."""
        manifest = {
            "status": status,
            "started": self.started.isoformat(),
            "updated": datetime.now(UTC).isoformat(),
            "versions": _versions(),
            "platform": {
                "system": platform.system(),
                "machine": platform.machine(),
                "cpus": os.cpu_count(),
            },
            "spec": spec.model_dump(mode="json"),
            "model": model.model_dump(mode="json"),
            **({"scorer": scorer} if scorer else {}),
            "seeds": {"split": spec.split.seed, "demonstrations": spec.split.seed},
            "split": {
                "test_ids": [e.id for e in split.test],
                "train_ids": [e.id for e in split.train],
            },
        }
        write_json_atomic(self.path / "manifest.json", manifest)

    def append_predictions(self, predictions: Sequence[Prediction]) -> None:
        """Append to predictions.jsonl, personal data and secrets masked (pii.mask_text):
        the scores are already computed, and a run file never quotes such a value in full."""
        with (self.path / "predictions.jsonl").open("a", encoding="utf-8") as handle:
            for prediction in predictions:
                handle.write(masked_prediction(prediction).model_dump_json() + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def write_results(self, results: dict[str, Any]) -> None:
        """results.json, its quoted examples (failure examples) masked like the predictions."""
        write_json_atomic(self.path / "results.json", mask_quoted(results))

"""Reading a saved run directory back: the one input every report format is rendered from.

Reports are rendered from the files on disk, never from objects in memory, so that
`shouldtune report RUN_DIR` and the end of `shouldtune run` produce the same bytes. What
looks like personal data or a secret in the quoted examples is masked here, once for every
format (pii.mask_text), even in a run written before the run files were masked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from shouldtune.pii import mask_quoted, masked_prediction
from shouldtune.records import Prediction
from shouldtune.results import RunResult

# Every results.json this reader understands. Version 1 lacks verdict.findings (added in 2),
# which is optional in the model, so a v1 run reads as a v2 run without its findings.
READABLE_VERSIONS = (1, 2)


class ReportError(Exception):
    """A run directory that cannot be reported on; the message says why."""


@dataclass(frozen=True)
class RunData:
    """A run directory's contents: the typed result, the raw JSON and every prediction."""

    path: Path
    result: RunResult
    raw: dict[str, Any]
    """results.json as read, for sections whose fields are newer than this reader's model."""
    predictions: list[Prediction]
    manifest: dict[str, Any]


def _read_text(path: Path) -> str:
    # Any damage to a saved file (a folder in its place, other bytes, no permission) is named.
    try:
        return path.read_text(encoding="utf-8")
    except IsADirectoryError:
        raise ReportError(f"{path}: a folder where a file belongs") from None
    except UnicodeDecodeError as error:
        raise ReportError(f"{path}: not UTF-8 text (byte {error.start}): damaged") from None
    except OSError as error:
        raise ReportError(f"{path}: cannot read: {error.strerror}") from None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(_read_text(path))
    except json.JSONDecodeError as error:
        raise ReportError(f"{path}: not valid JSON ({error})") from None
    except RecursionError:
        raise ReportError(f"{path}: nested too deep to be a run file") from None


def _schema_errors(where: str, error: ValidationError, limit: int = 5) -> str:
    """The first few fields that do not match, one line each, as `where: field: message`."""
    items = error.errors()
    lines = [
        f"{where}: {'.'.join(str(p) for p in item['loc']) or '(top level)'}: {item['msg']}"
        for item in items[:limit]
    ]
    if len(items) > limit:
        lines.append(f"{where}: ... and {len(items) - limit} more")
    return "\n".join(lines)


def _status(path: Path) -> str:
    manifest = path / "manifest.json"
    if not manifest.exists():
        return "no manifest.json either: is this a run directory?"
    read = _read_json(manifest)
    status = read.get("status", "unknown") if isinstance(read, dict) else "unreadable"
    return f"the run's status is {status!r}: it did not finish"


def _predictions(path: Path) -> list[Prediction]:
    if not path.exists():
        return []
    found: list[Prediction] = []
    for number, line in enumerate(_read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            found.append(masked_prediction(Prediction.model_validate_json(line)))
        except ValidationError as error:
            raise ReportError(_schema_errors(f"{path}:{number}", error, limit=2)) from None
        except RecursionError:
            raise ReportError(f"{path}:{number}: nested too deep to be a prediction") from None
    return found


def load_run(path: Path) -> RunData:
    """Read results.json, predictions.jsonl and manifest.json from a run directory."""
    if not path.is_dir():
        raise ReportError(f"{path}: no such run directory")
    results_path = path / "results.json"
    if not results_path.exists():
        raise ReportError(f"{path}: no results.json ({_status(path)})")
    raw = _read_json(results_path)
    if not isinstance(raw, dict):
        raise ReportError(f"{results_path}: expected a JSON object")
    raw = mask_quoted(raw)
    known = RunResult.model_fields["schema_version"].default
    version = raw.get("schema_version")
    if version not in READABLE_VERSIONS:
        raise ReportError(
            f"{results_path}: schema_version {version!r}; this shouldtune reads versions "
            f"{READABLE_VERSIONS[0]} to {known}"
        )
    try:
        result = RunResult.model_validate(raw)
    except ValidationError as error:
        raise ReportError(_schema_errors(str(results_path), error)) from None
    except RecursionError:
        raise ReportError(f"{results_path}: nested too deep to be a run file") from None
    predictions = _predictions(path / "predictions.jsonl")
    manifest_path = path / "manifest.json"
    manifest = _read_json(manifest_path) if manifest_path.exists() else {}
    if not isinstance(manifest, dict):
        raise ReportError(f"{manifest_path}: expected a JSON object")
    return RunData(path, result, raw, predictions, manifest)

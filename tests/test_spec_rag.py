"""The docs and rag settings: paths, defaults, refusals, and the --docs flag."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shouldtune.cli import app
from shouldtune.spec import SpecError, load_spec, spec_from_dict

runner = CliRunner()


def test_docs_and_a_local_embedder_are_relative_to_the_yaml(tmp_path: Path) -> None:
    (tmp_path / "task").mkdir()
    path = tmp_path / "task" / "task.yaml"
    path.write_text("data: d.jsonl\ndocs: manuals\nrag:\n  embedder: models/mini\n")
    spec = load_spec(path)
    assert spec.docs == tmp_path / "task" / "manuals"
    assert spec.rag.embedder == str(tmp_path / "task" / "models" / "mini")
    path.write_text("data: d.jsonl\ndocs: manuals\n")
    assert load_spec(path).rag.embedder == "all-minilm-l6-v2"  # the built-in name stays


def test_rag_joins_the_default_rungs_only_with_docs() -> None:
    without = spec_from_dict({"data": "d.jsonl"}).rungs
    with_docs = spec_from_dict({"data": "d.jsonl", "docs": "manuals"}).rungs
    assert "rag" not in without
    # right after the prompt rungs, before training
    assert with_docs == [*without[:3], "rag", *without[3:]]
    assert without[2] == "prompt_search" and without[3] == "lora"
    chosen = spec_from_dict({"data": "d.jsonl", "docs": "m", "rungs": ["few_shot"]})
    assert chosen.rungs == ["few_shot"]


def test_rag_without_docs_and_bad_chunking_are_named(tmp_path: Path) -> None:
    path = tmp_path / "task.yaml"
    path.write_text("data: d.jsonl\nrungs: [zero_shot, rag]\n")
    with pytest.raises(SpecError, match=r"task\.yaml:\d+: rungs: .*the rag rung needs docs"):
        load_spec(path)
    with pytest.raises(SpecError, match="chunk_overlap must be smaller"):
        spec_from_dict({"data": "d", "rag": {"chunk_tokens": 32, "chunk_overlap": 32}})
    with pytest.raises(SpecError, match=r"rag\.index"):
        spec_from_dict({"data": "d", "rag": {"index": "fuzzy"}})
    with pytest.raises(SpecError, match=r"few_shot\.selection"):
        spec_from_dict({"data": "d", "few_shot": {"selection": "nearest"}})


def test_check_with_docs_lists_what_it_skips(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    rows = [{"input": f"question {i}", "expected": f"answer {i}"} for i in range(10)]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# A\n\nSome text.\n")
    (docs / "out.md").symlink_to(tmp_path / "d.jsonl")
    result = runner.invoke(app, ["check", str(data), "--docs", str(docs)])
    assert result.exit_code == 0, result.output
    assert "docs: 1 document(s)" in result.output
    assert "out.md: refused" in result.output


def test_run_with_a_missing_docs_folder_exits_2(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text('{"input": "q", "expected": "a"}\n')
    result = runner.invoke(
        app, ["run", str(data), "--rungs", "rag", "--docs", str(tmp_path / "nope")]
    )
    assert result.exit_code == 2
    assert "the docs folder does not exist" in result.output
    assert "Traceback" not in result.output

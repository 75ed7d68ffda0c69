"""The RAG rung end to end: the bundled docs-QA example, the real embedder and model."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shouldtune.cli import app
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.slow
runner = CliRunner()


def test_docs_qa_rag_rung_cites_its_passages(tmp_path: Path) -> None:
    args = [
        "run",
        str(EXAMPLES / "docs-qa" / "task.yaml"),
        "--max-test",
        "10",
        "--rungs",
        "zero_shot,rag",
        "--runs-dir",
        str(tmp_path / "runs"),
        "--json",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    rungs = {r["rung"]: r for r in payload["rungs"]}
    rag = rungs["rag"]
    score = rag["score"]
    assert rag["n"] == 10 and score["method"] == "wilson"
    assert 0.0 <= score["low"] <= score["point"] <= score["high"] <= 1.0
    retrieval = rag["settings"]["retrieval"]
    assert retrieval["index_recall_at_k"] == 1.0
    assert retrieval["answer_in_context"] >= 0.8  # MiniLM finds the passages
    assert retrieval["recall_at_k"] >= 0.8 and retrieval["gold_n"] == 10
    assert rag["score"]["point"] > rungs["zero_shot"]["score"]["point"]
    assert any(c["a"] == "zero_shot" and c["b"] == "rag" for c in payload["comparisons"])

    run_dir = Path(payload["run_dir"])
    lines = (run_dir / "predictions.jsonl").read_text().splitlines()
    predictions = [p for p in map(json.loads, lines) if p["rung"] == "rag"]
    assert len(predictions) == 10
    for prediction in predictions:
        detail = prediction["detail"]
        assert detail["retrieved_ids"] and all(
            re.fullmatch(r"[0-9a-f]{16}", chunk_id) for chunk_id in detail["retrieved_ids"]
        )
        assert len(detail["retrieved_sources"]) == len(detail["retrieved_ids"])
        assert detail["retrieved_sources"][0].split(" > ")[0] in {
            path.name for path in (EXAMPLES / "docs-qa" / "docs").iterdir()
        }
    results = json.loads((run_dir / "results.json").read_text())
    assert [r["rung"] for r in results["rungs"]] == ["zero_shot", "rag"]

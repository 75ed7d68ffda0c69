"""The RAG rung with a scripted reader and a fake embedder: scores, diagnostics, caching."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from shouldtune.cache import CallCache
from shouldtune.ladder import run_ladder
from shouldtune.results import RunResult
from shouldtune.spec import SequentialSpec, TaskSpec, spec_from_dict
from tests.fakes import ScriptedModel, present
from tests.rag.fakes import HashEmbedder

NAMES = [
    f"{a}{b}"
    for a in ("zor", "mel", "quin", "tav", "bex", "rudd")
    for b in ("a", "e", "i", "o", "u", "y", "an", "en", "in", "on")
]
QUESTION = re.compile(r"What is the code for project (\w+)\?")


def code(name: str) -> str:
    return f"{name[::-1]}{len(name) * 7}"


def write_task(tmp_path: Path, *, facts: bool = True, **rag: Any) -> TaskSpec:
    docs = tmp_path / "docs"
    docs.mkdir()
    for file_no in range(6):
        sections = []
        for name in NAMES[file_no * 10 : file_no * 10 + 10]:
            body = f"The code for project {name} is {code(name)}." if facts else "Unrelated."
            sections.append(f"## Project {name}\n\n{body}\n")
        (docs / f"projects-{file_no}.md").write_text("# Projects\n\n" + "\n".join(sections))
    rows = [
        {
            "question": f"What is the code for project {name}?",
            "answer": code(name),
            "source": f"projects-{i // 10}.md",
        }
        for i, name in enumerate(NAMES)
    ]
    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return spec_from_dict(
        {
            "data": str(data),
            "docs": str(docs),
            "input": "question",
            "expected": "answer",
            "scorer": "exact",
            "rag": {"top_k": 2, "gold_field": "source", **rag},
            "rungs": ["zero_shot", "few_shot", "rag"],
        }
    )


def reader(prompt: str) -> str:
    """A model that reads well: the passages (system part) answer the last question."""
    context = prompt.split("Input:", 1)[0]
    asked = QUESTION.findall(prompt.rsplit("Input:", 1)[-1])
    if not asked:
        return "unknown"
    found = re.search(rf"The code for project {asked[-1]} is (\w+)\.", context)
    return found.group(1) if found else "unknown"


def climb(spec: TaskSpec, cache: CallCache, tmp_path: Path, **kwargs: Any) -> RunResult:
    kwargs.setdefault("model", ScriptedModel(reader))
    kwargs.setdefault("embedder", HashEmbedder())
    return run_ladder(spec, cache=cache, runs_dir=tmp_path / "runs", **kwargs)


def test_docs_add_the_rag_rung_which_beats_the_prompts(tmp_path: Path, cache: CallCache) -> None:
    spec = write_task(tmp_path)
    defaults = spec_from_dict({"data": str(spec.data), "docs": str(spec.docs)}).rungs
    # rag right after the prompt rungs
    assert defaults[:4] == ["zero_shot", "few_shot", "prompt_search", "rag"]
    result = climb(spec, cache, tmp_path)
    scores = {r.rung: r.score.point for r in result.rungs}
    assert scores == {"zero_shot": 0.0, "few_shot": 0.0, "rag": 1.0}
    assert result.verdict.kind == "RAG"
    assert result.verdict.question == "2. knowledge"
    # The headline gives the difference in points; the p-value is in the reasons.
    assert "+100.0 pts" in result.verdict.headline and "p=" not in result.verdict.headline
    assert any("mcnemar p=" in reason for reason in result.verdict.reasons)
    rag = result.rungs[2]
    retrieval = present(rag.settings.retrieval)
    assert retrieval.answer_in_context == 1.0
    assert retrieval.recall_at_k == 1.0 and retrieval.extra("gold_n") == rag.n
    assert retrieval.index == "exact" and retrieval.index_recall_at_k == 1.0
    assert rag.settings.extra("documents")["documents"] == 6
    predictions = [
        json.loads(line)
        for line in (Path(result.run_dir or "") / "predictions.jsonl").read_text().splitlines()
    ]
    rag_predictions = [p for p in predictions if p["rung"] == "rag"]
    assert len(rag_predictions) == rag.n
    chunks_file = Path(result.run_dir or "") / "rag-chunks.jsonl"
    chunks = {c["id"]: c for c in map(json.loads, chunks_file.read_text().splitlines())}
    assert len(chunks) == 60
    for prediction in rag_predictions:
        detail = prediction["detail"]
        assert len(detail["retrieved_ids"]) == 2
        best = chunks[detail["retrieved_ids"][0]]  # every cited id resolves to its text
        assert prediction["expected"] in best["text"]
        assert detail["retrieved_sources"][0].startswith("projects-")
        assert detail["answer_in_context"] is True and detail["gold_hit"] is True


def test_second_run_embeds_nothing_and_asks_nothing(tmp_path: Path, cache: CallCache) -> None:
    spec = write_task(tmp_path).model_copy(update={"rungs": ["rag"]})
    embedder = HashEmbedder()
    first = climb(spec, cache, tmp_path, embedder=embedder)
    calls, texts = embedder.calls, len(embedder.texts)
    assert texts == 60 + first.rungs[0].n  # every chunk, then every test question
    second = climb(spec, cache, tmp_path, embedder=embedder)
    assert (embedder.calls, len(embedder.texts)) == (calls, texts)
    assert second.rungs[0].settings.extra("embedded_chunks") == 0
    assert second.rungs[0].computed_calls == 0
    assert second.rungs[0].score == first.rungs[0].score


def test_a_model_that_ignores_the_passages_is_a_reading_failure(
    tmp_path: Path, cache: CallCache
) -> None:
    spec = write_task(tmp_path)
    result = climb(spec, cache, tmp_path, model=ScriptedModel(lambda prompt: "unknown"))
    rag = present(result.rungs[2].settings.retrieval)
    assert rag.failures == {"retrieval": 0, "reading": result.rungs[2].n}
    assert result.verdict.kind == "INCONCLUSIVE"
    assert any("reading failure" in reason for reason in result.verdict.reasons)
    assert "Retrieval was measured and does not close it" in result.verdict.answer


def test_documents_without_the_answers_are_a_retrieval_failure(
    tmp_path: Path, cache: CallCache
) -> None:
    spec = write_task(tmp_path, facts=False)
    result = climb(spec, cache, tmp_path)
    rag = present(result.rungs[2].settings.retrieval)
    assert rag.answer_in_context == 0.0
    assert rag.failures["retrieval"] == result.rungs[2].n
    assert any("retrieval failure" in reason for reason in result.verdict.reasons)


def test_passages_stay_within_the_context_budget(tmp_path: Path, cache: CallCache) -> None:
    spec = write_task(tmp_path, top_k=5, context_budget=40).model_copy(update={"rungs": ["rag"]})
    result = climb(spec, cache, tmp_path)
    rag = result.rungs[0]
    assert 1 <= present(present(rag.settings.retrieval).mean_passages) < 5
    assert present(present(rag.settings.retrieval).mean_context_tokens) <= 40
    assert any("fewer than 5 passages" in note for note in rag.notes)


def test_demonstrations_in_the_rag_prompt_come_from_train(tmp_path: Path, cache: CallCache) -> None:
    spec = write_task(tmp_path, demonstrations=True).model_copy(update={"rungs": ["rag"]})
    seen: list[str] = []

    def record(prompt: str) -> str:
        seen.append(prompt)
        return reader(prompt)

    result = climb(spec, cache, tmp_path, model=ScriptedModel(record))
    predictions = [
        json.loads(line)
        for line in (Path(result.run_dir or "") / "predictions.jsonl").read_text().splitlines()
    ]
    train = set(result.split.train_ids)
    for prediction in predictions:
        ids = prediction["detail"]["demonstration_ids"]
        assert ids and set(ids) <= train
    assert all(prompt.count("Output:") == 9 for prompt in seen)  # 8 demonstrations + answer
    assert result.rungs[0].score.point == 1.0


def test_approximate_index_reports_its_recall(tmp_path: Path, cache: CallCache) -> None:
    spec = write_task(tmp_path, index="approximate").model_copy(update={"rungs": ["rag"]})
    rag = climb(spec, cache, tmp_path).rungs[0]
    recall = present(rag.settings.retrieval).index_recall_at_k
    assert present(rag.settings.retrieval).index == "approximate"
    assert 0.0 <= present(recall) <= 1.0
    assert any(f"{recall:.1%}" in note and "approximate" in note for note in rag.notes)


def test_a_folder_with_nothing_readable_is_an_error(tmp_path: Path, cache: CallCache) -> None:
    from shouldtune.rag.documents import DocsError

    spec = write_task(tmp_path)
    for path in (tmp_path / "docs").iterdir():
        path.unlink()
    (tmp_path / "docs" / "only.png").write_bytes(b"png")
    with pytest.raises(DocsError, match=r"no readable documents \(only.png: unsupported"):
        climb(spec.model_copy(update={"rungs": ["rag"]}), cache, tmp_path)


def test_a_rag_rung_that_stops_early_keeps_each_answer_with_its_passages(
    tmp_path: Path, cache: CallCache
) -> None:
    spec = write_task(tmp_path).model_copy(
        update={"rungs": ["rag"], "bar": 0.5, "sequential": SequentialSpec(enabled="on", batch=4)}
    )
    result = climb(spec, cache, tmp_path)
    (rag,) = result.rungs
    assert rag.settings.extra("sequential")["stopped_early"] is True
    assert rag.n < result.split.n_test
    path = Path(result.run_dir or "") / "predictions.jsonl"
    answered = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(answered) == rag.n
    chunks_file = Path(result.run_dir or "") / "rag-chunks.jsonl"
    chunks = {c["id"]: c for c in map(json.loads, chunks_file.read_text().splitlines())}
    for prediction in answered:  # the passages retrieved for this input, not another's
        best = chunks[prediction["detail"]["retrieved_ids"][0]]
        assert prediction["expected"] in best["text"]
        assert prediction["detail"]["answer_in_context"] is True

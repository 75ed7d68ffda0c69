"""The product-help example end to end on the real model and embedder: long answers fit."""

from __future__ import annotations

import pytest

from shouldtune.cache import CallCache
from shouldtune.ladder import run_ladder
from shouldtune.models.base import Model
from shouldtune.spec import load_spec
from tests.conftest import EXAMPLES
from tests.fakes import present

pytestmark = pytest.mark.slow


def test_the_default_budget_cuts_no_answer_and_the_rag_diagnosis_is_graded(
    cache: CallCache, smollm: Model
) -> None:
    spec = load_spec(EXAMPLES / "product-help" / "task.yaml")
    split = spec.split.model_copy(update={"max_test": 6})
    spec = spec.model_copy(update={"rungs": ["zero_shot", "rag"], "split": split})
    result = run_ladder(spec, cache=cache, runs_dir=None, model=smollm)
    budget = result.generation_budget
    assert budget is not None and budget.source == "derived" and budget.warning is None
    for rung in result.rungs:
        assert rung.settings.extra("max_new_tokens") == budget.max_new_tokens
        # The budget cut no answer short; a model that rambles past it is counted as runaway.
        assert rung.settings.extra("truncated") == 0, rung.rung
    for summary in result.failures:
        assert all(c.category != "truncated" for c in summary.categories)
    rag = next(r for r in result.rungs if r.rung == "rag")
    retrieval = present(rag.settings.retrieval)
    assert retrieval.measure == "gold"  # long answers with their source named
    assert isinstance(retrieval.answer_in_context, float)
    assert isinstance(retrieval.mean_content_recall, float)  # the graded figure
    assert 0.0 < retrieval.mean_content_recall <= 1.0
    said = " ".join(result.verdict.reasons)
    assert "retrieval or reading failure: cannot tell" not in said
    assert "content words of the answer held" in said  # the graded figure, in the reasons
    assert "cut off by the generation budget" not in said

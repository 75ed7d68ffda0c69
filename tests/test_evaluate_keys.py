"""Passing messages as messages changed no cache key: cached answers of local models still hit."""

from __future__ import annotations

from pathlib import Path

from shouldtune.cache import CallCache
from shouldtune.evaluate import EvalContext, generation, label_loglik
from shouldtune.models.base import Message, prompt_for
from shouldtune.models.registry import load_model
from shouldtune.scoring import ExactScorer
from shouldtune.spec import TaskSpec

MESSAGES = [Message("system", "Answer yes or no."), Message("user", "Is water wet?")]

# The keys the evaluator wrote for these calls before `generate` and `loglik` took a Prompt
# (computed at commit b7d6f59, when they took the rendered text).
GENERATE_KEY = "3b568fc94516e9145dd6fc72f6761e024c28d52f5d06579b843ad87d3bf8529e"
LOGLIK_KEY = "0f2576a67dd3b71b524649ecef78616aa0e5e6bffacfe10f024f49cb81f2b54b"


def test_a_local_models_cache_keys_are_the_ones_written_before(tmp_path: Path) -> None:
    cache = CallCache(tmp_path)
    model = load_model("mock", cache, context_length=512)
    spec = TaskSpec.model_validate({"name": "t", "data": "d.jsonl", "max_new_tokens": 16})
    ctx = EvalContext(spec, model, cache, ExactScorer(), labels=["yes", "no"])
    prompt = prompt_for(model, MESSAGES)
    assert prompt.text == model.render(MESSAGES) and prompt.messages == tuple(MESSAGES)
    assert cache.get(GENERATE_KEY) is None and cache.get(LOGLIK_KEY) is None
    generation(ctx, prompt)
    label_loglik(ctx, MESSAGES, prompt)
    assert cache.get(GENERATE_KEY) is not None
    assert cache.get(LOGLIK_KEY) is not None

"""Asking the model about test examples, through the cache, and scoring the answers.

Rungs decide *what* to ask (their prompts); this module decides *how*: label log-likelihood
for closed label sets when the backend can tell, greedy generation otherwise. Every call
goes through the cache first and is committed as soon as it finishes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shouldtune.analysis.stats import score_interval
from shouldtune.cache import CallCache, call_key
from shouldtune.models.base import Message, Model
from shouldtune.rag.embedder import Embedder
from shouldtune.records import Example, Prediction, RungResult
from shouldtune.scoring import Scorer
from shouldtune.spec import TaskSpec

Progress = Callable[[int, int], None]


@dataclass
class EvalContext:
    """What every rung needs: the task, the model, the cache and the scorer."""

    spec: TaskSpec
    model: Model
    cache: CallCache
    scorer: Scorer
    labels: list[str] | None
    progress: Progress = field(default=lambda done, total: None)
    say: Callable[[str], None] = field(default=lambda message: None)
    run_dir: Path | None = None  # where rungs may write artifacts (adapters, indexes)
    # None: the rungs that embed text load spec.rag.embedder themselves (tests pass a fake).
    embedder: Embedder | None = None


def _key_base(model: Model) -> dict[str, Any]:
    info = model.info
    return {"model": info.file_sha256, "adapter": info.adapter_sha256, "backend": info.backend}


def label_loglik(
    ctx: EvalContext, messages: Sequence[Message], prompt: str
) -> tuple[dict[str, Any], bool]:
    """Log-likelihood of every label as the answer; (cached record, was it cached)."""
    assert ctx.labels is not None
    continuations = [ctx.model.answer_suffix(messages, label) for label in ctx.labels]
    key = call_key(
        kind="loglik", prompt=prompt, continuations=continuations, **_key_base(ctx.model)
    )
    hit = ctx.cache.get(key)
    if hit is not None:
        return hit, True
    start = time.perf_counter()
    scores = ctx.model.loglik(prompt, continuations)
    if scores is None:
        raise NotImplementedError("backend cannot score labels")
    record = {
        "logprobs": [s.logprob for s in scores],
        "label_tokens": [s.n_tokens for s in scores],
        "prompt_tokens": ctx.model.count_tokens(prompt),
        "latency_s": time.perf_counter() - start,
    }
    ctx.cache.put(key, record)
    return record, False


def generation(
    ctx: EvalContext, prompt: str, *, temperature: float = 0.0, seed: int = 0
) -> tuple[dict[str, Any], bool]:
    params = {"max_tokens": ctx.spec.max_new_tokens, "temperature": temperature, "seed": seed}
    key = call_key(kind="generate", prompt=prompt, params=params, **_key_base(ctx.model))
    hit = ctx.cache.get(key)
    if hit is not None:
        return hit, True
    start = time.perf_counter()
    out = ctx.model.generate(
        prompt, max_tokens=ctx.spec.max_new_tokens, temperature=temperature, seed=seed
    )
    record = {
        "text": out.text,
        "prompt_tokens": out.prompt_tokens,
        "completion_tokens": out.completion_tokens,
        "finish_reason": out.finish_reason,
        "latency_s": time.perf_counter() - start,
    }
    ctx.cache.put(key, record)
    return record, False


def uses_loglik(ctx: EvalContext) -> bool:
    return ctx.labels is not None and ctx.scorer.name == "label"


def predict(ctx: EvalContext, rung: str, example: Example, messages: list[Message]) -> Prediction:
    prompt = ctx.model.render(messages)
    if uses_loglik(ctx):
        assert ctx.labels is not None
        record, cached = label_loglik(ctx, messages, prompt)
        logprobs: list[float] = record["logprobs"]
        ranked = sorted(range(len(logprobs)), key=lambda i: -logprobs[i])
        output = ctx.labels[ranked[0]]
        total = _logsumexp(logprobs)
        detail: dict[str, Any] = {
            "top": [
                {"label": ctx.labels[i], "p": round(math.exp(logprobs[i] - total), 4)}
                for i in ranked[:3]
            ]
        }
        completion_tokens = 0
        method = "loglik"
    else:
        record, cached = generation(ctx, prompt)
        output = record["text"]
        detail = {"finish_reason": record["finish_reason"]}
        completion_tokens = int(record["completion_tokens"])
        method = "generate"
    score = ctx.scorer.score(output, example.expected)
    if score.category:
        detail["category"] = score.category
    detail.update(score.detail)
    return Prediction(
        rung=rung,
        example_id=example.id,
        input=example.input,
        expected=example.expected,
        output=output,
        score=score.value,
        passed=score.passed,
        latency_s=float(record["latency_s"]),
        prompt_tokens=int(record["prompt_tokens"]),
        completion_tokens=completion_tokens,
        cached=cached,
        method=method,
        detail=detail,
    )


def evaluate(
    ctx: EvalContext,
    rung: str,
    items: Sequence[tuple[Example, list[Message]]],
    *,
    settings: dict[str, Any] | None = None,
    notes: list[str] | None = None,
) -> tuple[RungResult, list[Prediction]]:
    start = time.perf_counter()
    predictions: list[Prediction] = []
    for done, (example, messages) in enumerate(items):
        predictions.append(predict(ctx, rung, example, messages))
        ctx.progress(done + 1, len(items))
    return summarize(ctx, rung, predictions, time.perf_counter() - start, settings, notes), (
        predictions
    )


def summarize(
    ctx: EvalContext,
    rung: str,
    predictions: Sequence[Prediction],
    wall_s: float,
    settings: dict[str, Any] | None = None,
    notes: list[str] | None = None,
) -> RungResult:
    n = len(predictions)
    values = [p.score for p in predictions]
    interval = score_interval(values, ctx.scorer.binary, seed=ctx.spec.split.seed)
    computed = sum(1 for p in predictions if not p.cached)

    def mean(xs: Sequence[float]) -> float:
        return sum(xs) / len(xs) if xs else 0.0

    return RungResult(
        rung=rung,
        n=n,
        score=interval,
        pass_rate=mean([1.0 if p.passed else 0.0 for p in predictions]),
        mean_latency_s=mean([p.latency_s for p in predictions]),
        mean_prompt_tokens=mean([float(p.prompt_tokens) for p in predictions]),
        mean_completion_tokens=mean([float(p.completion_tokens) for p in predictions]),
        computed_calls=computed,
        cached_calls=n - computed,
        wall_s=wall_s,
        notes=notes or [],
        settings=settings or {},
    )


def _logsumexp(values: Sequence[float]) -> float:
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))

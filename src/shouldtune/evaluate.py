"""Asking the model about test examples, through the cache, and scoring the answers.

Rungs decide *what* to ask (their prompts); this module decides *how*: label log-likelihood
for closed label sets when the backend can tell, greedy generation otherwise (for a label
task, the answer is then parsed into a label: "constrained"). Every call goes through the
cache first and is committed as soon as it finishes. A call that fails (after the backend's
retries) becomes an error row, scored 0 and never cached, so the next run asks again.
Backends that serve requests in parallel (HTTP servers) declare `max_concurrency`; their
examples are asked from a thread pool, the predictions kept in the examples' order.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shouldtune import calibration
from shouldtune.analysis.sequential import ALPHA as SEQUENTIAL_ALPHA
from shouldtune.analysis.sequential import METHOD as SEQUENTIAL_METHOD
from shouldtune.analysis.sequential import confidence_sequence, settled
from shouldtune.analysis.stats import logsumexp, score_interval
from shouldtune.budget import cut_by_budget, max_new_tokens, truncation_note
from shouldtune.cache import CallCache, call_key
from shouldtune.cost import api_usd, paid_per_call
from shouldtune.models.base import (
    CallFailed,
    ContextOverflow,
    Generation,
    Message,
    Model,
    Prompt,
    prompt_for,
)
from shouldtune.rag.embedder import Embedder
from shouldtune.records import Example, Interval, Prediction, RungResult
from shouldtune.rung_settings import RungSettings
from shouldtune.scoring import Scorer, parse_label, scorer_settings
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
    # The messages each rung sent for each test example: failures are re-run from them.
    asked: dict[tuple[str, str], list[Message]] = field(default_factory=dict)
    # Rungs whose label scores are calibrated (calibration.py), and the priors measured.
    calibrated: set[str] = field(default_factory=set)
    priors: dict[str, list[float]] = field(default_factory=dict)
    # Rungs whose prompts use the block layout (prompts.messages_for): calibration's
    # content-free prompts replace the input line, not the whole last message.
    layouts: dict[str, str] = field(default_factory=dict)
    # Cache keys answered by a batch in this run (prefetch_generations): fresh, not cached.
    fresh: set[str] = field(default_factory=set)
    # The rungs climbed so far and their test answers (the ladder fills it): prompt search
    # reuses few-shot's when it keeps few-shot's prompt, rather than asking the test again.
    finished: dict[str, tuple[RungResult, list[Prediction]]] = field(default_factory=dict)


def _key_base(model: Model) -> dict[str, Any]:
    info = model.info
    base = {"model": info.file_sha256, "adapter": info.adapter_sha256, "backend": info.backend}
    if info.revision is not None:
        # A Hub model's answers are keyed on the commit too (local files keep their keys).
        base["revision"] = info.revision
    return base


def label_loglik(
    ctx: EvalContext, messages: Sequence[Message], prompt: Prompt, *, top_only: bool = False
) -> tuple[dict[str, Any], bool]:
    """Log-likelihood of every label as the answer; (cached record, was it cached).

    With `top_only` the best label is exact and the others may be upper bounds (the record's
    `pruned` lists them): enough for a prediction, not for calibration or sampling. A record
    with every label exact serves both kinds of request.
    """
    assert ctx.labels is not None
    continuations = [ctx.model.answer_suffix(messages, label) for label in ctx.labels]
    base = {"prompt": prompt.text, "continuations": continuations, **_key_base(ctx.model)}
    key = call_key(kind="loglik", **base)
    hit = ctx.cache.get(key)
    if hit is not None:
        return hit, True
    if top_only:
        key = call_key(kind="loglik", top_only=True, **base)
        hit = ctx.cache.get(key)
        if hit is not None:
            return hit, True
    start = time.perf_counter()
    scores = ctx.model.loglik(prompt, continuations, top_only=top_only)
    if scores is None:
        raise NotImplementedError("backend cannot score labels")
    first = scores[0]
    record = {
        "logprobs": [s.logprob for s in scores],
        "label_tokens": [s.n_tokens for s in scores],
        "prompt_tokens": (
            first.prompt_tokens
            if first.prompt_tokens is not None
            else ctx.model.count_tokens(prompt.text)
        ),
        "completion_tokens": first.completion_tokens,
        "method": first.method,
        "latency_s": time.perf_counter() - start,
    }
    pruned = [i for i, s in enumerate(scores) if not s.exact]
    if pruned:
        record["pruned"] = pruned
    elif top_only:
        key = call_key(kind="loglik", **base)  # nothing was pruned: a full record after all
    ctx.cache.put(key, record)
    return record, False


def label_scores(
    ctx: EvalContext,
    rung: str,
    messages: list[Message],
    prompt: Prompt,
    *,
    top_only: bool = False,
) -> tuple[dict[str, Any], bool, list[float]]:
    """The label log-likelihoods for this prompt, calibrated when the rung uses calibration.

    `top_only` is a hint: a calibrated rung always needs every label's exact score.
    """
    calibrated = rung in ctx.calibrated
    record, cached = label_loglik(ctx, messages, prompt, top_only=top_only and not calibrated)
    logprobs: list[float] = record["logprobs"]
    if not calibrated:
        return record, cached, logprobs
    return record, cached, calibration.adjust(logprobs, _prior(ctx, rung, messages))


def _prior(ctx: EvalContext, rung: str, messages: list[Message]) -> list[float]:
    # Shared demonstrations give every example the same content-free prompts: measure once.
    free = calibration.content_free(messages, ctx.layouts.get(rung, "chat"))
    prompts = [prompt_for(ctx.model, m) for m in free]
    key = "\x00".join(p.text for p in prompts)
    if key not in ctx.priors:
        pairs = zip(free, prompts, strict=True)
        records = [label_loglik(ctx, m, p)[0]["logprobs"] for m, p in pairs]
        ctx.priors[key] = calibration.prior(records)
    return ctx.priors[key]


def decide_calibration(
    ctx: EvalContext, rung: str, probe: Sequence[tuple[Example, list[Message]]]
) -> dict[str, Any] | None:
    """Whether `rung` calibrates its label scores, decided on train examples (calibration.py)."""
    mode = ctx.spec.calibrate
    if mode == "off" or not uses_loglik(ctx):
        return None
    if mode == "on":
        ctx.calibrated.add(rung)
        return {"mode": "on", "used": True}
    assert ctx.labels is not None
    raw = calibrated = 0
    # Every label scored exactly on each probe input: on many labels this takes minutes, so
    # it shows as a phase of its own in the progress.
    ctx.say(
        f"{rung}: deciding on calibration on {len(probe)} train examples "
        "(every label scored in full)"
    )
    for done, (example, messages) in enumerate(probe):
        prompt = prompt_for(ctx.model, messages)
        try:
            record, _ = label_loglik(ctx, messages, prompt)
        except NotImplementedError:
            return None  # a server without label scores: nothing to calibrate
        logprobs: list[float] = record["logprobs"]
        adjusted = calibration.adjust(logprobs, _prior(ctx, rung, messages))
        expected = ctx.labels.index(example.expected) if example.expected in ctx.labels else -1
        raw += int(_argmax(logprobs) == expected)
        calibrated += int(_argmax(adjusted) == expected)
        ctx.progress(done + 1, len(probe))
    decision = {"mode": "auto", **calibration.choose(raw, calibrated, len(probe))}
    if decision["used"]:
        ctx.calibrated.add(rung)
    return decision


def _argmax(values: Sequence[float]) -> int:
    return max(range(len(values)), key=values.__getitem__)


def _generation_key(ctx: EvalContext, prompt: Prompt, temperature: float, seed: int) -> str:
    params = {"max_tokens": max_new_tokens(ctx.spec), "temperature": temperature, "seed": seed}
    return call_key(kind="generate", prompt=prompt.text, params=params, **_key_base(ctx.model))


def prefetch_generations(ctx: EvalContext, requests: Sequence[tuple[Prompt, float, int]]) -> None:
    """Answer (prompt, temperature, seed) requests together where the backend decodes several
    sequences at once (`batch_generation` above 1: llama.cpp); a no-op elsewhere.

    The answers are what `generation` would get one at a time (the backend's promise), go
    to the cache as they are made (a crash loses at most one batch) and count as fresh calls
    when `generation` reads them. Each one's latency is its share of the batch's wall time.
    """
    size = ctx.model.batch_generation
    if size <= 1 or len(requests) < 2:
        return
    todo: dict[float, list[tuple[str, Prompt, int]]] = {}
    for prompt, temperature, seed in requests:
        key = _generation_key(ctx, prompt, temperature, seed)
        if key not in ctx.fresh and ctx.cache.get(key) is None:
            todo.setdefault(temperature, []).append((key, prompt, seed))
    budget = max_new_tokens(ctx.spec)
    for temperature, pending in todo.items():
        for start in range(0, len(pending), size):
            chunk = pending[start : start + size]
            began = time.perf_counter()
            try:
                outs = ctx.model.generate_batch(
                    [prompt for _, prompt, _ in chunk],
                    max_tokens=budget,
                    temperature=temperature,
                    seeds=[seed for _, _, seed in chunk],
                )
            except ContextOverflow:
                continue  # asked one at a time, the prompt too long meets its usual handling
            share = (time.perf_counter() - began) / len(chunk)
            for (key, _, _), out in zip(chunk, outs, strict=True):
                ctx.cache.put(key, _generation_record(out, share, batched=len(chunk)))
                ctx.fresh.add(key)


def _generation_record(out: Generation, latency_s: float, batched: int = 1) -> dict[str, Any]:
    record: dict[str, Any] = {
        "text": out.text,
        "prompt_tokens": out.prompt_tokens,
        "completion_tokens": out.completion_tokens,
        "finish_reason": out.finish_reason,
        "latency_s": latency_s,
    }
    if batched > 1:
        record["batched"] = batched  # decoded beside batched - 1 others: latency is a share
    return record


def generation(
    ctx: EvalContext, prompt: Prompt, *, temperature: float = 0.0, seed: int = 0
) -> tuple[dict[str, Any], bool]:
    budget = max_new_tokens(ctx.spec)
    key = _generation_key(ctx, prompt, temperature, seed)
    hit = ctx.cache.get(key)
    if hit is not None:
        if key in ctx.fresh:  # answered by a batch in this run: a fresh call
            ctx.fresh.discard(key)
            return hit, False
        return hit, True
    start = time.perf_counter()
    out = ctx.model.generate(prompt, max_tokens=budget, temperature=temperature, seed=seed)
    record = _generation_record(out, time.perf_counter() - start)
    ctx.cache.put(key, record)
    return record, False


def uses_loglik(ctx: EvalContext) -> bool:
    # An HTTP backend says `scores_labels = False` once it knows its server gives no logprobs.
    return ctx.labels is not None and ctx.scorer.name == "label" and ctx.model.scores_labels


def predict(ctx: EvalContext, rung: str, example: Example, messages: list[Message]) -> Prediction:
    ctx.asked[(rung, example.id)] = list(messages)
    start = time.perf_counter()
    try:
        return _predict(ctx, rung, example, messages)
    except CallFailed as error:
        return Prediction(
            rung=rung,
            example_id=example.id,
            input=example.input,
            expected=example.expected,
            output="",
            score=0.0,
            passed=False,
            latency_s=time.perf_counter() - start,
            prompt_tokens=0,
            completion_tokens=0,
            cached=False,
            method="error",
            detail={"error": str(error), "category": "call_error"},
        )


def ask_unrecorded(
    ctx: EvalContext, rung: str, example: Example, messages: list[Message]
) -> Prediction:
    """A prediction for a train example (a search or probe): not kept for failure re-runs."""
    return _predict(ctx, rung, example, messages)


def length_category(ctx: EvalContext, example: Example) -> str:
    """'truncated' (our budget cut the answer) or 'runaway' (room was there; it did not stop)."""
    needed = ctx.model.count_tokens(example.expected)
    return "truncated" if cut_by_budget(needed, max_new_tokens(ctx.spec)) else "runaway"


def _label_record(
    ctx: EvalContext, rung: str, messages: list[Message], prompt: Prompt
) -> tuple[dict[str, Any], bool, list[float]] | None:
    try:
        # A prediction needs only the winner (its top-3 probabilities are then lower bounds).
        return label_scores(ctx, rung, messages, prompt, top_only=True)
    except NotImplementedError:
        return None  # the server gives no logprobs: generate and parse instead


def _predict(ctx: EvalContext, rung: str, example: Example, messages: list[Message]) -> Prediction:
    prompt = prompt_for(ctx.model, messages)
    scored = _label_record(ctx, rung, messages, prompt) if uses_loglik(ctx) else None
    if scored is not None:
        assert ctx.labels is not None
        record, cached, logprobs = scored
        ranked = sorted(range(len(logprobs)), key=lambda i: -logprobs[i])
        output = ctx.labels[ranked[0]]
        pruned = set(record.get("pruned", []))
        total = logsumexp(logprobs)
        detail: dict[str, Any] = {
            "top": [
                {"label": ctx.labels[i], "p": round(math.exp(logprobs[i] - total), 4)}
                for i in [i for i in ranked if i not in pruned][:3]
            ]
        }
        if rung in ctx.calibrated:
            detail["calibrated"] = True
        if pruned:
            # Pruned labels count with their upper bounds: the p above are lower bounds.
            detail["pruned"] = len(pruned)
        completion_tokens = int(record.get("completion_tokens", 0))
        method = str(record.get("method", "loglik"))
    else:
        record, cached = generation(ctx, prompt)
        output = record["text"]
        detail = {"finish_reason": record["finish_reason"]}
        completion_tokens = int(record["completion_tokens"])
        method = "generate"
        if ctx.labels is not None and ctx.scorer.name == "label":
            # Constrained parsing: the one label the answer names; the raw answer is kept.
            method = "constrained"
            detail["raw_output"] = output
            output = parse_label(output, ctx.labels) or output
    score = ctx.scorer.score(output, example.expected)
    detail.update(score.detail)
    if score.category:
        detail["category"] = score.category
        # An answer stopped by the token budget fails for that reason, whatever it looks like:
        # ours when the budget had no room for the expected answer, the model's when it had.
        if detail.get("finish_reason") == "length" and score.category != "too_long":
            detail["category"] = length_category(ctx, example)
            detail["scored_as"] = score.category
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
    probe: Sequence[tuple[Example, list[Message]]] | None = None,
) -> tuple[RungResult, list[Prediction]]:
    """Ask every test item; `probe` (train items) lets a prompt rung decide on calibration."""
    start = time.perf_counter()
    before = ctx.model.call_stats()
    calibrated = decide_calibration(ctx, rung, probe) if probe is not None else None
    workers = min(ctx.model.max_concurrency, len(items))
    batch = sequential_batch(ctx, len(items))
    ctx.progress(0, len(items))  # the test examples start here: rates count from now
    if batch is None:
        predictions = _ask(ctx, rung, items, workers)
        stopped = None
    else:
        predictions, stopped = _ask_sequentially(ctx, rung, items, workers, batch)
    accounting = _accounting(ctx, predictions)
    after = ctx.model.call_stats()
    if after:  # a backend that makes remote calls counts them; a local one has none
        accounting["http"] = {k: v - before.get(k, 0) for k, v in after.items()}
        accounting["http"]["concurrency"] = max(workers, 1)
    notes = list(notes or [])
    if changes := ctx.model.adaptations():
        accounting["model"]["adapted"] = changes
        notes.append("the server refused some parameters; asked with " + "; ".join(changes))
    generated = [p for p in predictions if p.method in ("generate", "constrained")]
    if generated:
        # The budget the answers were generated under; cut answers are the budget's failures.
        truncated = sum(1 for p in generated if p.detail.get("category") == "truncated")
        accounting["max_new_tokens"] = max_new_tokens(ctx.spec)
        accounting["truncated"] = truncated
        accounting["runaway"] = sum(1 for p in generated if p.detail.get("category") == "runaway")
        warning = truncation_note(truncated, len(generated), max_new_tokens(ctx.spec))
        if warning is not None:
            notes.append(warning)
    scoring = scorer_settings(ctx.scorer)
    if scoring:
        # A scorer that asks a model (embedder, judge): who scored, and how.
        accounting["scorer"] = scoring
        if scoring.get("name") == "judge":
            from shouldtune.judge import agreement

            scoring["agreement"] = agreement([p.detail for p in predictions])
        if scoring.get("judges_own_outputs"):
            notes.append(
                f"the judge ({scoring.get('judge_model')}) is the model that wrote these "
                "answers: it grades its own outputs, which tends to flatter them"
            )
    errors = sum(1 for p in predictions if p.method == "error")
    if errors:
        notes.append(
            f"{errors} call(s) failed after retries: error rows scored 0, not cached "
            "(run again to retry them)"
        )
    wall_s = time.perf_counter() - start
    merged = {**accounting, **(settings or {})}
    if calibrated is not None:
        merged["calibration"] = calibrated
    if batch is not None:
        merged["sequential"] = _sequential_report(ctx, predictions, len(items), batch, stopped)
        if stopped is not None:
            notes.append(
                f"sequential evaluation stopped after {len(predictions)} of {len(items)} test "
                f"examples ({len(items) - len(predictions)} calls saved): the always-valid "
                "interval was clear of the bar and prompt_fraction*bar; paired comparisons "
                "with this rung use the examples both rungs answered"
            )
    result = summarize(ctx, rung, predictions, wall_s, merged, notes)
    if stopped is not None:
        # A fixed-n interval read at a data-chosen stop claims too much: report the sequence's.
        result = result.model_copy(update={"score": stopped})
    return result, predictions


def sequential_batch(ctx: EvalContext, n_items: int) -> int | None:
    """The batch size when this rung is evaluated sequentially, else None."""
    paid = paid_per_call(ctx.spec.api, ctx.model.usage_source)
    return ctx.spec.sequential.batch_for(n_items, paid=paid)


def _ask(
    ctx: EvalContext,
    rung: str,
    items: Sequence[tuple[Example, list[Message]]],
    workers: int,
    offset: int = 0,
    total: int | None = None,
) -> list[Prediction]:
    """Predictions for `items`, in order; progress counts from `offset` out of `total`."""
    total = len(items) if total is None else total
    if min(workers, len(items)) > 1:
        return _predict_parallel(ctx, rung, items, min(workers, len(items)), offset, total)
    predictions = []
    size = ctx.model.batch_generation
    for done, (example, messages) in enumerate(items):
        if size > 1 and done % size == 0 and not uses_loglik(ctx):
            ahead = items[done : done + size]
            prefetch_generations(ctx, [(prompt_for(ctx.model, m), 0.0, 0) for _, m in ahead])
        predictions.append(predict(ctx, rung, example, messages))
        ctx.progress(offset + done + 1, total)
    return predictions


def _ask_sequentially(
    ctx: EvalContext,
    rung: str,
    items: Sequence[tuple[Example, list[Message]]],
    workers: int,
    batch: int,
) -> tuple[list[Prediction], Interval | None]:
    """Ask a batch at a time; stop once the confidence sequence is clear of the thresholds.

    Returns the predictions and, when it stopped before the last example, the always-valid
    interval at the stop (None: every example was asked).
    """
    thresholds = (ctx.spec.bar, ctx.spec.prompt_fraction * ctx.spec.bar)
    # The stopping rule assumes the examples come in random order; test ids may follow the
    # file (grouped by label, by source). One seeded order for every rung, so that two rungs
    # that stop early still share their first examples for paired comparisons.
    items = list(items)
    random.Random(f"sequential:{ctx.spec.split.seed}").shuffle(items)
    predictions: list[Prediction] = []
    for start in range(0, len(items), batch):
        chunk = items[start : start + batch]
        predictions += _ask(ctx, rung, chunk, workers, offset=start, total=len(items))
        scores = [p.score for p in predictions]
        if len(predictions) >= len(items) or not all(0.0 <= v <= 1.0 for v in scores):
            continue
        interval = confidence_sequence(scores)
        if settled(interval.low, interval.high, thresholds):
            return predictions, interval
    return predictions, None


def _sequential_report(
    ctx: EvalContext,
    predictions: Sequence[Prediction],
    planned: int,
    batch: int,
    stopped: Interval | None,
) -> dict[str, Any]:
    return {
        "enabled": ctx.spec.sequential.enabled,
        "method": SEQUENTIAL_METHOD,
        "alpha": SEQUENTIAL_ALPHA,
        "batch": batch,
        "thresholds": [ctx.spec.bar, round(ctx.spec.prompt_fraction * ctx.spec.bar, 6)],
        "planned_examples": planned,
        "examples_used": len(predictions),
        "calls_saved": planned - len(predictions),
        "stopped_early": stopped is not None,
    }


def _predict_parallel(
    ctx: EvalContext,
    rung: str,
    items: Sequence[tuple[Example, list[Message]]],
    workers: int,
    offset: int = 0,
    total: int | None = None,
) -> list[Prediction]:
    """Ask up to `workers` examples at once; progress is reported from this thread only.

    A fatal fault (a refused key, an unknown model) stops the workers from starting another
    request, so at most the requests already in flight meet it too, then it is raised.
    """
    abort = threading.Event()

    def ask(example: Example, messages: list[Message]) -> Prediction:
        if abort.is_set():
            raise _Aborted
        try:
            return predict(ctx, rung, example, messages)
        except BaseException:
            abort.set()
            raise

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="shouldtune-ask")
    try:
        futures = [pool.submit(ask, example, messages) for example, messages in items]
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            failures = [f.exception() for f in done]
            fatal = [e for e in failures if e is not None and not isinstance(e, _Aborted)]
            if fatal:
                raise fatal[0]
            ctx.progress(offset + len(futures) - len(pending), total or len(futures))
        return [future.result() for future in futures]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class _Aborted(Exception):
    """A request not started because another met a fatal fault."""


def _accounting(ctx: EvalContext, predictions: Sequence[Prediction]) -> dict[str, Any]:
    """Which model answered, the tokens it used and, when prices are known, what it cost.

    Means are over answered requests (error rows used no tokens); the cost model reads them.
    """
    info = ctx.model.info
    answered = [p for p in predictions if p.method != "error"]
    prompt_tokens = sum(p.prompt_tokens for p in answered)
    completion_tokens = sum(p.completion_tokens for p in answered)
    requests = len(answered)
    out: dict[str, Any] = {
        "model": {"name": info.name, "backend": info.backend},
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "requests": requests,
            "mean_prompt_tokens": prompt_tokens / requests if requests else 0.0,
            "mean_completion_tokens": completion_tokens / requests if requests else 0.0,
            "fresh_prompt_tokens": sum(p.prompt_tokens for p in answered if not p.cached),
            "fresh_completion_tokens": sum(p.completion_tokens for p in answered if not p.cached),
            "source": ctx.model.usage_source,
        },
        "methods": sorted({p.method for p in predictions}),
    }
    # Only a served model's tokens are billed; the task's API prices are its prices.
    cost = api_usd(ctx.spec.api, prompt_tokens, completion_tokens)
    if ctx.model.usage_source == "server" and requests and cost is not None:
        out["cost_usd"] = cost
        out["cost_per_request_usd"] = cost / requests
    return out


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
        settings=RungSettings.model_validate(settings or {}),
    )

"""Are a rung's failures reproducible? Re-run them under sampling and prompt variations.

Question 3 of the framework asks for "a specific, reproducible pattern that no amount of
prompting fixes". A failure that disappears when the model samples at a temperature, or when
the instructions are worded differently or the demonstrations change, is prompt sensitivity:
better prompting (or self-consistency) is the cheaper fix. A failure that comes back under most
of those conditions is evidence that the model, not the prompt, is the problem.

Conditions, for each failed example of the analysed rung:
- `seeds` re-runs of the same prompt sampled at `temperature`. For label tasks scored by
  log-likelihood, sampling is a draw from the label distribution the model gave (softmax of
  the label log-likelihoods at that temperature): the same thing as constrained sampling,
  without new model calls.
- `variants` re-runs under prompt variants, greedy: the instructions reworded (framed three
  ways), the demonstrations reshuffled, and a different sample of demonstrations from train.
A failure is reproducible when it fails in more than half of the re-runs.

Answers cut off by the generation budget (`truncated`: it had no room for the expected answer)
are left out, and so are re-runs cut off the same way: a failure our own max_new_tokens caused
is no evidence about the model, and must never read as "a reproducible pattern a fine-tune can
learn". An answer that ran past a budget with room for the expected answer (`runaway`) is the
model's: it did not stop, and that counts like any failure.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shouldtune.analysis.failures import category_of
from shouldtune.analysis.reproducibility import CategoryShare, ReproducedFailure, Reproducibility
from shouldtune.analysis.stats import wilson
from shouldtune.evaluate import (
    EvalContext,
    generation,
    label_scores,
    length_category,
    prefetch_generations,
    uses_loglik,
)
from shouldtune.models.base import CallFailed, ContextOverflow, Message, prompt_for
from shouldtune.prompts import pick_demonstrations
from shouldtune.records import Example, Prediction

# Rewordings of the framing around the user's instructions. They wrap the system message
# rather than replace it, so that a RAG prompt keeps its passages.
FRAMINGS: tuple[str, ...] = (
    "Read the input carefully, then answer.\n{system}",
    "{system}\nGive the answer only, with no explanation.",
    "You are a precise and careful assistant.\n{system}",
)


@dataclass(frozen=True)
class Condition:
    name: str
    messages: list[Message]
    temperature: float
    seed: int


def _demo_count(messages: Sequence[Message]) -> int:
    return sum(1 for m in messages[1:-1] if m.role == "assistant")


def _with_demos(messages: Sequence[Message], demos: Sequence[tuple[str, str]]) -> list[Message]:
    out = [messages[0]]
    for question, answer in demos:
        out += [Message("user", question), Message("assistant", answer)]
    out.append(messages[-1])
    return out


def _pairs(messages: Sequence[Message]) -> list[tuple[str, str]]:
    middle = list(messages[1:-1])
    return [(middle[i].content, middle[i + 1].content) for i in range(0, len(middle) - 1, 2)]


def variants(
    messages: Sequence[Message],
    train: Sequence[Example],
    *,
    count: int,
    seed: int,
    balanced: bool,
) -> list[tuple[str, list[Message]]]:
    """Up to `count` prompt variants of `messages`, the most informative first."""
    if count <= 0 or not messages or messages[0].role != "system":
        return []
    system = messages[0].content

    def reworded(i: int) -> tuple[str, list[Message]]:
        framed = Message("system", FRAMINGS[i].format(system=system))
        return f"reworded instructions {i + 1}", [framed, *messages[1:]]

    candidates: list[tuple[str, list[Message]]] = [reworded(0)]
    k = _demo_count(messages)
    pairs = _pairs(messages)
    if k >= 2:
        shuffled = list(pairs)
        rng = random.Random(seed)
        for _ in range(5):  # a different order, unless every order is the same
            rng.shuffle(shuffled)
            if shuffled != pairs:
                break
        candidates.append(("reshuffled demonstrations", _with_demos(messages, shuffled)))
    if k >= 1:
        used = {question for question, _ in pairs}
        pool = [e for e in train if e.input not in used] or list(train)
        picked = pick_demonstrations(pool, k, seed=seed + 7919, balanced=balanced)
        fresh = [(e.input, e.expected) for e in picked]
        candidates.append(("resampled demonstrations", _with_demos(messages, fresh)))
    candidates += [reworded(i) for i in range(1, len(FRAMINGS))]
    return candidates[:count]


def _softmax_draw(logprobs: Sequence[float], temperature: float, rng: random.Random) -> int:
    scaled = [v / temperature for v in logprobs]
    top = max(scaled)
    weights = [math.exp(v - top) for v in scaled]
    return rng.choices(range(len(weights)), weights=weights)[0]


def _passes(ctx: EvalContext, rung: str, example: Example, condition: Condition) -> bool | None:
    """Whether the example passes under the condition; None when the budget cut it off."""
    prompt = prompt_for(ctx.model, condition.messages)
    if uses_loglik(ctx):
        assert ctx.labels is not None
        # Scored as the rung scored it: calibrated when the rung is.
        # Sampling at a temperature needs every label's score; greedy, only the winner.
        greedy = condition.temperature <= 0
        _, _, logprobs = label_scores(ctx, rung, condition.messages, prompt, top_only=greedy)
        if condition.temperature > 0:
            rng = random.Random(f"{condition.seed}:{example.id}")
            index = _softmax_draw(logprobs, condition.temperature, rng)
        else:
            index = max(range(len(logprobs)), key=lambda i: logprobs[i])
        output = ctx.labels[index]
    else:
        record, _ = generation(ctx, prompt, temperature=condition.temperature, seed=condition.seed)
        output = record["text"]
        passed = ctx.scorer.score(output, example.expected).passed
        # Cut off by our budget: no re-run. Ran on past room for the answer: the model's.
        cut = record.get("finish_reason") == "length" and length_category(ctx, example)
        return None if not passed and cut == "truncated" else passed
    return ctx.scorer.score(output, example.expected).passed


def reproduce_failures(
    ctx: EvalContext,
    rung: str,
    predictions: Sequence[Prediction],
    asked: Callable[[str], list[Message] | None],
    train: Sequence[Example],
    test: Sequence[Example],
) -> Reproducibility:
    """Re-run `rung`'s failures; `asked(example_id)` gives the messages the rung used."""
    options = ctx.spec.reproduce
    # Error rows (a call that failed) and answers cut off by our budget say nothing about
    # the model: not re-run.
    truncated = [p for p in predictions if not p.passed and category_of(p) == "truncated"]
    failed = sorted(
        (
            p
            for p in predictions
            if not p.passed and p.method != "error" and category_of(p) != "truncated"
        ),
        key=lambda p: p.example_id,
    )
    chosen = failed
    if len(failed) > options.max_failures:
        chosen = sorted(
            random.Random(ctx.spec.split.seed).sample(failed, options.max_failures),
            key=lambda p: p.example_id,
        )
    by_id = {e.id: e for e in test}
    results: list[ReproducedFailure] = []
    names: list[str] = []
    for done, prediction in enumerate(chosen):
        example = by_id.get(prediction.example_id)
        messages = asked(prediction.example_id)
        if example is None or messages is None:
            continue
        conditions = [
            Condition(
                f"seed {s} at temperature {options.temperature:g}",
                messages,
                options.temperature,
                s,
            )
            for s in range(1, options.seeds + 1)
        ]
        conditions += [
            Condition(name, varied, 0.0, 0)
            for name, varied in variants(
                messages,
                train,
                count=options.variants,
                seed=ctx.spec.split.seed + 1,
                balanced=ctx.labels is not None,
            )
        ]
        if not uses_loglik(ctx):
            # The seeds re-run one prompt: decoded together, it is read once.
            prefetch_generations(
                ctx,
                [(prompt_for(ctx.model, c.messages), c.temperature, c.seed) for c in conditions],
            )
        outcomes: list[tuple[str, bool]] = []
        for condition in conditions:
            try:
                passed = _passes(ctx, rung, example, condition)
            except (ContextOverflow, CallFailed):
                # A resampled prompt too long for the context, or an HTTP call that failed
                # after its retries: not a re-run.
                continue
            if passed is not None:  # None: cut off by the budget, not a re-run either
                outcomes.append((condition.name, passed))
        if len(outcomes) > len(names):
            names = [name for name, _ in outcomes]
        results.append(
            ReproducedFailure(
                example_id=example.id,
                category=category_of(prediction),
                runs=len(outcomes),
                failed_runs=sum(1 for _, ok in outcomes if not ok),
                passed_under=[name for name, ok in outcomes if ok],
            )
        )
        ctx.progress(done + 1, len(chosen))
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for item in results:
        counts[item.category][0] += 1
        counts[item.category][1] += int(item.reproducible)
    reproducible = sum(1 for item in results if item.reproducible)
    return Reproducibility(
        rung=rung,
        n_failures=len(failed),
        n_checked=len(results),
        n_truncated=len(truncated),
        conditions=names,
        reproducible=reproducible,
        share=wilson(reproducible, len(results)),
        by_category=[
            CategoryShare(category=name, checked=c[0], reproducible=c[1])
            for name, c in sorted(counts.items(), key=lambda item: (-item[1][0], item[0]))
        ],
        failures=results,
    )

"""Rung 1b: the instructions plus k demonstrations drawn from the train split only.

By default one fixed set of demonstrations serves every test example: the prompt prefix is
then shared and computed once, and the result does not depend on which example happens to
be asked. `selection: similar` instead gives each test example the k train examples nearest
to it (the RAG rung's embedder): a stronger prompt baseline before anyone pays for training.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from shouldtune.analysis.learning_curve import LearningCurve, fit_learning_curve, pool_sizes
from shouldtune.demonstrations import (
    BuildMessages,
    choose,
    fit_demonstrations,
    fit_shared,
    record_demonstrations,
)
from shouldtune.evaluate import EvalContext, ask_unrecorded, evaluate
from shouldtune.models.base import CallFailed
from shouldtune.prompt_file import placeholder_example, saved
from shouldtune.prompts import messages_for, probe_examples, system_prompt
from shouldtune.records import Example, Prediction, RungResult

NAME = "few_shot"


def run(
    ctx: EvalContext, train: Sequence[Example], test: Sequence[Example]
) -> tuple[RungResult, list[Prediction]]:
    system = system_prompt(ctx.spec, ctx.labels)
    chosen = choose(ctx, train, test)
    notes: list[str] = []
    if chosen.shared:
        demos, dropped = fit_shared(ctx, system, chosen.per_example[0] if test else [], test)
        per_example = [demos] * len(test)
        if dropped:
            notes.append(f"{dropped} demonstration(s) dropped to fit the model's context")
    else:
        per_example = [
            fit_demonstrations(ctx, demos, _builder(system, example))
            for demos, example in zip(chosen.per_example, test, strict=True)
        ]
        trimmed = sum(
            1
            for kept, demos in zip(per_example, chosen.per_example, strict=True)
            if len(kept) < len(demos)
        )
        if trimmed:
            notes.append(f"{trimmed} example(s) had demonstrations dropped to fit the context")
    items = [
        (example, messages_for(system, demos, example))
        for demos, example in zip(per_example, test, strict=True)
    ]
    if chosen.shared:
        demo_ids = [d.id for d in per_example[0]] if per_example else []
    else:
        demo_ids = sorted({d.id for demos in per_example for d in demos})
    settings: dict[str, Any] = {
        "k": max((len(d) for d in per_example), default=0),
        "selection": chosen.selection,
        "demonstration_ids": demo_ids,
        "system_prompt": system,
    }
    shown = per_example[0] if per_example else []
    settings.update(
        saved(
            ctx.run_dir,
            NAME,
            messages_for(system, shown, placeholder_example()),
            demonstrations=shown,
            varies=None
            if chosen.shared
            else "the demonstrations: the k train examples "
            "nearest the input (these are the first test input's)",
            labels=ctx.labels,
        )
    )
    probe = None
    if chosen.shared:  # per-example demonstrations would need a probe of their own
        demos = per_example[0] if per_example else []
        probe = [(e, messages_for(system, demos, e)) for e in probe_examples(train, demos)]
    result, predictions = evaluate(ctx, NAME, items, settings=settings, notes=notes, probe=probe)
    if not chosen.shared:
        record_demonstrations(predictions, test, per_example)
    # A prompt whose whole interval clears the bar settles the question: no curve is needed.
    if ctx.spec.few_shot.learning_curve and result.score.low < ctx.spec.bar:
        curve = learning_curve(ctx, system, train, test, predictions)
        if curve is not None:
            result.settings.learning_curve = curve
    return result, predictions


def curve_pools(train: Sequence[Example], seed: int) -> list[list[Example]]:
    """The seeded, nested smaller pools (25% inside 50%) the curve draws demonstrations from."""
    order = sorted(train, key=lambda e: e.id)  # the file's order must not matter
    random.Random(f"learning_curve:{seed}").shuffle(order)
    return [order[:n] for n in pool_sizes(len(order))]


def learning_curve(
    ctx: EvalContext,
    system: str,
    train: Sequence[Example],
    test: Sequence[Example],
    predictions: Sequence[Prediction],
) -> LearningCurve | None:
    """The rung's score on the test examples it answered, with smaller demonstration pools.

    Every call goes through the cache, so a resumed run asks only what it has not. None when a
    call failed (the points would then not be on the same examples) or nothing was answered.
    """
    answered = {p.example_id: p.score for p in predictions if p.method != "error"}
    asked = [e for e in test if e.id in answered]
    pools = curve_pools(train, ctx.spec.split.seed)
    if not asked or not pools:
        return None
    ctx.say(
        f"{NAME}: learning curve, {len(asked)} test examples with demonstrations from "
        + ", ".join(str(len(pool)) for pool in pools)
        + f" of {len(train)} train examples"
    )
    points: list[tuple[int, Sequence[float]]] = []
    for pool in pools:
        chosen = choose(ctx, pool, asked)
        if chosen.shared:
            demos, _ = fit_shared(ctx, system, chosen.per_example[0], asked)
            per_example = [demos] * len(asked)
        else:
            per_example = [
                fit_demonstrations(ctx, demos, _builder(system, example))
                for demos, example in zip(chosen.per_example, asked, strict=True)
            ]
        try:
            scores = [
                ask_unrecorded(ctx, NAME, example, messages_for(system, demos, example)).score
                for demos, example in zip(per_example, asked, strict=True)
            ]
        except CallFailed:
            ctx.say(f"{NAME}: a learning-curve call failed; no curve this run")
            return None
        points.append((len(pool), scores))
    points.append((len(train), [answered[e.id] for e in asked]))
    return fit_learning_curve(points, bar=ctx.spec.bar, rung=NAME, seed=ctx.spec.split.seed)


def _builder(system: str, example: Example) -> BuildMessages:
    return lambda kept: messages_for(system, kept, example)

"""Prompt search against random search of the same budget: test score per call spent.

One process, one model (the embedded SmolLM2-135M unless the task names another), one task,
one split. Both searches draw from the same space of prompts and score them on the same
validation slice of train; each winner is then scored once on the same test examples.

  A  successive halving (the prompt_search rung): every candidate on at least 16 validation
     examples, the better half on twice as many, ... (before its paired test with few-shot)
  B  random search: candidates drawn at random, each scored on the whole validation slice,
     until the same number of calls is spent

Usage: python bench/bench_prompt_search.py [--task examples/support-triage/task.yaml]
       [--budget 400] [--max-test 60]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence
from pathlib import Path

from shouldtune.cache import CallCache
from shouldtune.evaluate import EvalContext, evaluate
from shouldtune.ladder import prepare
from shouldtune.models.registry import load_model
from shouldtune.prompts import messages_for
from shouldtune.records import Example
from shouldtune.rungs.prompt_search import (
    Candidate,
    _Search,
    carve_validation,
    few_shot_candidate,
    own_demonstrations,
    search_space,
)
from shouldtune.scorer_factory import build_scorer
from shouldtune.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]


def test_score(
    ctx: EvalContext, search: _Search, winner: Candidate, test: Sequence[Example]
) -> float:
    name = f"bench:{winner.key}"
    ctx.layouts[name] = winner.layout
    if winner.calibrate:
        ctx.calibrated.add(name)
    system = search.system(winner)
    per_example, _ = search.test_demonstrations(winner, test)
    items = [
        (e, messages_for(system, d, e, winner.layout))
        for d, e in zip(per_example, test, strict=True)
    ]
    result, _ = evaluate(ctx, name, items)
    return result.score.point


def random_search(search: _Search, space: list[Candidate], calls: int, seed: int) -> Candidate:
    order = list(space)
    random.Random(seed).shuffle(order)
    best: Candidate | None = None
    for candidate in order:
        if len(search.asked) >= calls:
            break
        search.score(candidate, len(search.val))
        if best is None or search.mean(candidate) > search.mean(best):
            best = candidate
    assert best is not None
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--task", type=Path, default=ROOT / "examples/support-triage/task.yaml")
    parser.add_argument("--budget", type=int, default=None, help="calls (default: the spec's)")
    parser.add_argument("--max-test", type=int, default=60)
    args = parser.parse_args()

    spec = load_spec(args.task)
    if args.budget:
        spec = spec.model_copy(
            update={"prompt_search": spec.prompt_search.model_copy(update={"budget": args.budget})}
        )
    cache = CallCache()
    model = load_model(spec.model, cache, context_length=spec.context_length, api=spec.api)
    prepared = prepare(spec, model)
    scorer = build_scorer(
        spec.model_copy(update={"scorer": prepared.scorer_name}), labels=prepared.labels
    )
    ctx = EvalContext(spec, model, cache, scorer, prepared.labels)
    train, test = prepared.split.train, prepared.split.test[: args.max_test]
    baseline = few_shot_candidate(ctx, len(train))
    own = own_demonstrations(ctx, train, baseline)
    val, _ = carve_validation(train, spec.prompt_search.val_size, ctx.labels, spec.split.seed, own)
    halving = _Search(ctx, list(train), val, own)
    space = search_space(ctx, halving.pool_size, baseline)
    print(
        f"task {spec.task_name}: {len(train)} train ({len(val)} validation, cross-fitted), "
        f"{len(test)} test, {len(space)} candidate prompts, budget {spec.prompt_search.budget}"
    )

    start = time.perf_counter()
    best, record = halving.halve(space, spec.prompt_search.budget, baseline)
    winner = best or baseline
    halving_s = time.perf_counter() - start
    a = test_score(ctx, halving, winner, test)
    print(
        f"A successive halving: {record.calls} calls, {halving_s:.0f} s, tried {record.tried}; "
        f"winner {winner.key} val {record.winner_val_score:.1%} -> test {a:.1%}"
    )

    start = time.perf_counter()
    rand = _Search(ctx, list(train), val, own)
    picked = random_search(rand, space, record.calls, spec.split.seed)
    random_s = time.perf_counter() - start
    b = test_score(ctx, rand, picked, test)
    tried = len(rand.scores)
    print(
        f"B random search:      {len(rand.asked)} calls, {random_s:.0f} s, tried {tried}; "
        f"winner {picked.key} val {rand.mean(picked):.1%} -> test {b:.1%}"
    )
    baseline_score = test_score(ctx, halving, baseline, test)
    print(f"baseline (few-shot's own prompt): test {baseline_score:.1%}")
    ratio = f"{a / b:.2f}x" if b > 0 else "n/a (random search scored 0)"
    print(f"test score, halving / random at the same calls: {ratio}")
    model.close()


if __name__ == "__main__":
    main()

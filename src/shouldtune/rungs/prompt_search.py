"""Rung 1c: the best prompt a budgeted search finds, scored once on the test split.

A FINE_TUNE verdict is only as honest as the prompt it beat. This rung tries many prompts
built from the user's own material, all on the local model with no proposer: how many
demonstrations (k), which ones (balanced, random draws under several seeds, the nearest
train examples), their layout (chat turns or one "Input: / Output:" block), the instructions
(as given, with an answer-format line derived from the expected outputs, labels listed one
per line) and, for label tasks, contextual calibration on or off.

Selection never sees the test split. A validation slice is carved out of train; the
demonstrations come from the rest of train. Successive halving spends the call budget:
every candidate is scored on a few validation examples, the better half goes on to twice as
many, and so on, so weak prompts are dropped early. Only the winner is scored on the test
split, and its validation score is reported beside its test score.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from shouldtune.calibration import CONTENT_FREE, content_free
from shouldtune.demonstrations import (
    BuildMessages,
    choose,
    fit_demonstrations,
    fit_shared,
    record_demonstrations,
)
from shouldtune.evaluate import EvalContext, ask_unrecorded, evaluate, uses_loglik
from shouldtune.models.base import CallFailed, ContextOverflow, Message, ModelError
from shouldtune.models.registry import load_model
from shouldtune.prompt_file import placeholder_example, saved
from shouldtune.prompts import (
    Layout,
    default_k,
    format_line,
    label_lines_prompt,
    messages_for,
    pick_demonstrations,
    system_prompt,
)
from shouldtune.proposer import propose
from shouldtune.rag import RagError
from shouldtune.records import Example, Prediction, RungResult
from shouldtune.rung_info import BY_NAME
from shouldtune.rung_settings import SearchRecord, Tried

NAME = "prompt_search"
INFO = BY_NAME[NAME]
_MIN_EXAMPLES = 4  # the first round's validation examples per candidate, at the least
_CONTENT_FREE = len(CONTENT_FREE)


@dataclass(frozen=True)
class Candidate:
    """One prompt the search may try."""

    layout: Layout
    instruction: str  # given | format | label_lines
    selection: str  # balanced | random | similar
    k: int
    seed: int
    calibrate: bool

    @property
    def key(self) -> str:
        cal = "+cal" if self.calibrate else ""
        return f"{self.layout}/{self.instruction}/{self.selection}-{self.k}@{self.seed}{cal}"


def run(
    ctx: EvalContext, train: Sequence[Example], test: Sequence[Example]
) -> tuple[RungResult, list[Prediction]]:
    started = time.perf_counter()
    options = ctx.spec.prompt_search
    val, pool = carve_validation(train, options.val_size, ctx.labels, ctx.spec.split.seed)
    space = search_space(ctx, len(pool))
    baseline = space[0]
    search = _Search(ctx, val, pool)
    notes: list[str] = []
    proposed = _proposals(search, baseline, notes) if options.proposer else []
    ordered = [baseline, *proposed, *space[1:]]
    winner, record = search.halve(ordered, options.budget, baseline, first=len(proposed))
    record.search_s = time.perf_counter() - started
    ctx.layouts[NAME] = winner.layout
    if winner.calibrate:
        ctx.calibrated.add(NAME)
    else:
        ctx.calibrated.discard(NAME)
    system = search.system(winner)
    per_example, fitted = search.demonstrations(winner, test)
    notes += fitted
    items = [
        (example, messages_for(system, demos, example, winner.layout))
        for demos, example in zip(per_example, test, strict=True)
    ]
    shared = winner.selection != "similar"
    demo_ids = (
        [d.id for d in per_example[0]]
        if shared and per_example
        else sorted({d.id for demos in per_example for d in demos})
    )
    settings: dict[str, Any] = {
        "k": max((len(d) for d in per_example), default=0),
        "selection": winner.selection,
        "layout": winner.layout,
        "instruction": winner.instruction,
        "demonstration_ids": demo_ids,
        "system_prompt": system,
        "calibration": {"mode": "search", "used": winner.calibrate},
        "search": record.model_dump(),
    }
    shown = per_example[0] if per_example else []
    settings.update(
        saved(
            ctx.run_dir,
            NAME,
            messages_for(system, shown, placeholder_example(), winner.layout),
            demonstrations=shown,
            layout=winner.layout,
            varies=None
            if shared
            else "the demonstrations: the k train examples nearest the "
            "input (these are the first test input's)",
            labels=ctx.labels,
            calibrated=winner.calibrate,
        )
    )
    notes.append(
        f"searched {record.tried} of {record.space} prompts within {record.calls} calls on "
        f"{record.val_size} validation examples from train; the winner scored "
        f"{record.winner_val_score:.1%} on {record.winner_val_n} of them"
    )
    result, predictions = evaluate(ctx, NAME, items, settings=settings, notes=notes)
    result.wall_s = time.perf_counter() - started  # the search is part of this rung's cost
    if not shared:
        record_demonstrations(predictions, test, per_example)
    return result, predictions


def _proposals(search: _Search, baseline: Candidate, notes: list[str]) -> list[Candidate]:
    """Candidates with the proposer's instructions (and the baseline's demonstrations)."""
    ctx, options = search.ctx, search.ctx.spec.prompt_search
    reference = options.proposer or ""
    search.score(baseline, min(len(search.val), 8))  # its failures show what goes wrong
    failures = [
        (example, search.outputs.get((baseline, example.id), ""))
        for example, value in zip(search.val, search.scores[baseline], strict=False)
        if value < 1.0
    ]
    try:
        model = load_model(reference, ctx.cache, api=ctx.spec.api)
        try:
            texts = propose(
                model,
                ctx.cache,
                instructions=ctx.spec.instructions or system_prompt(ctx.spec, ctx.labels),
                labels=ctx.labels,
                examples=search.pool[:5],
                failures=failures[:5],
                n=options.proposals,
            )
        finally:
            model.close()
    except (ModelError, CallFailed) as error:
        notes.append(f"the proposer {reference} gave no instructions: {error}")
        return []
    search.proposals = texts
    notes.append(f"the proposer {reference} proposed {len(texts)} instruction(s)")
    return [
        Candidate(layout, f"proposed-{i + 1}", baseline.selection, baseline.k, baseline.seed, cal)
        for i in range(len(texts))
        for layout in options.layouts
        for cal in (
            [False, True]
            if ctx.spec.calibrate == "auto" and uses_loglik(ctx)
            else [baseline.calibrate]
        )
    ]


def carve_validation(
    train: Sequence[Example], size: int, labels: Sequence[str] | None, seed: int
) -> tuple[list[Example], list[Example]]:
    """A validation slice of train (label-balanced when labels) and the rest as the pool."""
    n = max(1, min(size, len(train) // 3))
    val = pick_demonstrations(train, n, seed=seed + 1, balanced=labels is not None)
    taken = {e.id for e in val}
    return val, [e for e in train if e.id not in taken]


def search_space(ctx: EvalContext, pool_size: int) -> list[Candidate]:
    """Every candidate, the few-shot rung's own settings first (the baseline)."""
    spec, options = ctx.spec, ctx.spec.prompt_search
    k0 = min(spec.few_shot.k or default_k(ctx.labels), max(pool_size, 1))
    ks = sorted({max(1, k0 // 2), k0, min(2 * k0, pool_size, 48)})
    label_task = ctx.labels is not None
    base_selection = "balanced" if label_task and spec.few_shot.selection != "random" else "random"
    selections: list[tuple[str, int]] = [(base_selection, spec.split.seed)]
    selections += [("random", spec.split.seed + s) for s in range(1, options.seeds + 1)]
    if options.similar:
        selections.append(("similar", 0))
    instructions = ["given", "format"] + (["label_lines"] if label_task else [])
    loglik = uses_loglik(ctx)
    calibrations = (
        {
            "off": [False],
            "on": [True],
            "auto": [False, True],
        }[spec.calibrate]
        if loglik
        else [False]
    )
    baseline_selection = spec.few_shot.selection
    if baseline_selection == "balanced" and not label_task:
        baseline_selection = "random"
    baseline = Candidate(
        "chat",
        "given",
        baseline_selection,
        k0,
        0 if baseline_selection == "similar" else spec.split.seed,
        spec.calibrate == "on" and loglik,
    )
    space = [baseline]
    for layout in options.layouts:
        for instruction in instructions:
            for selection, seed in selections:
                for k in ks:
                    for calibrate in calibrations:
                        if calibrate and selection == "similar":
                            continue  # per-example priors: three extra calls per example
                        candidate = Candidate(layout, instruction, selection, k, seed, calibrate)
                        if candidate != baseline:
                            space.append(candidate)
    return space


def plan(n_candidates: int, n_val: int, budget: int) -> tuple[int, int]:
    """(candidates kept, first-round examples) that fit the budget, most examples first.

    Round r scores ceil(C / 2^r) candidates on min(V, n0 * 2^r) examples; a candidate's
    earlier examples are not asked again, so a round costs only the new ones.
    """
    n_candidates = max(1, n_candidates)
    lowest = min(_MIN_EXAMPLES, n_val)
    for count in range(n_candidates, 0, -1):
        for n0 in range(n_val, lowest - 1, -1):
            if halving_cost(count, n0, n_val) <= budget:
                return count, n0
    return 1, lowest


def halving_cost(count: int, n0: int, n_val: int) -> int:
    total, seen, alive, n = 0, 0, count, n0
    while True:
        n = min(n, n_val)
        total += alive * (n - seen)
        if alive == 1:
            return total
        seen = n
        alive = math.ceil(alive / 2)
        n *= 2


def _builder(system: str, example: Example, layout: Layout) -> BuildMessages:
    return lambda kept: messages_for(system, kept, example, layout)


class _Search:
    """Scores candidates on the validation slice through the cache, counting calls."""

    def __init__(self, ctx: EvalContext, val: list[Example], pool: list[Example]) -> None:
        self.ctx = ctx
        self.val = val
        self.pool = pool
        self.asked: set[str] = set()  # rendered prompts asked so far (a call each)
        self.scores: dict[Candidate, list[float]] = {}
        self._systems: dict[str, str] = {}
        self._demos: dict[Candidate, list[list[Example]]] = {}
        self.broken: set[Candidate] = set()
        self.outputs: dict[tuple[Candidate, str], str] = {}  # for the proposer's failures
        self.proposals: list[str] = []

    def system(self, candidate: Candidate) -> str:
        spec, labels = self.ctx.spec, self.ctx.labels
        if candidate.instruction == "label_lines" and labels:
            return label_lines_prompt(spec, labels)
        if candidate.instruction.startswith("proposed-"):
            text = self.proposals[int(candidate.instruction.split("-")[1]) - 1]
            return system_prompt(spec.model_copy(update={"instructions": text}), labels)
        base = system_prompt(spec, labels)
        if candidate.instruction == "format":
            return base + "\n" + format_line([e.expected for e in self.pool], labels)
        return base

    def demonstrations(
        self, candidate: Candidate, examples: Sequence[Example]
    ) -> tuple[list[list[Example]], list[str]]:
        """The candidate's demonstrations for each example, fitted to the context."""
        ctx, system = self.ctx, self.system(candidate)
        chosen = choose(
            ctx,
            self.pool,
            examples,
            k=candidate.k,
            selection=candidate.selection,
            seed=candidate.seed,
        )
        if chosen.shared:
            demos, dropped = fit_shared(
                ctx, system, chosen.per_example[0] if examples else [], examples, candidate.layout
            )
            notes = [f"{dropped} demonstration(s) dropped to fit the context"] if dropped else []
            return [demos] * len(examples), notes
        fitted = [
            fit_demonstrations(ctx, demos, _builder(system, example, candidate.layout))
            for demos, example in zip(chosen.per_example, examples, strict=True)
        ]
        return fitted, []

    def halve(
        self, space: list[Candidate], budget: int, baseline: Candidate, first: int = 0
    ) -> tuple[Candidate, SearchRecord]:
        """Successive halving over `space` (the baseline first). The baseline and the `first`
        candidates after it are always kept; the rest are sampled when not all fit."""
        # The few-shot rung decides calibration on its own probe: both of its forms always run.
        twin = replace(baseline, calibrate=True)
        kept = [twin] if twin in space[1 + first :] else []
        rest = [c for c in space[1 + first :] if c not in kept]
        random.Random(self.ctx.spec.split.seed).shuffle(rest)
        ordered = [baseline, *kept, *space[1 : 1 + first], *rest]
        # Calibrated candidates also ask three content-free prompts: keep room for them.
        overhead = 0
        while True:
            count, n = plan(len(space), len(self.val), max(1, budget - overhead))
            needed = _CONTENT_FREE * sum(1 for c in ordered[:count] if c.calibrate)
            if needed <= overhead or count == 1:
                break
            overhead = needed
        alive = ordered[:count]
        planned = halving_cost(count, n, len(self.val)) + overhead
        tried: dict[Candidate, Tried] = {}
        rounds = 0
        started = time.perf_counter()
        while True:
            n = min(n, len(self.val))
            spent = len(self.asked)
            eta = ""
            if spent and planned > spent:
                left = (time.perf_counter() - started) / spent * (planned - spent)
                eta = f", about {left / 60:.1f} min left"
            self.ctx.say(
                f"prompt search round {rounds + 1}: {len(alive)} prompt(s) on {n} validation "
                f"examples ({spent} of about {planned} calls{eta})"
            )
            for candidate in alive:
                self.score(candidate, n)
                tried[candidate] = Tried(
                    key=candidate.key,
                    val_score=self.mean(candidate),
                    val_n=len(self.scores[candidate]),
                    round=rounds,
                )
            rounds += 1
            # Ties keep the earlier candidate: the baseline, then the seeded order.
            ranked = sorted(alive, key=lambda c: (c in self.broken, -self.mean(c)))
            if len(alive) == 1 or n >= len(self.val):
                # Every survivor has seen the whole slice: halving further asks nothing new.
                alive = ranked[:1]
                break
            alive = ranked[: math.ceil(len(alive) / 2)]
            n *= 2
        winner = alive[0]
        record = SearchRecord(
            budget=budget,
            calls=len(self.asked),
            val_size=len(self.val),
            pool_size=len(self.pool),
            space=len(space),
            tried=len(tried),
            rounds=rounds,
            winner=winner.key,
            winner_val_score=self.mean(winner),
            winner_val_n=len(self.scores[winner]),
            baseline=baseline.key,
            baseline_val_score=self.mean(baseline) if baseline in self.scores else None,
            proposer=self.ctx.spec.prompt_search.proposer,
            proposals=self.proposals,
            candidates=sorted(tried.values(), key=lambda t: (-t.val_n, -t.val_score, t.key)),
        )
        return winner, record

    def mean(self, candidate: Candidate) -> float:
        values = self.scores.get(candidate, [])
        return sum(values) / len(values) if values else 0.0

    def score(self, candidate: Candidate, n: int) -> None:
        """Score `candidate` on the first n validation examples (only new ones are asked)."""
        done = self.scores.setdefault(candidate, [])
        if len(done) >= n:
            return
        start = len(done)
        examples = self.val[start:n]
        if candidate not in self._demos:
            try:
                self._demos[candidate] = self.demonstrations(candidate, self.val)[0]
            except (ContextOverflow, RagError):
                # No demonstration fits, or no embedder for "similar": this candidate cannot
                # be built, so it scores nothing and is dropped in the first round.
                self.scores[candidate] = [0.0] * n
                self.broken.add(candidate)
                return
        system = self.system(candidate)
        rung = f"{NAME}:{candidate.key}"
        self.ctx.layouts[rung] = candidate.layout
        if candidate.calibrate:
            self.ctx.calibrated.add(rung)
        for offset, example in enumerate(examples):
            demos = self._demos[candidate][start + offset]
            messages = messages_for(system, demos, example, candidate.layout)
            done.append(self._ask(rung, example, messages, candidate))

    def _ask(
        self, rung: str, example: Example, messages: list[Message], candidate: Candidate
    ) -> float:
        self.asked.add(self.ctx.model.render(messages))
        if candidate.calibrate:
            for free in content_free(messages, candidate.layout):
                self.asked.add(self.ctx.model.render(free))
        try:
            prediction = ask_unrecorded(self.ctx, rung, example, messages)
        except CallFailed:
            return 0.0
        self.outputs[(candidate, example.id)] = prediction.output
        return prediction.score

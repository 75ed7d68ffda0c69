"""Rung 1c: the best prompt a budgeted search finds, if it beats few-shot's own prompt.

A FINE_TUNE verdict is only as honest as the prompt it beat. This rung tries many prompts
built from the user's own material, all on the local model with no proposer: how many
demonstrations (k), which ones (balanced, random draws under several seeds, the nearest
train examples), their layout (chat turns or one "Input: / Output:" block), the instructions
(as given, with an answer-format line derived from the expected outputs, labels listed one
per line) and, for label tasks, contextual calibration on or off.

Selection never sees the test split, and is made so that noise does not decide it:

- the baseline is the few-shot rung's own prompt with its own demonstrations, scored on a
  validation slice of train chosen outside them;
- every other candidate is cross-fitted: the slice is cut into folds, and each fold's
  examples get demonstrations drawn from the rest of train, never themselves;
- candidates are compared on a low-noise signal where the scorer has one (the probability of
  the expected label from the label scores; the graded score of json, f1 and the like), the
  pass rate recorded beside it;
- successive halving spends the call budget, but no candidate is dropped on fewer than
  MIN_EXAMPLES validation examples, and the baseline is scored on every example the others
  are, so the two can be paired;
- the best candidate replaces few-shot's prompt only when a paired test on the same
  validation examples says it is better (p < ALPHA, and a pass rate no lower). Otherwise the
  rung reports that no prompt beat few-shot, keeps few-shot's prompt, and reuses the few-shot
  rung's test answers instead of asking the test split again.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from shouldtune.analysis.stats import logsumexp, mcnemar, paired_bootstrap
from shouldtune.calibration import CONTENT_FREE, content_free
from shouldtune.demonstrations import (
    BuildMessages,
    choose,
    fit_demonstrations,
    fit_shared,
    record_demonstrations,
)
from shouldtune.evaluate import (
    EvalContext,
    ask_unrecorded,
    evaluate,
    label_scores,
    prefetch_generations,
    uses_loglik,
)
from shouldtune.models.base import CallFailed, ContextOverflow, Message, ModelError, prompt_for
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
from shouldtune.rung_settings import SearchRecord, Tried, VersusBaseline

NAME = "prompt_search"
INFO = BY_NAME[NAME]
# No candidate is dropped on fewer validation examples: at 4, pass rates move in steps of 25
# points and one answer decides; at 16 the probability signal separates real gaps of ~10.
MIN_EXAMPLES = 16
FOLDS = 3  # cross-fitting folds of the validation slice
ALPHA = 0.05  # the paired test the best candidate must pass to replace few-shot's prompt
KEPT = "no prompt found that beats few-shot"
FEW_SHOT = "few_shot"
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
    # Few-shot's own demonstrations (drawn from all of train, the validation slice outside
    # them) rather than drawn afresh for each fold: the baseline and its calibration twin.
    own: bool = False

    @property
    def key(self) -> str:
        cal = "+cal" if self.calibrate else ""
        return f"{self.layout}/{self.instruction}/{self.selection}-{self.k}@{self.seed}{cal}"

    def axes(self) -> tuple[str, str, tuple[str, int], int, bool]:
        return (self.layout, self.instruction, (self.selection, self.seed), self.k, self.calibrate)


def run(
    ctx: EvalContext, train: Sequence[Example], test: Sequence[Example]
) -> tuple[RungResult, list[Prediction]]:
    started = time.perf_counter()
    options = ctx.spec.prompt_search
    baseline = few_shot_candidate(ctx, len(train))
    own = own_demonstrations(ctx, train, baseline)
    val, _ = carve_validation(train, options.val_size, ctx.labels, ctx.spec.split.seed, own)
    search = _Search(ctx, list(train), val, own)
    space = search_space(ctx, search.pool_size, baseline)
    notes: list[str] = []
    proposed = _proposals(search, baseline, notes) if options.proposer else []
    ordered = [baseline, *proposed, *space[1:]]
    best, record = search.halve(ordered, options.budget, baseline, first=len(proposed))
    versus = search.versus(best, baseline) if best is not None else None
    replaced = best is not None and versus is not None and versus.better
    winner = best if replaced and best is not None else baseline
    record = record.model_copy(
        update={
            "winner": winner.key,
            "winner_val_score": search.mean(winner),
            "winner_val_n": len(search.scores.get(winner, [])),
            "winner_val_pass": search.pass_rate(winner),
            "versus_baseline": versus,
            "kept_baseline": not replaced,
        }
    )
    record.search_s = time.perf_counter() - started
    if not replaced:
        return _keep_few_shot(ctx, search, baseline, test, record, notes, started)
    notes.append(
        f"searched {record.tried} of {record.space} prompts within {record.calls} calls on "
        f"{record.val_size} validation examples from train; the winner beat few-shot's prompt "
        f"on {_versus_text(versus)}"
    )
    return _score_on_test(ctx, search, winner, test, record, notes, started)


def _versus_text(versus: VersusBaseline | None) -> str:
    if versus is None:
        return "nothing: no other prompt could be scored"
    return (
        f"{versus.n} of them by {versus.diff:+.3f} ({versus.method}, p = {versus.p_value:.3g}; "
        f"pass rate {versus.pass_diff:+.1%})"
    )


def _score_on_test(
    ctx: EvalContext,
    search: _Search,
    winner: Candidate,
    test: Sequence[Example],
    record: SearchRecord,
    notes: list[str],
    started: float,
) -> tuple[RungResult, list[Prediction]]:
    """The winner asked once on the test split, its demonstrations drawn from all of train."""
    ctx.layouts[NAME] = winner.layout
    if winner.calibrate:
        ctx.calibrated.add(NAME)
    else:
        ctx.calibrated.discard(NAME)
    system = search.system(winner)
    per_example, fitted = search.test_demonstrations(winner, test)
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
    result, predictions = evaluate(ctx, NAME, items, settings=settings, notes=notes)
    result.wall_s = time.perf_counter() - started  # the search is part of this rung's cost
    if not shared:
        record_demonstrations(predictions, test, per_example)
    return result, predictions


def _keep_few_shot(
    ctx: EvalContext,
    search: _Search,
    baseline: Candidate,
    test: Sequence[Example],
    record: SearchRecord,
    notes: list[str],
    started: float,
) -> tuple[RungResult, list[Prediction]]:
    """Few-shot's prompt stays: its test answers are this rung's, not asked a second time.

    The result is few-shot's, renamed: the same predictions, so every paired comparison with
    few-shot shows no difference, and the decision's tie rule (the cheaper rung) names
    few-shot. When the few-shot rung did not run, its prompt is scored on the test split here.
    """
    why = (
        f"the best, {record.best}, {_versus_text(record.versus_baseline)}"
        if record.best is not None
        else "no other prompt could be scored"
    )
    line = (
        f"{KEPT}: searched {record.tried} of {record.space} prompts within {record.calls} calls "
        f"on {record.val_size} validation examples from train; {why}; few-shot's prompt kept"
    )
    finished = ctx.finished.get(FEW_SHOT)
    if finished is None:
        notes.append(line + " and scored on the test split (the few-shot rung did not run)")
        return _score_on_test(ctx, search, baseline, test, record, notes, started)
    few, few_predictions = finished
    predictions = [p.model_copy(update={"rung": NAME, "cached": True}) for p in few_predictions]
    for p in few_predictions:
        asked = ctx.asked.get((FEW_SHOT, p.example_id))
        if asked is not None:  # failures are re-run from the messages a rung sent
            ctx.asked[(NAME, p.example_id)] = asked
    ctx.layouts[NAME] = ctx.layouts.get(FEW_SHOT, "chat")
    if FEW_SHOT in ctx.calibrated:
        ctx.calibrated.add(NAME)
    notes.append(line + "; its test answers are few-shot's (the test split was not asked again)")
    result = few.model_copy(
        update={
            "rung": NAME,
            "settings": few.settings.model_copy(update={"search": record}),
            "notes": [*few.notes, *notes],
            "computed_calls": 0,
            "cached_calls": len(predictions),
            "wall_s": time.perf_counter() - started,
        }
    )
    return result, predictions


def few_shot_candidate(ctx: EvalContext, n_train: int) -> Candidate:
    """The few-shot rung's settings as a candidate (its calibration when it ran)."""
    spec = ctx.spec
    k0 = min(spec.few_shot.k or default_k(ctx.labels), max(n_train, 1))
    selection = spec.few_shot.selection
    if selection == "balanced" and ctx.labels is None:
        selection = "random"
    loglik = uses_loglik(ctx)
    if FEW_SHOT in ctx.finished:
        calibrate = FEW_SHOT in ctx.calibrated
    else:
        # Few-shot calibrates per-example (similar) demonstrations only when told to.
        calibrate = spec.calibrate == "on" and selection != "similar"
    similar = selection == "similar"
    return Candidate(
        "chat",
        "given",
        selection,
        k0,
        0 if similar else spec.split.seed,
        calibrate and loglik,
        own=not similar,
    )


def own_demonstrations(
    ctx: EvalContext, train: Sequence[Example], baseline: Candidate
) -> list[Example]:
    """Few-shot's shared demonstrations, as its rung draws them (none when per-example)."""
    if not baseline.own:
        return []
    balanced = baseline.selection == "balanced" and ctx.labels is not None
    return pick_demonstrations(train, baseline.k, seed=baseline.seed, balanced=balanced)


def carve_validation(
    train: Sequence[Example],
    size: int,
    labels: Sequence[str] | None,
    seed: int,
    exclude: Sequence[Example] = (),
) -> tuple[list[Example], list[Example]]:
    """A validation slice of train outside `exclude` (label-balanced when labels), the rest.

    The slice is shuffled, so its folds (every FOLDS-th example) each span the labels.
    """
    left = {e.id for e in exclude}
    allowed = [e for e in train if e.id not in left]
    n = max(1, min(size, len(train) // 3, len(allowed)))
    val = pick_demonstrations(allowed, n, seed=seed + 1, balanced=labels is not None)
    taken = {e.id for e in val}
    return val, [e for e in train if e.id not in taken]


def search_space(ctx: EvalContext, pool_size: int, baseline: Candidate) -> list[Candidate]:
    """Every candidate, the baseline (few-shot's own prompt) first, then its calibration twin.

    A cross-fitted candidate with the baseline's very settings is left out: drawn from all of
    train for the test split, its demonstrations would be few-shot's own, so it would be the
    baseline under another name.
    """
    spec, options = ctx.spec, ctx.spec.prompt_search
    k0 = min(baseline.k, max(pool_size, 1))
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
    space = [baseline]
    twin = replace(baseline, calibrate=not baseline.calibrate)
    if baseline.own and loglik and spec.calibrate == "auto":
        space.append(twin)
    taken = {baseline.axes(), twin.axes()}
    for layout in options.layouts:
        for instruction in instructions:
            for selection, seed in selections:
                for k in ks:
                    for calibrate in calibrations:
                        if calibrate and selection == "similar":
                            continue  # per-example priors: three extra calls per example
                        candidate = Candidate(layout, instruction, selection, k, seed, calibrate)
                        if candidate.axes() not in taken:
                            space.append(candidate)
    return space


def explore_order(rest: Sequence[Candidate], baseline: Candidate, seed: int) -> list[Candidate]:
    """The order candidates are kept in when the budget cannot take them all.

    The baseline's neighbours (one setting changed) come first, one per setting in turn, so a
    small budget still tries each kind of change: the demonstrations (the nearest examples
    first: the change most often worth it, Liu et al. 2022), the instructions, the layout,
    k, calibration. The rest follow in a seeded random order.
    """
    shuffled = list(rest)
    random.Random(seed).shuffle(shuffled)
    by_axis: list[list[Candidate]] = [[] for _ in baseline.axes()]
    far: list[Candidate] = []
    for candidate in shuffled:
        changed = [
            i
            for i, (x, y) in enumerate(zip(candidate.axes(), baseline.axes(), strict=True))
            if x != y
        ]
        if candidate.selection == "similar" and changed[-1:] == [4]:
            changed.pop()  # nearest examples are never calibrated: that is no second change
        if len(changed) == 1:
            by_axis[changed[0]].append(candidate)
        else:
            far.append(candidate)
    axis_order = [2, 1, 0, 3, 4]  # demonstrations, instructions, layout, k, calibration
    by_axis[2].sort(key=lambda c: c.selection != "similar")  # stable: shuffled otherwise
    turns = [by_axis[i] for i in axis_order]
    near = [
        turn[depth]
        for depth in range(max((len(t) for t in turns), default=0))
        for turn in turns
        if depth < len(turn)
    ]
    return near + far


def plan(
    n_candidates: int, n_val: int, budget: int, extra: Callable[[int], int] | None = None
) -> tuple[int, int, int]:
    """(candidates kept, first-round examples, validation examples used) within the budget.

    The most candidates that can each be scored on MIN_EXAMPLES examples (or the whole slice,
    when smaller) and the baseline on all of it; then the largest first round. When not even
    one challenger fits the whole slice, the slice is shortened, never the first round.
    `extra(count)`: the calls the first `count` candidates add beyond their examples (the
    content-free prompts of calibrated ones).
    """
    if n_val <= 0:
        return 1, 0, 0  # nothing to compare on: the baseline stands
    more = extra or (lambda count: 0)
    n_candidates = max(1, n_candidates)
    fewest = min(2, n_candidates)

    def fits(count: int, n0: int, size: int) -> bool:
        return halving_cost(count, n0, size) + more(count) <= budget

    for size in range(n_val, 0, -1):
        lowest = min(MIN_EXAMPLES, size)
        if not fits(fewest, lowest, size):
            continue
        count = fewest
        while count < n_candidates and fits(count + 1, lowest, size):
            count += 1
        n0 = lowest
        while n0 < size and fits(count, n0 + 1, size):
            n0 += 1
        return count, n0, size
    return 1, 1, 1


def halving_cost(count: int, n0: int, n_val: int) -> int:
    """Calls of successive halving with the baseline among `count` and never dropped.

    Round r scores the baseline and ceil((count - 1) / 2^r) others on min(V, n0 * 2^r)
    examples; earlier examples are not asked again, so a round costs only the new ones. The
    rounds go on until the last survivors have seen the whole slice (the paired test's n).
    """
    total, seen, others, n = 0, 0, count - 1, n0
    while True:
        n = min(n, n_val)
        total += (others + 1) * (n - seen)
        if n >= n_val:
            return total
        seen = n
        others = math.ceil(others / 2)
        n *= 2


def _proposals(search: _Search, baseline: Candidate, notes: list[str]) -> list[Candidate]:
    """Candidates with the proposer's instructions (and the baseline's demonstrations)."""
    ctx, options = search.ctx, search.ctx.spec.prompt_search
    reference = options.proposer or ""
    search.score(baseline, min(len(search.val), 8))  # its failures show what goes wrong
    failures = [
        (example, search.outputs.get((baseline, example.id), ""))
        for example, passed in zip(search.val, search.passes[baseline], strict=False)
        if not passed
    ]
    held = {e.id for e in search.val}
    try:
        model = load_model(reference, ctx.cache, api=ctx.spec.api)
        try:
            texts = propose(
                model,
                ctx.cache,
                instructions=ctx.spec.instructions or system_prompt(ctx.spec, ctx.labels),
                labels=ctx.labels,
                examples=[e for e in search.train if e.id not in held][:5],
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
        replace(baseline, layout=layout, instruction=f"proposed-{i + 1}", calibrate=cal)
        for i in range(len(texts))
        for layout in options.layouts
        for cal in (
            [False, True]
            if ctx.spec.calibrate == "auto" and uses_loglik(ctx)
            else [baseline.calibrate]
        )
    ]


def _builder(system: str, example: Example, layout: Layout) -> BuildMessages:
    return lambda kept: messages_for(system, kept, example, layout)


class _Search:
    """Scores candidates on the validation slice through the cache, counting calls.

    Each candidate gets, per validation example, the selection signal (`scores`) and whether
    the answer passed (`passes`), in the slice's order, so any two are paired example by
    example.
    """

    def __init__(
        self,
        ctx: EvalContext,
        train: list[Example],
        val: list[Example],
        own: list[Example],
    ) -> None:
        self.ctx = ctx
        self.train = train
        self.val = val
        self.own = own  # few-shot's demonstrations (the baseline's)
        self.folds = max(1, min(FOLDS, len(val)))
        self.fold_of = {e.id: i % self.folds for i, e in enumerate(val)}
        self.asked: set[str] = set()  # rendered prompts asked so far (a call each)
        self.scores: dict[Candidate, list[float]] = {}
        self.passes: dict[Candidate, list[bool]] = {}
        self._systems: dict[str, str] = {}
        self._demos: dict[Candidate, list[list[Example]]] = {}
        self.broken: set[Candidate] = set()
        self.outputs: dict[tuple[Candidate, str], str] = {}  # for the proposer's failures
        self.proposals: list[str] = []

    @property
    def pool_size(self) -> int:
        """Train examples a cross-fitted candidate draws from: all but one fold's."""
        return len(self.train) - math.ceil(len(self.val) / self.folds)

    @property
    def signal(self) -> str:
        if uses_loglik(self.ctx):
            return "p(expected label)"
        return "pass/fail" if self.ctx.scorer.binary else "score"

    def system(self, candidate: Candidate) -> str:
        spec, labels = self.ctx.spec, self.ctx.labels
        if candidate.instruction == "label_lines" and labels:
            return label_lines_prompt(spec, labels)
        if candidate.instruction.startswith("proposed-"):
            text = self.proposals[int(candidate.instruction.split("-")[1]) - 1]
            return system_prompt(spec.model_copy(update={"instructions": text}), labels)
        base = system_prompt(spec, labels)
        if candidate.instruction == "format":
            return base + "\n" + format_line([e.expected for e in self.train], labels)
        return base

    def demonstrations(
        self, candidate: Candidate, pool: Sequence[Example], examples: Sequence[Example]
    ) -> tuple[list[list[Example]], list[str]]:
        """The candidate's demonstrations from `pool` for each example, fitted to the context."""
        ctx, system = self.ctx, self.system(candidate)
        if candidate.own:
            demos, dropped = fit_shared(ctx, system, self.own, examples, candidate.layout)
            notes = [f"{dropped} demonstration(s) dropped to fit the context"] if dropped else []
            return [demos] * len(examples), notes
        chosen = choose(
            ctx,
            pool,
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

    def test_demonstrations(
        self, candidate: Candidate, test: Sequence[Example]
    ) -> tuple[list[list[Example]], list[str]]:
        """For the test split: drawn from all of train (few-shot's own for the baseline)."""
        return self.demonstrations(candidate, self.train, test)

    def validation_demonstrations(self, candidate: Candidate) -> list[list[Example]]:
        """Cross-fitted: each fold's examples get demonstrations from the rest of train."""
        if candidate.own:  # the slice was chosen outside few-shot's demonstrations
            return self.demonstrations(candidate, self.train, self.val)[0]
        by_id: dict[str, list[Example]] = {}
        for fold in range(self.folds):
            examples = [e for e in self.val if self.fold_of[e.id] == fold]
            held = {e.id for e in examples}
            pool = [e for e in self.train if e.id not in held]
            per_example, _ = self.demonstrations(candidate, pool, examples)
            by_id.update(zip((e.id for e in examples), per_example, strict=True))
        return [by_id[e.id] for e in self.val]

    def halve(
        self, space: list[Candidate], budget: int, baseline: Candidate, first: int = 0
    ) -> tuple[Candidate | None, SearchRecord]:
        """Successive halving over `space` (the baseline first); (best challenger, record).

        The baseline is never dropped: it is scored on every example the survivors are, so
        the best challenger can be paired with it. Its calibration twin and the `first`
        candidates after it are always kept; the rest are sampled, the baseline's neighbours
        (one setting changed) first, when not all fit.
        """
        twin = replace(baseline, calibrate=not baseline.calibrate)
        kept = [twin] if twin in space[1 + first :] else []
        rest = [c for c in space[1 + first :] if c not in kept]
        rest = explore_order(rest, baseline, self.ctx.spec.split.seed)
        ordered = [baseline, *kept, *space[1 : 1 + first], *rest]

        # Calibrated candidates also ask three content-free prompts (per fold when their
        # demonstrations are drawn per fold): keep room for them.
        def priors(count: int) -> int:
            return sum(self._priors(c) for c in ordered[:count])

        count, n, size = plan(len(space), len(self.val), budget, priors)
        alive = ordered[:count]
        planned = halving_cost(count, n, size) + priors(count)
        tried: dict[Candidate, Tried] = {}
        rounds = 0
        started = time.perf_counter()
        while True:
            n = min(n, size)
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
                    val_pass=self.pass_rate(candidate),
                )
            rounds += 1
            # Ties keep the earlier candidate: the seeded order.
            others = sorted(
                (c for c in alive if c != baseline),
                key=lambda c: (c in self.broken, -self.mean(c)),
            )
            if n >= size:
                # Every survivor has seen the slice used: halving further asks nothing new.
                break
            alive = [baseline, *others[: math.ceil(len(others) / 2)]]
            n *= 2
        best = others[0] if others and others[0] not in self.broken else None
        record = SearchRecord(
            budget=budget,
            calls=len(self.asked),
            val_size=size,
            pool_size=self.pool_size,
            space=len(space),
            tried=len(tried),
            rounds=rounds,
            winner=(best or baseline).key,
            winner_val_score=self.mean(best or baseline),
            winner_val_n=len(self.scores.get(best or baseline, [])),
            baseline=baseline.key,
            baseline_val_score=self.mean(baseline) if baseline in self.scores else None,
            signal=self.signal,
            folds=self.folds,
            baseline_val_pass=self.pass_rate(baseline),
            best=best.key if best is not None else None,
            proposer=self.ctx.spec.prompt_search.proposer,
            proposals=self.proposals,
            candidates=sorted(tried.values(), key=lambda t: (-t.val_n, -t.val_score, t.key)),
        )
        return best, record

    def _priors(self, candidate: Candidate) -> int:
        """Content-free calls a calibrated candidate adds (once per set of demonstrations)."""
        if not candidate.calibrate:
            return 0
        return _CONTENT_FREE * (1 if candidate.own else self.folds)

    def versus(self, best: Candidate, baseline: Candidate) -> VersusBaseline:
        """The best challenger against the baseline on the examples both were scored on.

        It must be better on the selection signal by a paired test (McNemar when the signal
        is pass/fail, a paired bootstrap otherwise) and pass no fewer examples.
        """
        n = min(len(self.scores.get(best, [])), len(self.scores.get(baseline, [])))
        a, b = self.scores[baseline][:n], self.scores[best][:n]
        pa, pb = self.passes[baseline][:n], self.passes[best][:n]
        if self.signal == "pass/fail":
            test = mcnemar(pa, pb)
        else:
            test = paired_bootstrap(a, b, seed=self.ctx.spec.split.seed)
        pass_diff = (sum(pb) - sum(pa)) / n if n else 0.0
        # Not corrected for having picked the best of several on these examples: a chance
        # winner among equals then replaces few-shot's in about one run in ten (the
        # simulations), which costs nothing on average, where a Bonferroni correction over
        # the last round halved how often a prompt 15 points better was found.
        alpha = ALPHA
        return VersusBaseline(
            method=test.method,
            n=n,
            diff=test.diff,
            p_value=test.p_value,
            alpha=alpha,
            pass_diff=pass_diff,
            better=n > 0 and test.diff > 0 and test.p_value < alpha and pass_diff >= 0,
        )

    def mean(self, candidate: Candidate) -> float:
        values = self.scores.get(candidate, [])
        return sum(values) / len(values) if values else 0.0

    def pass_rate(self, candidate: Candidate) -> float | None:
        values = self.passes.get(candidate, [])
        return sum(values) / len(values) if values else None

    def score(self, candidate: Candidate, n: int) -> None:
        """Score `candidate` on the first n validation examples (only new ones are asked)."""
        done = self.scores.setdefault(candidate, [])
        passed = self.passes.setdefault(candidate, [])
        if len(done) >= n:
            return
        start = len(done)
        examples = self.val[start:n]
        if candidate not in self._demos:
            try:
                self._demos[candidate] = self.validation_demonstrations(candidate)
            except (ContextOverflow, RagError):
                # No demonstration fits, or no embedder for "similar": this candidate cannot
                # be built, so it scores nothing and is dropped in the first round.
                self.scores[candidate] = [0.0] * n
                self.passes[candidate] = [False] * n
                self.broken.add(candidate)
                return
        system = self.system(candidate)
        rung = f"{NAME}:{candidate.key}" + (":own" if candidate.own else "")
        self.ctx.layouts[rung] = candidate.layout
        if candidate.calibrate:
            self.ctx.calibrated.add(rung)
        asked = [
            messages_for(system, self._demos[candidate][start + offset], example, candidate.layout)
            for offset, example in enumerate(examples)
        ]
        if not uses_loglik(self.ctx):
            # A generated task's validation answers, decoded together where the backend can.
            model = self.ctx.model
            prefetch_generations(self.ctx, [(prompt_for(model, m), 0.0, 0) for m in asked])
        for example, messages in zip(examples, asked, strict=True):
            value, ok = self._ask(rung, example, messages, candidate)
            done.append(value)
            passed.append(ok)

    def _ask(
        self, rung: str, example: Example, messages: list[Message], candidate: Candidate
    ) -> tuple[float, bool]:
        """(selection signal, passed) for one validation example."""
        self.asked.add(self.ctx.model.render(messages))
        if candidate.calibrate:
            for free in content_free(messages, candidate.layout):
                self.asked.add(self.ctx.model.render(free))
        try:
            signal = self._label_probability(rung, example, messages)
            prediction = ask_unrecorded(self.ctx, rung, example, messages)
        except CallFailed:
            return 0.0, False
        self.outputs[(candidate, example.id)] = prediction.output
        return (prediction.score if signal is None else signal), prediction.passed

    def _label_probability(
        self, rung: str, example: Example, messages: list[Message]
    ) -> float | None:
        """The probability of the expected label (calibrated when the candidate is), every
        label scored in full; None when labels are not scored by likelihood.

        The prediction that follows reads the same cached record, so this costs no call.
        """
        ctx = self.ctx
        if not uses_loglik(ctx):
            return None
        assert ctx.labels is not None
        try:
            _, _, logprobs = label_scores(ctx, rung, messages, prompt_for(ctx.model, messages))
        except NotImplementedError:
            return None
        if example.expected not in ctx.labels:
            return 0.0
        index = ctx.labels.index(example.expected)
        return math.exp(logprobs[index] - logsumexp(logprobs))

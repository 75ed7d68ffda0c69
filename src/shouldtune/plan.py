"""What a run will cost before it costs it: calls, seconds and dollars per rung.

Built after the split and before any rung runs. The calls are counted from the spec and the
split (test examples, the calibration probe, the search budget, failure re-runs, training
steps); the seconds come from a short timed probe on this machine (a few real calls on the
prompts the zero-shot and few-shot rungs would send, not cached); the dollars from the
task's API prices. Rungs that run only when no cheaper rung is good enough are counted, so
the total is what a run can cost at most. The test size also sets how precise every score
will be: the plan gives the 95% interval's half-width at p=0.5 (its widest) and at the bar.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence

from pydantic import BaseModel, Field, computed_field

from shouldtune.analysis.learning_curve import pool_sizes
from shouldtune.analysis.stats import wilson_half_width
from shouldtune.budget import max_new_tokens
from shouldtune.cost import api_usd, paid_per_call
from shouldtune.models.base import Message, Model, Prompt, prompt_for
from shouldtune.models.remote import is_remote
from shouldtune.prompts import (
    default_instructions,
    default_k,
    messages_for,
    pick_demonstrations,
    system_prompt,
)
from shouldtune.records import Example
from shouldtune.results import Prepared
from shouldtune.rung_info import info
from shouldtune.spec import LoraSpec
from shouldtune.sweep import sweep_points, val_size
from shouldtune.train_size import train_size

# The calibration probe of a prompt rung (calibrate: auto): 32 train examples plus the three
# content-free inputs (calibration.CONTENT_FREE) whose answers give the prior.
PROBE_EXAMPLES = 32
CONTENT_FREE_CALLS = 3
# One training step is a forward and a backward pass (about twice a forward) per example,
# and the optimizer and evaluation add about a fifth (the LoRA rung's own ETA rule).
STEP_FORWARDS = 3.0 * 1.2
# The forgetting probe per item (an answer with the adapter and one without, in batches of
# 32): 150 items took 99 s on the embedded model, 2 shared cores, 2026-12-01. A constant,
# not timed here: the probe runs in transformers, which the plan's probe does not load.
PROBE_ITEM_S = 0.66
# The share of an uncached prompt's extra time a prompt-search call pays (see build_plan).
SEARCH_FRESH_SHARE = 0.5
MIN_SEARCH_TRAIN = 12  # as in the ladder: fewer train examples and the search is skipped


class Timing(BaseModel):
    """Seconds per call measured on this machine (None: not measured)."""

    zero_shot_s: float | None = None
    few_shot_s: float | None = None
    zero_shot_tokens: float = Field(0.0, description="Prompt tokens of the timed zero-shot call.")
    few_shot_tokens: float = Field(0.0, description="Prompt tokens of the timed few-shot call.")
    zero_shot_full_s: float | None = Field(
        None,
        description=(
            "The zero-shot call with every label scored in full (calibration, sampled re-runs); "
            "None: the same as zero_shot_s (generated answers, a served model)."
        ),
    )
    few_shot_full_s: float | None = Field(
        None, description="The few-shot call with every label scored in full."
    )
    few_shot_cold_s: float | None = Field(
        None,
        description=(
            "The first few-shot call, its prompt not yet cached: what a prompt that shares "
            "little with the one before costs (the search's candidates, demonstrations chosen "
            "per input). None: not timed apart."
        ),
    )
    sampled_s: float | None = Field(
        None,
        description=(
            "A generated answer sampled at reproduce.temperature (the failure re-runs' seeds): "
            "sampled answers often run longer than greedy ones. None: not timed."
        ),
    )
    forward_s: float | None = Field(
        None, description="One prompt plus its answer scored: what training does per example."
    )
    how: str = "not timed (run --plan times a few calls)"


class RungPlan(BaseModel):
    rung: str
    calls: int = Field(description="Model calls: test examples, probes, search, re-runs.")
    train_steps: int = 0
    seconds: float | None = None
    usd: float | None = None
    detail: str = ""
    conditional: bool = Field(
        False, description="Runs only when no cheaper rung is good enough (all_rungs: always)."
    )


class Plan(BaseModel):
    task: str
    model: str
    n_train: int
    n_test: int
    split_note: str | None = None
    bar: float
    half_width: float = Field(description="95% Wilson half-width at p=0.5 for n_test.")
    half_width_at_bar: float
    timing: Timing
    rungs: list[RungPlan]
    skipped: dict[str, str] = Field(default_factory=dict)
    max_minutes: float | None = None
    max_usd: float | None = None
    sequential: str | None = Field(
        None,
        description="How sequential evaluation may stop rungs early (None: every example asked).",
    )
    instructions: str | None = Field(
        None, description="A warning when the spec gives no instructions (None: it gives them)."
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total_calls(self) -> int:
        return sum(r.calls for r in self.rungs)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total_seconds(self) -> float | None:
        """The timed rungs' seconds together (None when none was timed); see `untimed`."""
        times = [r.seconds for r in self.rungs if r.seconds is not None]
        return sum(times) if times else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def untimed(self) -> list[str]:
        """Rungs with no time estimate (a student other than the timed model, no probe)."""
        return [r.rung for r in self.rungs if r.seconds is None]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total_usd(self) -> float | None:
        costs = [r.usd for r in self.rungs if r.usd is not None]
        return sum(costs) if costs else None

    def over_limit(self) -> str | None:
        """A one-line reason the run should not start, naming the setting; None if within."""
        seconds, usd = self.total_seconds, self.total_usd
        minutes = self.max_minutes
        if minutes is not None and seconds is not None and seconds > minutes * 60:
            return (
                f"the plan estimates up to {fmt_seconds(seconds)}, over max_minutes "
                f"({minutes:g}): raise max_minutes, or lower split.max_test or the rungs "
                "(--rungs) to fit"
            )
        if self.max_usd is not None and usd is not None and usd > self.max_usd:
            return (
                f"the plan estimates up to ${usd:.2f}, over max_usd ({self.max_usd:g}): raise "
                "max_usd, or lower split.max_test or prompt_search.budget to fit"
            )
        return None

    def lines(self) -> list[str]:
        """The plan as plain text lines (logs, the ladder's stages)."""
        out = [
            f"plan: {self.n_test} test examples give +/-{self.half_width:.1%} (95%, p=0.5), "
            f"+/-{self.half_width_at_bar:.1%} at the bar {self.bar:.0%}; timing: {self.timing.how}"
        ]
        for rung in self.rungs:
            out.append(f"  {rung.rung:<14} {describe(rung)}")
        out.append(f"  {'total':<14} {self.total_calls} calls, {totals(self)}")
        if self.instructions:
            out.insert(1, f"  warning: {self.instructions}")
        if self.sequential:
            out.append(f"  {self.sequential}")
        return out


def fmt_seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def describe(rung: RungPlan) -> str:
    steps = f" + {rung.train_steps} training steps" if rung.train_steps else ""
    time_text = fmt_seconds(rung.seconds) if rung.seconds is not None else "time unknown"
    usd = f", ${rung.usd:.2f}" if rung.usd is not None else ""
    maybe = " (only if no cheaper rung is good enough)" if rung.conditional else ""
    return f"{rung.calls} calls{steps}, {time_text}{usd}{maybe}: {rung.detail}"


def totals(plan: Plan) -> str:
    seconds, usd = plan.total_seconds, plan.total_usd
    text = f"up to {fmt_seconds(seconds)}" if seconds is not None else "time unknown"
    if seconds is not None and plan.untimed:
        text += f" (not counting {', '.join(plan.untimed)})"
    return text + (f", up to ${usd:.2f}" if usd is not None else "")


def _timed(
    model: Model,
    prompt: Prompt,
    *,
    loglik: Sequence[str] | None,
    max_tokens: int,
    top_only: bool = True,
    temperature: float = 0.0,
) -> float:
    start = time.perf_counter()
    if loglik is not None:
        # top_only as a prediction asks; in full as calibration and sampled re-runs need.
        model.loglik(prompt, loglik, top_only=top_only)
    else:
        model.generate(prompt, max_tokens=max_tokens, temperature=temperature, seed=1)
    return time.perf_counter() - start


def _per_answer(model: Model, batch: list[list[Message]], max_tokens: int) -> float:
    """Seconds per answer when `batch` is decoded together (the evaluator's batches)."""
    prompts = [prompt_for(model, messages) for messages in batch]
    start = time.perf_counter()
    model.generate_batch(prompts, max_tokens=max_tokens)
    return (time.perf_counter() - start) / len(prompts)


def _steady(times: Sequence[float]) -> float:
    # The first call warms the model up (lazy loading, a cold prefix cache): leave it out.
    return statistics.mean(times[1:]) if len(times) > 1 else times[0]


def time_calls(prepared: Prepared, model: Model, *, few_shot: bool) -> Timing:
    """Seconds per call from a few real calls on the prompts the prompt rungs would send.

    Not through the cache, so that an answer saved by an earlier run does not time as free.
    A model without weights (mock) costs nothing; an HTTP model is timed on one call each.
    """
    if model.info.backend == "mock":
        return Timing(zero_shot_s=0.0, few_shot_s=0.0, forward_s=0.0, how="mock model, free")
    spec, labels = prepared.spec, prepared.labels
    sample = list(prepared.split.test[:3]) or list(prepared.split.train[:3])
    if not sample:
        return Timing(how="no examples to time")
    remote = is_remote(spec.model)
    n_calls = 1 if remote else 3
    system = system_prompt(spec, labels)
    scored = prepared.scorer_name == "label" and model.scores_labels
    budget = max_new_tokens(spec)

    def call(messages: list[Message], top_only: bool = True) -> float:
        prompt = prompt_for(model, messages)
        tokens.append(model.count_tokens(prompt.text))
        answers = None
        if labels is not None and scored:
            answers = [model.answer_suffix(messages, label) for label in labels]
        return _timed(model, prompt, loglik=answers, max_tokens=budget, top_only=top_only)

    # With labels scored locally, one call more each with every label in full: on many labels
    # it costs several times the pruned search (nothing to prune), and calibration needs it.
    full = labels is not None and scored and not remote
    tokens: list[int] = []
    zero = [call(messages_for(system, [], e)) for e in (sample * n_calls)[:n_calls]]
    zero_full = call(messages_for(system, [], sample[-1]), top_only=False) if full else None
    zero_tokens = statistics.mean(tokens)
    tokens.clear()
    few: list[float] = []
    few_full: float | None = None
    if few_shot and prepared.split.train:
        demos = _fitting_demos(prepared, model, system, sample[0])
        few = [call(messages_for(system, demos, e)) for e in (sample * 2)[: 1 if remote else 2]]
        if full:
            few_full = call(messages_for(system, demos, sample[-1]), top_only=False)
    sampled: float | None = None
    if labels is None and not remote and spec.reproduce.enabled and spec.reproduce.seeds:
        messages = messages_for(system, demos if few else [], sample[-1])
        sampled = _timed(
            model,
            prompt_for(model, messages),
            loglik=None,
            max_tokens=budget,
            temperature=spec.reproduce.temperature,
        )
    forward: float | None = None
    if not remote and model.scores_labels:
        # One prompt and its answer scored once: the work training does per example.
        example = sample[0]
        messages = messages_for(system, [], example)
        start = time.perf_counter()
        model.loglik(prompt_for(model, messages), [model.answer_suffix(messages, example.expected)])
        forward = time.perf_counter() - start
    n_timed = len(zero) + len(few) + sum(t is not None for t in (zero_full, few_full, sampled))
    calls = f"{n_timed} timed call(s)" + (", one forward" if forward else "")
    zero_s, few_s = _steady(zero), _steady(few) if few else None
    size = min(model.batch_generation, len(prepared.split.test) or len(prepared.split.train))
    if not scored and not remote and size > 1:
        # The run asks a batching backend for its answers `size` at a time: time them so.
        pool = list(prepared.split.test[:size]) or list(prepared.split.train[:size])
        zero_s = _per_answer(model, [messages_for(system, [], e) for e in pool], budget)
        if few:
            demos = _fitting_demos(prepared, model, system, sample[0])
            few_s = _per_answer(model, [messages_for(system, demos, e) for e in pool], budget)
        calls += f"; answers timed {size} at a time, as the run asks them"
    return Timing(
        zero_shot_s=zero_s,
        few_shot_s=few_s,
        zero_shot_full_s=zero_full,
        few_shot_full_s=few_full,
        few_shot_cold_s=few[0] if len(few) > 1 else None,
        sampled_s=sampled,
        zero_shot_tokens=zero_tokens,
        few_shot_tokens=statistics.mean(tokens) if tokens else 0.0,
        forward_s=forward,
        how=calls + (" (first left out as warm-up)" if not remote else ""),
    )


def _fitting_demos(
    prepared: Prepared, model: Model, system: str, example: Example
) -> list[Example]:
    """The few-shot rung's default demonstrations, trimmed to the context like it does."""
    spec, labels = prepared.spec, prepared.labels
    k = spec.few_shot.k or default_k(labels)
    demos = pick_demonstrations(
        prepared.split.train, k, seed=spec.split.seed, balanced=labels is not None
    )
    room = model.info.context_length - (max_new_tokens(spec) if labels is None else 16)
    while demos and model.count_tokens(model.render(messages_for(system, demos, example))) > room:
        demos = demos[:-1]
    return demos


def per_call(timing: Timing, tokens: float) -> float | None:
    """Seconds of a call with a prompt of `tokens`, on the line through the two timed calls.

    A call costs a fixed part (the answer's decoding, a request's round trip) and a part that
    grows with the prompt; the zero-shot and few-shot calls give one point each. With one
    point (or two that do not rise) the zero-shot time stands.
    """
    t0, t1 = timing.zero_shot_s, timing.few_shot_s
    n0, n1 = timing.zero_shot_tokens, timing.few_shot_tokens
    if t0 is None:
        return None
    if t1 is None or n1 <= n0 or t1 <= t0:
        return t0
    slope = (t1 - t0) / (n1 - n0)
    return t0 + slope * max(0.0, tokens - n0)


def _mean_tokens(model: Model, texts: Sequence[str]) -> float:
    return sum(model.count_tokens(t) for t in texts) / len(texts) if texts else 0.0


def _probe_calls(prepared: Prepared, model: Model) -> int:
    """Calls a prompt rung spends deciding on calibration (evaluate.decide_calibration)."""
    if prepared.labels is None or prepared.scorer_name != "label" or not model.scores_labels:
        return 0
    mode = prepared.spec.calibrate
    if mode == "off":
        return 0
    if mode == "on":
        return CONTENT_FREE_CALLS
    return min(PROBE_EXAMPLES, len(prepared.split.train)) + CONTENT_FREE_CALLS


def structural_skips(prepared: Prepared) -> dict[str, str]:
    """Rungs the ladder will skip whatever the scores (mirrors ladder.skip_reason)."""
    spec = prepared.spec
    skipped: dict[str, str] = {}
    for name in spec.rungs:
        if name == "prompt_search" and len(prepared.split.train) < MIN_SEARCH_TRAIN:
            skipped[name] = f"{len(prepared.split.train)} train examples: too few to search"
        elif name == "lora" and not prepared.precheck.enough_data:
            skipped[name] = "too few usable examples to fine-tune on"
        elif name == "lora" and spec.student_model is None:
            skipped[name] = "no local student to fine-tune"
    return skipped


def steps_for(n: int, options: LoraSpec) -> int:
    """Optimizer steps of one adapter on n examples (training/lora.py holds out its own slice)."""
    n_val = min(64, int(n * options.val_fraction)) if n >= 20 else 0
    per_epoch = max(1, math.ceil((n - n_val) / options.batch_size))
    return options.max_steps or max(1, math.ceil(per_epoch * options.epochs))


def lora_steps(prepared: Prepared) -> int:
    """Optimizer steps of the LoRA rung: every sweep point's, when a sweep is on."""
    options = prepared.spec.lora
    n = train_size(len(prepared.split.train), options).n
    points = sweep_points(options)
    if not points:
        return steps_for(n, options)
    # Each point trains on train less the sweep's validation slice.
    pool = n - min(n, val_size(n))
    return sum(steps_for(pool, options.at(p)) for p in points)


def build_plan(prepared: Prepared, model: Model, *, timing: Timing | None) -> Plan:
    """The plan for this prepared task; `timing` None leaves the seconds unknown (check)."""
    spec = prepared.spec
    n_test = len(prepared.split.test)
    skipped = structural_skips(prepared)
    names = [n for n in spec.rungs if n not in skipped]
    probe = _probe_calls(prepared, model)
    timing = timing or Timing()
    concurrency = max(1, model.max_concurrency)
    priced = model.usage_source == "server"
    system = system_prompt(spec, prepared.labels)
    inputs = prepared.split.test or prepared.split.train
    zero_tokens = _mean_tokens(model, [model.render(messages_for(system, [], e)) for e in inputs])
    answer_tokens = (
        1.0
        if prepared.labels is not None
        else _mean_tokens(model, [e.expected for e in prepared.split.train])
    )
    few_tokens = zero_tokens
    if any(info(n).kind == "prompt" and n != "zero_shot" for n in names) and inputs:
        demos = _fitting_demos(prepared, model, system, inputs[0])
        few_tokens = float(model.count_tokens(model.render(messages_for(system, demos, inputs[0]))))

    def seconds(calls: int, per_call: float | None) -> float | None:
        return None if per_call is None else calls * per_call / concurrency

    def usd(calls: int, prompt_tokens: float) -> float | None:
        if not priced:
            return None
        each = api_usd(spec.api, prompt_tokens, answer_tokens)
        return None if each is None else calls * each

    few_s = timing.few_shot_s if timing.few_shot_s is not None else timing.zero_shot_s
    # Every label scored in full: the calibration probe always, a calibrated rung's test calls
    # and sampled re-runs too. `auto` decides calibration during the run, so the plan, an upper
    # bound, prices a rung that may calibrate at the full rate and says what it is without.
    zero_full = _or(timing.zero_shot_full_s, timing.zero_shot_s)
    few_full = _or(timing.few_shot_full_s, _or(timing.zero_shot_full_s, few_s))
    may_calibrate = probe > 0

    def prompt_rung(
        name: str,
        calls: int,
        extra: int,
        top: float | None,
        whole: float | None,
        curve: int = 0,
    ) -> RungPlan:
        detail = f"{n_test} test" + (f" + {extra} calibration" if extra else "")
        if curve:
            detail += f" + {curve} learning curve"
        tokens = zero_tokens if name == "zero_shot" else few_tokens
        per = top
        if extra and whole is not None and top is not None and whole > top:
            per = whole
            without = seconds(extra, whole) + seconds(n_test + curve, top)  # type: ignore[operator]
            detail += (
                f"; every label scored in full for calibration, and for the test calls in case "
                f"it is chosen ({fmt_seconds(without)} if not)"
            )
        return RungPlan(
            rung=name,
            calls=calls,
            seconds=seconds(calls, per),
            usd=usd(calls, tokens),
            detail=detail,
        )

    rungs: list[RungPlan] = []
    for name in names:
        conditional = not spec.all_rungs and name in ("prompt_search", "lora")
        if name == "zero_shot":
            rungs.append(prompt_rung(name, n_test + probe, probe, timing.zero_shot_s, zero_full))
        elif name == "few_shot":
            extra = probe if spec.few_shot.selection != "similar" else 0
            # The learning curve asks the test split again with each smaller pool.
            curve = (
                n_test * len(pool_sizes(len(prepared.split.train)))
                if spec.few_shot.learning_curve
                else 0
            )
            rungs.append(prompt_rung(name, n_test + extra + curve, extra, few_s, few_full, curve))
        elif name == "prompt_search":
            budget = spec.prompt_search.budget
            calls = budget + n_test
            search_s = test_s = few_s
            # The test calls are an upper bound: when no prompt beats few-shot's, the rung
            # reuses few-shot's test answers and asks nothing more.
            detail = f"search {budget} + {n_test} test (none if few-shot's prompt is kept)"
            scores_labels = (
                prepared.labels is not None
                and prepared.scorer_name == "label"
                and model.scores_labels
            )
            if scores_labels and few_s is not None and few_full is not None and few_full > few_s:
                # Selection reads the expected label's probability: every label in full.
                search_s = few_full
                test_s = few_full if may_calibrate else few_s
                detail += "; every label scored in full on validation"
            if timing.few_shot_cold_s is not None and few_s is not None:
                # Candidates change the prompt (a candidate's first call reads it afresh) and
                # the nearest-example demonstrations differ per input (every call does), while
                # a candidate's later calls with shared demonstrations reuse the cached prefix.
                # Neither extreme fits: priced at half the uncached call's extra time, a rough
                # middle (docs/plan.md gives measured ratios on six tasks).
                fresh = SEARCH_FRESH_SHARE * max(0.0, timing.few_shot_cold_s - few_s)
                search_s = None if search_s is None else search_s + fresh
                test_s = None if test_s is None else test_s + fresh
            rungs.append(
                RungPlan(
                    rung=name,
                    calls=calls,
                    seconds=None
                    if search_s is None or test_s is None
                    else (budget * search_s + n_test * test_s) / concurrency,
                    usd=usd(calls, few_tokens),
                    detail=detail,
                    conditional=conditional,
                )
            )
        elif name == "rag":
            rag_tokens = zero_tokens + spec.rag.context_budget
            per = per_call(timing, timing.zero_shot_tokens + spec.rag.context_budget)
            rungs.append(
                RungPlan(
                    rung=name,
                    calls=n_test,
                    seconds=seconds(n_test, per),
                    usd=usd(n_test, rag_tokens),
                    detail=f"{n_test} test, +{spec.rag.context_budget} tokens of passages",
                )
            )
        elif name == "lora":
            steps = lora_steps(prepared)
            train_s = None
            if timing.forward_s is not None and spec.student_model == spec.model:
                train_s = steps * spec.lora.batch_size * timing.forward_s * STEP_FORWARDS
            n_points = len(sweep_points(spec.lora))
            size = train_size(len(prepared.split.train), spec.lora)
            n_train = size.n
            on = f"{n_train} of {size.pool} train" if size.cut else f"{n_train} train"
            # A sweep scores every point on its validation slice and on the test split.
            calls = n_test if not n_points else n_points * (n_test + val_size(n_train))
            test_s = seconds(calls, timing.zero_shot_s)
            # Each adapter's forgetting: the general probe answered with and without it.
            probe_s = (
                max(1, n_points) * spec.lora.probe_n * PROBE_ITEM_S
                if timing.forward_s is not None
                else None
            )
            total = (
                None
                if train_s is None or test_s is None or probe_s is None
                else train_s + test_s + probe_s
            )
            if n_points:
                detail = (
                    f"sweep of {n_points} settings: {steps} steps in all x "
                    f"{spec.lora.batch_size}, each scored on {val_size(n_train)} validation + "
                    f"{n_test} test + the probe each; time rough"
                )
            else:
                detail = (
                    f"{steps} steps x {spec.lora.batch_size} on {on} "
                    f"({spec.lora.epochs:g} epochs) + {n_test} test + "
                    f"{spec.lora.probe_n}-item probe; time rough"
                )
            if size.cut:
                why = "auto, on a CPU" if spec.lora.max_train == "auto" else "set"
                detail += f" (lora.max_train {why}; `lora.max_train: all` trains on every one)"
            rungs.append(
                RungPlan(
                    rung=name,
                    calls=calls,
                    train_steps=steps,
                    seconds=total,
                    detail=detail,
                    conditional=conditional,
                )
            )
    if spec.reproduce.enabled and any(info(n).prompting for n in names):
        rungs.append(
            _reproduce_plan(
                prepared,
                model,
                few_s,
                few_full,
                timing.sampled_s,
                may_calibrate,
                seconds,
                usd,
                few_tokens,
            )
        )
    batch = spec.sequential.batch_for(n_test, paid=paid_per_call(spec.api, model.usage_source))
    sequential = None
    if batch is not None:
        why = "on" if spec.sequential.enabled == "on" else "auto"
        sequential = (
            f"sequential evaluation {why}: a rung whose interval clears both thresholds stops "
            f"after a few batches of {batch}; the times above ask every test example"
        )
    return Plan(
        sequential=sequential,
        instructions=None
        if (spec.instructions or "").strip()
        else (
            "no instructions given: the prompt rungs are told only "
            f"{default_instructions(prepared.labels is not None)!r} (instructions:)"
        ),
        task=spec.task_name,
        model=spec.model,
        n_train=len(prepared.split.train),
        n_test=n_test,
        split_note=prepared.split.note,
        bar=spec.bar,
        half_width=wilson_half_width(0.5, n_test),
        half_width_at_bar=wilson_half_width(spec.bar, n_test),
        timing=timing,
        rungs=rungs,
        skipped=skipped,
        max_minutes=spec.max_minutes,
        max_usd=spec.max_usd,
    )


def _or(value: float | None, default: float | None) -> float | None:
    return default if value is None else value


def _reproduce_plan(
    prepared: Prepared,
    model: Model,
    few_s: float | None,
    few_full: float | None,
    sampled_s: float | None,
    may_calibrate: bool,
    seconds: Callable[[int, float | None], float | None],
    usd: Callable[[int, float], float | None],
    tokens: float,
) -> RungPlan:
    """The failure re-runs (analysis/reproduce.py) of the best prompt rung.

    With labels scored, the seeds sample from one full scoring of the prompt (cached), the
    variants are greedy (the pruned search, or in full when calibrated, when each resampled
    set of demonstrations also needs its content-free prior); generated answers cost one call
    per seed and per variant.
    """
    options = prepared.spec.reproduce
    failures = min(options.max_failures, len(prepared.split.test))
    labels = prepared.labels is not None and prepared.scorer_name == "label"
    if not (labels and model.scores_labels):
        calls = failures * (options.seeds + options.variants)
        seeds_s = seconds(failures * options.seeds, _or(sampled_s, few_s))
        variants_s = seconds(failures * options.variants, few_s)
        return RungPlan(
            rung="reproduce",
            calls=calls,
            seconds=None if seeds_s is None or variants_s is None else seeds_s + variants_s,
            usd=usd(calls, tokens),
            detail=f"<= {failures} failures x {options.seeds + options.variants} re-runs"
            + (" (the seeds' answers sampled, timed apart)" if sampled_s is not None else ""),
        )
    sampled = min(1, options.seeds)
    # Reshuffled and resampled demonstrations change the content-free prompts: new priors.
    priors = CONTENT_FREE_CALLS * min(2, options.variants) if may_calibrate else 0
    full = sampled + priors + (options.variants if may_calibrate else 0)
    pruned = 0 if may_calibrate else options.variants
    calls = failures * (full + pruned)
    full_s, pruned_s = seconds(failures * full, few_full), seconds(failures * pruned, few_s)
    return RungPlan(
        rung="reproduce",
        calls=calls,
        seconds=None if full_s is None or pruned_s is None else full_s + pruned_s,
        usd=usd(calls, tokens),
        detail=(
            f"<= {failures} failures x ({options.seeds} seeds sampled from one full scoring"
            f" + {options.variants} variants"
            + (f" + {priors} content-free priors" if priors else "")
            + ")"
        ),
    )


def plan_for(prepared: Prepared, model: Model, *, probe: bool = True) -> Plan:
    """Time the probe (unless `probe` is False) and build the plan."""
    few = any(info(n).kind == "prompt" and n != "zero_shot" for n in prepared.spec.rungs)
    timing = time_calls(prepared, model, few_shot=few) if probe else None
    if timing is None and is_remote(prepared.spec.model):
        timing = Timing(how="not timed (a served model: run --plan, or set max_minutes)")
    return build_plan(prepared, model, timing=timing)


class PlanLimitError(Exception):
    """The plan's estimate is over max_minutes or max_usd; nothing was run."""

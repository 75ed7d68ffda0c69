"""The pipeline: data -> pre-check -> split -> rungs (cheapest first) -> verdict -> run dir."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from shouldtune.analysis.failures import summarize_failures
from shouldtune.analysis.reproduce import reproduce_failures
from shouldtune.analysis.reproducibility import Reproducibility
from shouldtune.baseline import Baseline, measure_baseline
from shouldtune.budget import derive_budget
from shouldtune.cache import CallCache, check_folder
from shouldtune.cost import run_cost, task_prices
from shouldtune.data import DataError, DataIssue, load_examples
from shouldtune.decide import with_model, with_second_model
from shouldtune.evaluate import EvalContext
from shouldtune.findings import ModelFinding
from shouldtune.labels import unify_labels
from shouldtune.models.base import Model
from shouldtune.models.registry import BUILTINS, check_reference, load_model
from shouldtune.models.remote import is_remote
from shouldtune.nontrivial import nontrivial
from shouldtune.pii import finding_lines
from shouldtune.pii_gate import check_gate
from shouldtune.plan import PlanLimitError, plan_for
from shouldtune.policy import Climb, best_prompting, not_reproducible_reason
from shouldtune.precheck import near_duplicate_groups, run_precheck, scan_pii
from shouldtune.rag.documents import read_documents, require_documents
from shouldtune.rag.embedder import Embedder
from shouldtune.records import Example, Prediction, RungResult
from shouldtune.results import Prepared, RunResult, SplitSummary
from shouldtune.rundir import RunDir
from shouldtune.rung_settings import LatencyVs
from shouldtune.rungs import REGISTRY
from shouldtune.scorer_factory import build_scorer
from shouldtune.scoring import Scorer, infer_label_task, scorer_settings
from shouldtune.spec import TaskSpec
from shouldtune.split import make_split


class Reporter(Protocol):
    """Where progress goes: the terminal in the CLI, nowhere in the library."""

    def stage(self, message: str) -> None: ...

    def rung_started(self, rung: str, total: int) -> None: ...

    def advance(self, done: int, total: int) -> None: ...

    def rung_finished(self, result: RungResult) -> None: ...


class SilentReporter:
    def stage(self, message: str) -> None:
        pass

    def rung_started(self, rung: str, total: int) -> None:
        pass

    def advance(self, done: int, total: int) -> None:
        pass

    def rung_finished(self, result: RungResult) -> None:
        pass


def resolve_labels(spec: TaskSpec, examples: Sequence[Example]) -> tuple[str, list[str] | None]:
    """The scorer to use and, for label tasks, the closed label set."""
    expected = [e.expected for e in examples]
    scorer = spec.scorer
    if scorer == "auto":
        scorer = "label" if spec.labels or infer_label_task(expected) else "exact"
    if scorer != "label":
        return scorer, None
    labels = list(spec.labels) if spec.labels else sorted(set(expected))
    outside = [e for e in examples if e.expected not in labels]
    if outside:
        issues = [
            DataIssue(
                str(spec.data),
                e.line,
                spec.expected,
                f"{e.expected!r} is not one of the labels ({', '.join(labels)})",
            )
            for e in outside
        ]
        raise DataError(issues)
    return scorer, labels


def check_late_inputs(spec: TaskSpec, cache: CallCache) -> None:
    """What the run reads only later (the student, the proposer, the documents) must be there
    before it starts: `check` and `run` both call this before the model loads."""
    later: list[str] = []
    if "lora" in spec.rungs and spec.student_model and spec.student_model != spec.model:
        later.append(spec.student_model)
    if "prompt_search" in spec.rungs and spec.prompt_search.proposer:
        later.append(spec.prompt_search.proposer)
    for reference in later:
        check_reference(reference, cache.root)
    if "rag" in spec.rungs and spec.docs is not None:
        # The rag rung reads them again: a folder with nothing readable must fail first.
        require_documents(
            read_documents(
                spec.docs,
                max_file_bytes=spec.rag.max_file_bytes,
                max_total_bytes=spec.rag.max_total_bytes,
            )
        )


def read_examples(spec: TaskSpec) -> list[Example]:
    """The examples, read and checked (every data and label error) before any model loads:
    a typo on line 4,812 should not wait for a 7B model to load first."""
    # "Yes" and "yes" are one label to the scorer, so to the pre-check and split too.
    examples = unify_labels(spec, load_examples(spec))
    resolve_labels(spec, examples)
    return examples


def prepare(spec: TaskSpec, model: Model, examples: list[Example] | None = None) -> Prepared:
    examples = examples if examples is not None else read_examples(spec)
    scorer_name, labels = resolve_labels(spec, examples)
    found = scan_pii(examples, spec)
    report, usable = run_precheck(
        examples,
        spec,
        count_tokens=model.count_tokens,
        context_length=model.info.context_length,
        label_task=labels is not None,
        pii=found,
    )
    split = make_split(
        usable,
        spec.split,
        label_task=labels is not None,
        groups=near_duplicate_groups(usable),
    )
    budget = derive_budget(
        spec, [e.expected for e in split.train], model.count_tokens, model.info.context_length
    )
    resolved = spec.model_copy(update={"max_new_tokens": budget.max_new_tokens})
    return Prepared(resolved, scorer_name, labels, report, split, budget, found)


def _mean_tokens(model: Model, texts: Sequence[str]) -> float:
    """Mean tokens of the expected answers: what a served model writes per request."""
    return sum(model.count_tokens(t) for t in texts) / len(texts) if texts else 0.0


def _latency_comparison(results: Sequence[RungResult]) -> None:
    """The tuned model's latency with its short prompt against each prompted rung's."""
    tuned = next((r for r in results if r.rung == "lora"), None)
    if tuned is None or tuned.mean_latency_s <= 0:
        return
    tuned.settings.latency_vs = {
        r.rung: LatencyVs(
            latency_s=r.mean_latency_s,
            prompt_tokens=r.mean_prompt_tokens,
            speedup=r.mean_latency_s / tuned.mean_latency_s,
            # The prompted model may be another (a big served one vs the tuned student).
            model=r.settings.model.name if r.settings.model is not None else None,
        )
        for r in results
        if r.rung != "lora"
    }


def _floor(prepared: Prepared, scorer: Scorer) -> tuple[Baseline, list[Prediction]] | None:
    """The constant answer scored on test, before any rung (no model call): the decision reads
    it at every early-stop check, and the final record pairs it with every climbed rung.

    None when the scorer itself asks a model (judge): the baseline must stay free.
    """
    split = prepared.split
    if prepared.scorer_name == "judge" or not split.train or not split.test:
        return None
    return measure_baseline(split.train, split.test, scorer, prepared.scorer_name, split.seed)


def _with_nontrivial(
    climb: Climb,
    prepared: Prepared,
    results: Sequence[RungResult],
    predictions: dict[str, list[Prediction]],
) -> Baseline | None:
    """The final baseline record: paired with every rung, and the score on the non-trivial part
    (from the stored predictions: no model call)."""
    record = climb.baseline(results, predictions)
    if record is None or climb.floor is None:
        return record
    part = nontrivial(
        record.constant,
        prepared.split.test,
        climb.floor[1],
        {r.rung: predictions[r.rung] for r in results},
        scorer_name=prepared.scorer_name,
        binary=climb.binary,
        seed=prepared.split.seed,
    )
    return record.model_copy(update={"nontrivial": part})


def run_ladder(
    spec: TaskSpec,
    *,
    cache: CallCache,
    runs_dir: Path | None = Path("runs"),
    allow_python: bool = False,
    model: Model | None = None,
    reporter: Reporter | None = None,
    embedder: Embedder | None = None,
) -> RunResult:
    started = time.perf_counter()
    say = reporter or SilentReporter()
    if runs_dir is not None:
        check_folder(runs_dir)  # a file in the way fails now, not after the rungs are timed
    check_late_inputs(spec, cache)
    say.stage(f"reading {spec.data}")
    examples = read_examples(spec)
    say.stage(f"loading model {spec.model}")
    owned = model is None
    loaded = model or load_model(
        spec.model, cache, context_length=spec.context_length, api=spec.api
    )
    try:
        prepared = prepare(spec, loaded, examples)
        spec = prepared.spec  # the generation budget resolved against the train answers
        if prepared.budget is not None and prepared.labels is None:
            say.stage(f"generation budget: {prepared.budget.describe()}")
            if prepared.budget.warning:
                say.stage(f"warning: {prepared.budget.warning}")
        # Personal data found: stop before any model call if it would leave the machine or
        # be trained in (unless --allow-pii); a local prompt-only run goes on, warned.
        pii_warning = check_gate(spec, prepared.pii, training=prepared.precheck.enough_data)
        if pii_warning is not None:
            for line in finding_lines(spec.data, prepared.pii):
                say.stage(line)
            say.stage(pii_warning)
        # Every setting that can fail does so here, before the plan's timed calls: a bad
        # price table, a scorer's pattern, schema or function.
        prices = task_prices(spec)
        scorer = build_scorer(
            spec.model_copy(update={"scorer": prepared.scorer_name}),
            labels=prepared.labels,
            allow_python=allow_python,
            cache=cache,
            embedder=embedder,
        )
        # What the run will cost, before it costs it; over a limit, stop before any rung.
        # A served model is timed only when a time limit asks for it: each probe call is a
        # request (paid, and sent again by a re-run that the cache would otherwise answer).
        timed = not is_remote(spec.model) or bool(spec.max_minutes)
        if timed and loaded.info.backend != "mock":
            say.stage("planning: timing a few calls on this machine")
        plan = plan_for(prepared, loaded, probe=timed)
        for line in plan.lines():
            say.stage(line)
        breach = plan.over_limit()
        if breach is not None:
            raise PlanLimitError(breach)
        run_dir = RunDir.create(runs_dir, spec.task_name) if runs_dir is not None else None
        if run_dir is not None:
            run_dir.write_manifest(
                spec, loaded.info, prepared.split, status="running", scorer=scorer_settings(scorer)
            )
        ctx = EvalContext(
            spec,
            loaded,
            cache,
            scorer,
            prepared.labels,
            progress=say.advance,
            say=say.stage,
            run_dir=run_dir.path if run_dir is not None else None,
            embedder=embedder,
        )
        results: list[RungResult] = []
        predictions: dict[str, list[Prediction]] = {}
        skipped: dict[str, str] = {}
        train, test = prepared.split.train, prepared.split.test
        reproducibility: Reproducibility | None = None
        # The policy, and the decision so far: the constant answer is its floor from the start.
        climb = Climb(spec, prepared, scorer.binary, _floor(prepared, scorer))

        def reproduce() -> Reproducibility | None:
            target = best_prompting(results)
            if not spec.reproduce.enabled or target is None or target.pass_rate >= 1.0:
                return None
            failed = sum(1 for p in predictions[target.rung] if not p.passed)
            say.stage(
                f"re-running {min(failed, spec.reproduce.max_failures)} failures of "
                f"{target.rung} under seeds and prompt variants"
            )
            return reproduce_failures(
                ctx,
                target.rung,
                predictions[target.rung],
                lambda example_id: ctx.asked.get((target.rung, example_id)),
                train,
                test,
            )

        for name in spec.rungs:
            reason = climb.skip_reason(name, results, predictions)
            if reason is None and name == "lora":
                reproducibility = reproducibility or reproduce()
                reason = None if spec.all_rungs else not_reproducible_reason(reproducibility)
            if reason is not None:
                skipped[name] = reason
                say.stage(f"{name} skipped: {reason}")
                continue
            say.rung_started(name, len(test))
            result, preds = REGISTRY[name].run(ctx, train, test)
            results.append(result)
            predictions[name] = preds
            ctx.finished[name] = (result, preds)
            if run_dir is not None:
                run_dir.append_predictions(preds)
            say.rung_finished(result)
        if reproducibility is None:
            reproducibility = reproduce()
        comparisons = climb.comparisons(results, predictions)
        baseline = _with_nontrivial(climb, prepared, results, predictions)
        failures = [summarize_failures(r.rung, predictions[r.rung]) for r in results]
        _latency_comparison(results)
        # The decision made before the last skip is reused when no rung ran since (policy).
        verdict = climb.verdict(results, predictions, failures, reproducibility)
        split = prepared.split
        cost = run_cost(
            spec,
            prices,
            results,
            train_examples=len(split.train),
            answer_tokens=_mean_tokens(loaded, [e.expected for e in split.test]),
            local_params=loaded.info.n_params,
            verdict=verdict.kind,
            model=loaded.info.name,
        )
        if cost is not None and cost.two_models is not None:
            # The verdict on a forgetting budget names what the second model costs.
            verdict = with_second_model(
                verdict, cost.two_models.monthly_usd, failures, reproducibility
            )
        # The answer names the model it is about, the built-in demo model as such.
        named = ModelFinding(
            name=loaded.info.name,
            backend=loaded.info.backend,
            builtin=loaded.info.name in BUILTINS and spec.model.removeprefix("hf:") in BUILTINS,
        )
        verdict = with_model(verdict, named, failures, reproducibility)
        run_result = RunResult(
            task=spec.task_name,
            run_dir=str(run_dir.path) if run_dir is not None else None,
            model=loaded.info,
            scorer=prepared.scorer_name,
            labels=prepared.labels,
            bar=spec.bar,
            prompt_fraction=spec.prompt_fraction,
            precheck=prepared.precheck,
            split=SplitSummary(
                n_train=len(split.train),
                n_test=len(split.test),
                seed=split.seed,
                stratified=split.stratified,
                test_ids=[e.id for e in split.test],
                train_ids=[e.id for e in split.train],
                note=split.note,
            ),
            rungs=results,
            baseline=baseline,
            skipped=skipped,
            comparisons=comparisons,
            failures=failures,
            reproducibility=reproducibility,
            cost=cost,
            generation_budget=prepared.budget,
            verdict=verdict,
            wall_s=time.perf_counter() - started,
            planned_s=plan.total_seconds,
        )
        if run_dir is not None:
            run_dir.write_results(run_result.model_dump(mode="json"))
            run_dir.write_manifest(
                spec, loaded.info, split, status="finished", scorer=scorer_settings(scorer)
            )
        return run_result
    finally:
        if owned:
            loaded.close()

"""The framework as code: rung results in, a verdict with its findings out.

Reads results only; never calls a model. Intervals, not point estimates, decide: a rung
"reaches" a threshold when its whole 95% interval is at or above it, "falls short" when
the whole interval is below, and anything in between is reported as uncertain.

The decision is made here as `Findings` (shouldtune.findings); every sentence of the verdict
is written from them in `decide_words`. The climbing policy (which rung to climb next, when
to stop) reads the same thresholds in `policy`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, Field

from shouldtune.analysis.stats import examples_needed, examples_needed_paired
from shouldtune.baseline import BASELINE, short
from shouldtune.decide_words import render
from shouldtune.findings import (
    REPRODUCIBLE_SHARE,
    SIGNIFICANT,
    BaselineFinding,
    BudgetFinding,
    CurveFinding,
    Findings,
    FloorPair,
    ForgettingFinding,
    ModelFinding,
    PairedFinding,
    PatternCall,
    PatternFinding,
    Position,
    Question,
    RagDiagnosis,
    RouteFinding,
    RouteState,
    RungScore,
    SearchFinding,
    SettingFinding,
    Threshold,
    TrainingFinding,
    VerdictKind,
)
from shouldtune.records import Interval, RungResult
from shouldtune.rung_info import cost_order, is_prompt
from shouldtune.spec import ForgettingBudget
from shouldtune.sweep import broken_limits, probe_drop

if TYPE_CHECKING:
    from shouldtune.analysis.failures import FailureSummary
    from shouldtune.analysis.reproducibility import Reproducibility

__all__ = [
    "Findings",
    "Floor",
    "Paired",
    "Verdict",
    "VerdictKind",
    "baseline_finding",
    "best_of",
    "decide",
    "decide_findings",
    "forgetting_finding",
    "pattern_call",
    "rag_diagnosis",
    "routes_of",
    "search_finding",
    "truncated",
    "verdict_of",
    "with_evidence",
    "with_model",
    "with_second_model",
]


class Paired(Protocol):
    """Rung b against rung a on the same examples (results.Comparison); diff is b minus a."""

    @property
    def a(self) -> str: ...
    @property
    def b(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def n(self) -> int: ...
    @property
    def diff(self) -> float: ...
    @property
    def p_value(self) -> float | None: ...
    @property
    def a_only(self) -> int | None: ...
    @property
    def b_only(self) -> int | None: ...


class Floor(Protocol):
    """The model-free constant and its paired tests against each rung (baseline.Baseline)."""

    @property
    def constant(self) -> str: ...
    @property
    def how(self) -> str: ...
    @property
    def n(self) -> int: ...
    @property
    def score(self) -> Interval: ...
    @property
    def pairs(self) -> Sequence[Paired]: ...


def baseline_finding(floor: Floor | None) -> BaselineFinding | None:
    """The constant as the decision reads it: which rungs beat it on a paired test."""
    if floor is None:
        return None
    pairs = []
    for c in floor.pairs:
        rung = c.b if c.a == BASELINE else c.a
        gain = c.diff if c.b == rung else -c.diff
        better = gain > 0 and c.p_value is not None and c.p_value < SIGNIFICANT
        pairs.append(
            FloorPair(rung=rung, method=c.method, n=c.n, p_value=c.p_value, gain=gain, beats=better)
        )
    return BaselineFinding(
        constant=short(floor.constant),
        how=floor.how,
        n=floor.n,
        score=floor.score,
        pairs=pairs,
        matched=[p.rung for p in pairs if not p.beats],
    )


class Verdict(BaseModel):
    kind: VerdictKind
    headline: str = Field(description="One line: the verdict and the number that decided it.")
    question: str = Field(description="Which question of the framework decided it.")
    reasons: list[str]
    answer: str = Field(description="One paragraph in plain words.")
    best_rung: str | None = None
    gap: float | None = Field(None, description="Best score minus the threshold it was held to.")
    examples_needed: int | None = Field(
        None, description="More test examples that would settle an uncertain call."
    )
    findings: Findings | None = Field(
        None,
        description="What the verdict turned on, as data (schema_version 2; absent in v1 runs).",
    )


def decide(
    results: Sequence[RungResult],
    *,
    bar: float,
    prompt_fraction: float,
    enough_data: bool,
    n_usable: int,
    min_examples: int,
    comparisons: Sequence[Paired] = (),
    failures: Sequence[FailureSummary] = (),
    reproducibility: Reproducibility | None = None,
    budget: ForgettingBudget | None = None,
    baseline: Floor | None = None,
) -> Verdict:
    found = decide_findings(
        results,
        bar=bar,
        prompt_fraction=prompt_fraction,
        enough_data=enough_data,
        n_usable=n_usable,
        min_examples=min_examples,
        comparisons=comparisons,
        budget=budget,
        baseline=baseline,
    )
    return verdict_of(found, failures, reproducibility)


def verdict_of(
    found: Findings,
    failures: Sequence[FailureSummary] = (),
    reproducibility: Reproducibility | None = None,
) -> Verdict:
    """The verdict from the decision's findings and the failure analysis (question 3)."""
    found = with_evidence(found, failures, reproducibility)
    headline, reasons, answer = render(found, failures, reproducibility)
    return Verdict(
        kind=found.kind,
        headline=headline,
        question=found.question,
        reasons=reasons,
        answer=answer,
        best_rung=found.rung,
        gap=found.gap,
        examples_needed=found.examples_needed,
        findings=found,
    )


def with_second_model(
    verdict: Verdict,
    monthly_usd: float | None,
    failures: Sequence[FailureSummary] = (),
    reproducibility: Reproducibility | None = None,
) -> Verdict:
    """The verdict with the second model's price, when the forgetting budget was checked."""
    found = verdict.findings
    if found is None or found.forgetting is None or monthly_usd is None:
        return verdict
    budget = found.forgetting.model_copy(update={"second_model_usd": monthly_usd})
    return verdict_of(found.model_copy(update={"forgetting": budget}), failures, reproducibility)


def with_model(
    verdict: Verdict,
    model: ModelFinding,
    failures: Sequence[FailureSummary] = (),
    reproducibility: Reproducibility | None = None,
) -> Verdict:
    """The verdict naming the model it measured (and, for a built-in one, how to measure yours)."""
    found = verdict.findings
    if found is None:
        return verdict
    return verdict_of(found.model_copy(update={"measured_model": model}), failures, reproducibility)


def pattern_call(share: Interval) -> PatternCall:
    """Whether re-run failures recur: the interval of their share against REPRODUCIBLE_SHARE."""
    if share.low >= REPRODUCIBLE_SHARE:
        return "reproducible"
    if share.high < REPRODUCIBLE_SHARE:
        return "not_reproducible"
    return "unclear"


def best_of(results: Sequence[RungResult]) -> RungResult | None:
    if not results:
        return None
    # Ties go to the cheaper rung: the same score for less money and latency.
    return max(results, key=lambda r: (r.score.point, -cost_order(r.rung)))


# --- the decision ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Run:
    """What every branch reads: the results, their paired tests and the thresholds."""

    results: Sequence[RungResult]
    comparisons: Sequence[Paired]
    bar: float
    prompt_fraction: float
    budget: ForgettingBudget | None = None
    floor: BaselineFinding | None = None

    @property
    def within(self) -> float:
        return self.prompt_fraction * self.bar

    def ok(self, name: str) -> bool:
        """Whether the rung may be named: it beats the constant on the paired test.

        True when no baseline was measured, or this rung has no paired test against it.
        """
        pair = self.floor.pair(name) if self.floor is not None else None
        return pair is None or pair.beats

    def best_ok(self, results: Sequence[RungResult]) -> RungResult | None:
        return best_of([r for r in results if self.ok(r.rung)])

    def position(self, score: Interval, value: float) -> Position:
        return "above" if score.low >= value else "below" if score.high < value else "straddles"

    def scores(self) -> list[RungScore]:
        return [RungScore(rung=r.rung, n=r.n, score=r.score) for r in self.results]

    def rung(self, name: str) -> RungResult | None:
        return next((r for r in self.results if r.rung == name), None)

    def threshold(self, within: bool, position: Position) -> Threshold:
        return Threshold(
            held_to="prompt_fraction" if within else "bar",
            value=self.within if within else self.bar,
            bar=self.bar,
            prompt_fraction=self.prompt_fraction,
            position=position,
        )

    def paired(self, cheaper: str, rung: str) -> tuple[PairedFinding | None, Paired | None]:
        """The test of `rung` against `cheaper`, read in either order."""
        found = next((c for c in self.comparisons if {c.a, c.b} == {cheaper, rung}), None)
        if found is None:
            return None, None
        gain = found.diff if found.b == rung else -found.diff
        better = gain > 0 and found.p_value is not None and found.p_value < SIGNIFICANT
        finding = PairedFinding(
            a=cheaper,
            b=rung,
            method=found.method,
            n=found.n,
            p_value=found.p_value,
            gain=gain,
            better=better,
        )
        return finding, found


def decide_findings(
    results: Sequence[RungResult],
    *,
    bar: float,
    prompt_fraction: float,
    enough_data: bool,
    n_usable: int,
    min_examples: int,
    comparisons: Sequence[Paired] = (),
    budget: ForgettingBudget | None = None,
    baseline: Floor | None = None,
) -> Findings:
    """The decision on the measured rungs, before the failure analysis is added.

    With a forgetting budget, a fine-tune that clears the bar and beats the cheaper rungs but
    loses more general capability than the budget allows is no FINE_TUNE (lora_over_budget).
    With a baseline, a rung not shown better than the constant answer (paired) is never the
    rung a verdict recommends or names as the closest: the branch falls to the next rung
    that beats it, or to baseline_matches (INCONCLUSIVE). A prompt that falls short keeps
    its case (it recommends nothing); the words say it is no better than the constant.
    """
    floor = baseline_finding(baseline)
    run = _Run(results, comparisons, bar, prompt_fraction, budget, floor)
    prompts = [r for r in results if is_prompt(r.rung)]
    best, best_ok = best_of(prompts), run.best_ok(prompts)
    if not enough_data:
        found = Findings(
            case="not_enough_data",
            kind="NOT_ENOUGH_DATA",
            question="0. pre-check",
            rung=best_ok.rung if best_ok else None,
            best_prompt=best.rung if best else None,
            scores=run.scores(),
            n_usable=n_usable,
            min_examples=min_examples,
        )
    elif best is None:
        found = Findings(case="nothing_run", kind="INCONCLUSIVE", question="1. prompt")
    else:
        cleared = _prompt_clears(run, best_ok) if best_ok is not None else None
        found = cleared or _climbed(run, best, best_ok)
    curve = curve_finding(results, found, bar)
    return found.model_copy(update={"baseline": floor, "learning_curve": curve})


def curve_finding(
    results: Sequence[RungResult], found: Findings, bar: float
) -> CurveFinding | None:
    """The learning curve of the deciding rung, else of the best prompt rung, else none."""
    by_rung = {r.rung: r.settings.learning_curve for r in results}
    for rung in (found.rung, found.best_prompt, found.matched_rung):
        curve = by_rung.get(rung) if rung is not None else None
        if curve is not None and curve.points:
            break
    else:
        return None
    four = next((p for p in curve.projections if p.factor == 4.0), None)
    return CurveFinding(
        rung=curve.rung or str(rung),
        status=curve.status,
        reason=curve.reason,
        n_train=max(p.n_train for p in curve.points),
        bar=curve.bar if curve.bar is not None else bar,  # the bar its projection used
        n_4x=four.n_train if four else None,
        at_4x=four.score if four else None,
        plateau=curve.plateau,
        needed=curve.examples_needed,
    )


def _matched(run: _Run, matched: str, question: Question, **extra: Any) -> Findings:
    """The rung the framework would name is matched by the constant: say so, name no winner.

    `rung` is the best rung that does beat the constant (None when none does), held to the
    bar like the closest rung of nothing_reaches_bar.
    """
    closest = run.best_ok(run.results)
    held = closest or run.rung(matched)
    assert held is not None
    return Findings(
        case="baseline_matches",
        kind="INCONCLUSIVE",
        question=question,
        rung=closest.rung if closest is not None else None,
        matched_rung=matched,
        gap=closest.score.point - run.bar if closest is not None else None,
        threshold=run.threshold(False, run.position(held.score, run.bar)),
        scores=run.scores(),
        **extra,
    )


def _prompt_clears(run: _Run, best: RungResult) -> Findings | None:
    """Question 1: a prompt whose whole interval clears the bar, or the share within reach."""
    s = best.score
    if s.low < run.within:
        return None
    meets = s.low >= run.bar
    path = best.settings.prompt_file
    return Findings(
        case="prompt_meets_bar" if meets else "prompt_within_reach",
        kind="PROMPT",
        question="1. prompt",
        rung=best.rung,
        gap=s.point - run.bar,
        threshold=run.threshold(not meets, "above"),
        best_prompt=best.rung,
        scores=run.scores(),
        prompt_file=path or None,
    )


def _climbed(run: _Run, best: RungResult, best_ok: RungResult | None) -> Findings:
    """No prompt is enough: RAG (question 2), then the fine-tune (question 3), then say so.

    `best` is the best prompt rung (the one RAG and the fine-tune must beat), `best_ok` the
    best that beats the constant (the one a prompt verdict may name).
    """
    # A prompt that would have been enough but is no better than the constant.
    held: tuple[str, Question] | None = None
    if best.score.low >= run.within and not run.ok(best.rung):
        held = (best.rung, "1. prompt")
    rag = run.rung("rag")
    fell_short = False
    diagnosis = None
    ran = {r.rung for r in run.results}
    not_run = [rung for rung in ("rag", "lora") if rung not in ran]
    if rag is not None:
        decided = _rag_findings(run, rag, best)
        if decided is not None and run.ok("rag"):
            return decided
        if decided is not None and decided.kind == "RAG":
            held = held or ("rag", "2. knowledge")
        fell_short, diagnosis = True, rag_diagnosis(rag)
    lora = run.rung("lora")
    update: dict[str, Any] = {"rag_fell_short": fell_short, "rag": diagnosis}
    if lora is not None:
        found = _lora_findings(run, lora, [r for r in run.results if r.rung != "lora"])
        if held is not None and found.case == "nothing_reaches_bar":
            found = _matched(run, held[0], held[1], **_lora_common(found))
        elif found.rung == "lora" and not run.ok("lora"):
            found = _matched(run, "lora", "3. specific failure", **_lora_common(found))
        return found.model_copy(update={**update, "best_prompt": best.rung})
    if held is not None:
        return _matched(run, held[0], held[1], best_prompt=best.rung, not_run=not_run, **update)
    # Falling short (or straddling) recommends nothing: when every prompt is matched by the
    # constant the best one is still the one that fell short, and the words say it is no
    # better than the constant; the failure pattern and RAG diagnosis stay with it.
    best = best_ok or best
    s = best.score
    short = s.high < run.within
    more = None if short else examples_needed(s.point, run.within, best.n)
    return Findings(
        case="prompt_short" if short else "prompt_straddles",
        kind="INCONCLUSIVE",
        question="1. prompt",
        rung=best.rung,
        gap=s.point - run.within,
        threshold=run.threshold(True, "below" if short else "straddles"),
        examples_needed=more,
        best_prompt=best.rung,
        scores=run.scores(),
        rag=diagnosis,
        rag_fell_short=fell_short,
        not_run=not_run,
    )


# --- question 2: knowledge (the RAG rung) -------------------------------------------------------


def _rag_findings(run: _Run, rag: RungResult, best: RungResult) -> Findings | None:
    """RAG when its interval clears the threshold and it beats the best prompt rung (paired).

    None when RAG settles nothing the prompt branches would not say better (it falls short,
    or is uncertain while no better than the prompt).
    """
    r = rag.score
    paired, raw = run.paired(best.rung, "rag")
    beats = paired is not None and paired.better
    common: dict[str, Any] = {
        "question": "2. knowledge",
        "rung": "rag",
        "paired": paired,
        "best_prompt": best.rung,
        "scores": run.scores(),
        "rag": rag_diagnosis(rag),
    }
    if r.low >= run.within and beats:
        meets = r.low >= run.bar
        return Findings(
            case="rag_wins",
            kind="RAG",
            gap=r.point - run.bar,
            threshold=run.threshold(not meets, "above"),
            **common,
        )
    if r.low >= run.within:
        return Findings(
            case="rag_not_shown_better",
            kind="INCONCLUSIVE",
            gap=r.point - run.within,
            threshold=run.threshold(True, "above"),
            examples_needed=_paired_more(raw),
            **common,
        )
    if r.high >= run.within and r.point > best.score.point:
        return Findings(
            case="rag_straddles",
            kind="INCONCLUSIVE",
            gap=r.point - run.within,
            threshold=run.threshold(True, "straddles"),
            examples_needed=examples_needed(r.point, run.within, rag.n),
            **common,
        )
    return None


def rag_diagnosis(rag: RungResult) -> RagDiagnosis | None:
    """The RAG rung's retrieval record as numbers; None when it recorded none."""
    retrieval = rag.settings.retrieval
    if retrieval is None or "answer_in_context" not in retrieval.model_fields_set:
        return None
    return RagDiagnosis(
        answer_in_context=retrieval.answer_in_context,
        measure=retrieval.measure,
        support_threshold=retrieval.support_threshold,
        mean_content_recall=retrieval.mean_content_recall,
        retrieval_failures=retrieval.failures.get("retrieval", 0),
        reading_failures=retrieval.failures.get("reading", 0),
        recall_at_k=retrieval.recall_at_k,
        top_k=retrieval.top_k,
        n_told=retrieval.answer_in_context_n,
        n=retrieval.n,
    )


def _paired_more(paired: Paired | None) -> int | None:
    if paired is None or paired.a_only is None or paired.b_only is None:
        return None
    same = max(0, paired.n - paired.a_only - paired.b_only)
    a = [True] * paired.a_only + [False] * paired.b_only + [True] * same
    b = [False] * paired.a_only + [True] * paired.b_only + [True] * same
    return examples_needed_paired(a, b)


# --- question 3: a specific, reproducible failure (the LoRA rung) ---------------------------


def _paired_lists(c: Paired, lora_is_b: bool) -> tuple[list[bool], list[bool]]:
    """Pass/fail lists (cheaper, lora) rebuilt from a comparison's discordant counts."""
    a_only, b_only = c.a_only or 0, c.b_only or 0
    cheaper_only, lora_only = (a_only, b_only) if lora_is_b else (b_only, a_only)
    same = max(0, c.n - a_only - b_only)
    cheaper = [True] * cheaper_only + [False] * lora_only + [True] * same
    lora = [False] * cheaper_only + [True] * lora_only + [True] * same
    return cheaper, lora


def search_finding(cheaper: Sequence[RungResult]) -> SearchFinding | None:
    """What prompt search tried, when it ran."""
    searched = next((r for r in cheaper if r.rung == "prompt_search"), None)
    record = searched.settings.search if searched is not None else None
    if searched is None or record is None:
        return None
    return SearchFinding(
        tried=record.tried,
        calls=record.calls,
        val_size=record.val_size,
        score=searched.score,
        kept_baseline=record.kept_baseline,
    )


def _training_finding(lora: RungResult) -> TrainingFinding:
    forgetting, training = lora.settings.forgetting, lora.settings.training
    sweep = lora.settings.sweep
    swept = {}
    if sweep is not None:
        swept = {
            "setting": sweep.points[sweep.chosen].label,
            "n_settings": len(sweep.points),
            "rule": sweep.rule,
        }
    # Only lora.max_train's cut is a cut: a sweep's validation slice is not.
    cut = lora.settings.train_note is not None
    return TrainingFinding(
        n_train=lora.settings.train_examples if cut else None,
        n_pool=lora.settings.train_pool if cut else None,
        wall_s=(training.wall_s or None) if training is not None else None,
        forgetting=forgetting.summary if forgetting is not None else None,
        **swept,
    )


def _lora_findings(run: _Run, lora: RungResult, cheaper: Sequence[RungResult]) -> Findings:
    best = best_of(cheaper)
    score = lora.score
    paired, raw = run.paired(best.rung, "lora") if best is not None else (None, None)
    beats = paired is not None and paired.better
    common: dict[str, Any] = {
        "question": "3. specific failure",
        "paired": paired,
        "best_cheaper": best.rung if best is not None else None,
        "scores": run.scores(),
        "search": search_finding(cheaper),
        "training": _training_finding(lora),
    }
    forgetting = forgetting_finding(lora, run.budget)
    if forgetting is not None:
        common["forgetting"] = forgetting
    if score.low >= run.bar:
        more = None
        if not beats and raw is not None:
            more = examples_needed_paired(*_paired_lists(raw, raw.b == "lora"))
        over = beats and forgetting is not None and not forgetting.chosen.within
        case = "lora_over_budget" if over else "lora_wins" if beats else "lora_not_shown_better"
        return Findings(
            case=case,
            kind="FINE_TUNE" if beats and not over else "INCONCLUSIVE",
            rung="lora",
            gap=score.point - run.bar,
            threshold=run.threshold(False, "above"),
            examples_needed=more,
            **common,
        )
    if score.high < run.bar:
        overall = run.best_ok([*cheaper, lora])
        if overall is None:  # every rung is matched by the constant: none is the closest
            matched = best_of([*cheaper, lora])
            assert matched is not None
            kept = {k: v for k, v in common.items() if k not in ("question", "scores")}
            return _matched(run, matched.rung, "3. specific failure", **kept)
        return Findings(
            case="nothing_reaches_bar",
            kind="INCONCLUSIVE",
            rung=overall.rung,
            gap=overall.score.point - run.bar,
            threshold=run.threshold(False, "below"),
            **common,
        )
    return Findings(
        case="lora_straddles",
        kind="INCONCLUSIVE",
        rung="lora",
        gap=score.point - run.bar,
        threshold=run.threshold(False, "straddles"),
        examples_needed=examples_needed(score.point, run.bar, lora.n),
        **common,
    )


def _lora_common(found: Findings) -> dict[str, Any]:
    """What a lora branch's findings carry besides the case: kept when the constant matches."""
    keep = ("paired", "best_cheaper", "search", "training", "forgetting")
    return {k: getattr(found, k) for k in keep}


def forgetting_finding(
    lora: RungResult, budget: ForgettingBudget | None
) -> ForgettingFinding | None:
    """The budget against the reported setting (and the sweep's others); None: no budget."""
    if budget is None or not budget.active:
        return None
    forgetting, sweep = lora.settings.forgetting, lora.settings.sweep
    broken = broken_limits(forgetting, budget)
    name = sweep.points[sweep.chosen].label if sweep is not None else "as given"
    chosen = SettingFinding(
        label=name,
        score=lora.score,
        probe_drop=probe_drop(forgetting),
        kl=forgetting.kl_mean if forgetting is not None else None,
        within=not broken,
    )
    points = sweep.points if sweep is not None else []
    return ForgettingFinding(
        max_probe_drop=budget.max_probe_drop,
        max_kl=budget.max_kl,
        chosen=chosen,
        broken=broken,
        n_settings=max(1, len(points)),
        n_within=sum(1 for p in points if p.within_budget) if points else int(not broken),
    )


# --- the failure pattern (question 3's evidence) ------------------------------------------


def with_evidence(
    found: Findings, failures: Sequence[FailureSummary], reproducibility: Reproducibility | None
) -> Findings:
    """The findings with the prompt's failure pattern and the budget's cut-offs added."""
    return found.model_copy(
        update={
            "pattern": _pattern(failures, reproducibility),
            "budget": _budget(failures, reproducibility),
            "routes": routes_of(found),
        }
    )


def truncated(summary: FailureSummary) -> int:
    return sum(c.count for c in summary.categories if c.category == "truncated")


def _pattern(
    failures: Sequence[FailureSummary], found: Reproducibility | None
) -> PatternFinding | None:
    if found is None or not found.n_checked:
        return None
    summary = next((f for f in failures if f.rung == found.rung), None)
    # Answers cut off by our own budget are no pattern of the model's: never cited as one.
    kinds = [c for c in summary.categories if c.category != "truncated"] if summary else []
    top: dict[str, Any] = {}
    if summary is not None and kinds:
        top = {
            "top_category": kinds[0].category,
            "top_count": kinds[0].count,
            "n_counted": summary.n_failed - truncated(summary),
        }
        if summary.confusions:
            top["confused_expected"] = summary.confusions[0].expected
            top["confused_predicted"] = summary.confusions[0].predicted
    return PatternFinding(
        rung=found.rung,
        n_checked=found.n_checked,
        reproducible=found.reproducible,
        n_conditions=len(found.conditions),
        share=found.share,
        call=pattern_call(found.share),
        **top,
    )


def _budget(
    failures: Sequence[FailureSummary], found: Reproducibility | None
) -> BudgetFinding | None:
    """The analysed rung's answers cut off by the generation budget, if any."""
    rung = found.rung if found is not None else None
    summary = next((f for f in failures if f.rung == rung), None)
    if summary is None:  # no reproducibility run: the rung with the most truncated answers
        summary = max(failures, key=truncated, default=None)
    cut = truncated(summary) if summary is not None else 0
    if summary is None or not cut:
        return None
    return BudgetFinding(rung=summary.rung, truncated=cut, n_failed=summary.n_failed)


def _state(score: Interval, threshold: float, *, below: RouteState) -> RouteState:
    if score.high < threshold:
        return below
    return "reached" if score.low >= threshold else "open"


def routes_of(found: Findings) -> list[RouteFinding]:
    """Each route to the bar and where the measurements leave it (RouteFinding's states)."""
    t = found.threshold
    if t is None or not found.scores:
        return []
    within = t.bar * t.prompt_fraction
    scores = {s.rung: s.score for s in found.scores}
    routes: list[RouteFinding] = []
    prompt = found.best_prompt
    if prompt is not None and prompt in scores:
        state = _state(scores[prompt], within, below="ruled_out")
        routes.append(RouteFinding(route="prompt", rung=prompt, state=state, threshold=within))
    later: list[tuple[str, Literal["rag", "fine_tune"], float, RouteState]] = [
        ("rag", "rag", within, "ruled_out"),
        # A fine-tune short of the bar is not ruled out: more examples may still close it.
        ("lora", "fine_tune", t.bar, "short"),
    ]
    for rung, route, threshold, below in later:
        if rung in scores:
            state = _state(scores[rung], threshold, below=below)
        elif rung in found.not_run:
            state = "not_run"
        else:
            continue
        routes.append(RouteFinding(route=route, rung=rung, state=state, threshold=threshold))
    return routes

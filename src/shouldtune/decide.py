"""The framework as code: rung results in, a verdict with its reasons out.

Reads results only; never calls a model. Intervals, not point estimates, decide: a rung
"reaches" a threshold when its whole 95% interval is at or above it, "falls short" when
the whole interval is below, and anything in between is reported as uncertain.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import BaseModel, Field

from shouldtune.analysis.stats import examples_needed, examples_needed_paired
from shouldtune.records import RungResult
from shouldtune.rung_info import cost_order, info, is_prompt

if TYPE_CHECKING:
    from shouldtune.analysis.failures import FailureSummary
    from shouldtune.analysis.reproducibility import Reproducibility

VerdictKind = Literal["PROMPT", "RAG", "FINE_TUNE", "NOT_ENOUGH_DATA", "INCONCLUSIVE"]


class Paired(Protocol):
    """Rung b against rung a on the same examples (ladder.Comparison); diff is b minus a."""

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


def _best(results: Sequence[RungResult]) -> RungResult | None:
    if not results:
        return None
    # Ties go to the cheaper rung: the same score for less money and latency.
    return max(results, key=lambda r: (r.score.point, -cost_order(r.rung)))


def _pct(value: float) -> str:
    return f"{value:.0%}" if abs(value * 100 - round(value * 100)) < 0.05 else f"{value:.1%}"


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
) -> Verdict:
    verdict = _decide(
        results,
        bar=bar,
        prompt_fraction=prompt_fraction,
        enough_data=enough_data,
        n_usable=n_usable,
        min_examples=min_examples,
        comparisons=comparisons,
    )
    reasons, words = _pattern_evidence(failures, reproducibility)
    if not reasons:
        return verdict
    update: dict[str, object] = {"reasons": [*verdict.reasons, *reasons]}
    # Question 3 is about the pattern of failures: say it where the verdict turns on it.
    if words and verdict.kind in ("FINE_TUNE", "INCONCLUSIVE") and verdict.best_rung is not None:
        update["answer"] = f"{verdict.answer} {words}"
    return verdict.model_copy(update=update)


def _pattern_evidence(
    failures: Sequence[FailureSummary], found: Reproducibility | None
) -> tuple[list[str], str]:
    """Reasons and one sentence on the prompt's failure pattern and whether it recurs."""
    reasons = [f"failures: {f.describe()}" for f in failures if f.n_failed]
    budget = _budget_words(failures, found)
    if found is None or not found.n_checked:
        return reasons, budget
    reasons.append(f"reproducibility: {found.describe()}")
    summary = next((f for f in failures if f.rung == found.rung), None)
    pattern = ""
    # Answers cut off by our own budget are no pattern of the model's: never cited as one.
    kinds = [c for c in summary.categories if c.category != "truncated"] if summary else []
    if summary is not None and kinds:
        top = kinds[0]
        counted = summary.n_failed - _truncated(summary)
        pattern = f" Most are {top.category.replace('_', ' ')} ({top.count} of {counted})"
        if summary.confusions:
            c = summary.confusions[0]
            pattern += f", most often {c.expected!r} answered as {c.predicted!r}"
        pattern += "."
    if found.share.low >= 0.5:
        kind = "a reproducible pattern, the kind a fine-tune can learn away"
    elif found.share.high < 0.5:
        kind = "mostly not reproducible: better prompts or voting over samples are cheaper fixes"
    else:
        kind = "not clearly reproducible or not"
    words = (
        f"Of {found.rung}'s failures, {found.reproducible} of the {found.n_checked} re-run "
        f"recurred in most of {len(found.conditions)} re-runs (other seeds, reworded "
        f"instructions, other demonstrations): {_pct(found.share.point)} "
        f"[{_pct(found.share.low)}, {_pct(found.share.high)}], {kind}.{pattern}"
    )
    return reasons, f"{words} {budget}".strip()


def _budget_words(failures: Sequence[FailureSummary], found: Reproducibility | None) -> str:
    """One sentence when the analysed rung's answers were cut off by the generation budget."""
    rung = found.rung if found is not None else None
    summary = next((f for f in failures if f.rung == rung), None)
    if summary is None:  # no reproducibility run: the rung with the most truncated answers
        summary = max(failures, key=_truncated, default=None)
    cut = _truncated(summary) if summary is not None else 0
    if summary is None or not cut:
        return ""
    return (
        f"{cut} of {summary.rung}'s {summary.n_failed} failures were cut off by the generation "
        "budget (max_new_tokens): a setting of this run, not a pattern of the model, so they "
        "count for nothing here; raise max_new_tokens (or leave it unset) and run again."
    )


def _truncated(summary: FailureSummary) -> int:
    return sum(c.count for c in summary.categories if c.category == "truncated")


def _decide(
    results: Sequence[RungResult],
    *,
    bar: float,
    prompt_fraction: float,
    enough_data: bool,
    n_usable: int,
    min_examples: int,
    comparisons: Sequence[Paired] = (),
) -> Verdict:
    prompt_results = [r for r in results if is_prompt(r.rung)]
    best = _best(prompt_results)
    within = prompt_fraction * bar
    table = [f"{r.rung}: {r.score.fmt()} on {r.n} test examples" for r in results]

    if not enough_data:
        measured = (
            f" The best prompt rung, {best.rung}, scored {best.score.fmt()} on {best.n} test "
            "examples, but that interval is too thin a basis for a decision."
            if best
            else ""
        )
        return Verdict(
            kind="NOT_ENOUGH_DATA",
            headline=f"{n_usable} usable examples; at least {min_examples} are needed",
            question="0. pre-check",
            reasons=[
                f"{n_usable} usable, distinct examples < min_examples ({min_examples})",
                *table,
            ],
            answer=(
                f"There is no dataset to fine-tune on yet: {n_usable} usable, distinct examples, "
                f"fewer than the {min_examples} needed.{measured} Write down more examples of "
                "inputs with their expected outputs, then run again."
            ),
            best_rung=best.rung if best else None,
        )
    if best is None:
        return Verdict(
            kind="INCONCLUSIVE",
            headline="no rung was run",
            question="1. prompt",
            reasons=["no prompt rung in the results"],
            answer="Nothing was measured, so nothing can be said. Run the prompt rungs.",
        )

    s = best.score
    if s.low >= bar:
        return Verdict(
            kind="PROMPT",
            headline=f"{best.rung} meets the bar: {s.fmt()} >= {_pct(bar)}",
            question="1. prompt",
            reasons=[
                f"{best.rung}'s whole 95% interval is at or above the bar {_pct(bar)}",
                *table,
            ],
            answer=(
                f"Use a prompt. {_rung_words(best.rung)} scores {s.fmt()} on {best.n} held-out "
                f"examples, and even the low end of that interval clears your bar of "
                f"{_pct(bar)}. Fine-tuning would add cost and a second model to maintain for "
                "no measured gain." + _prompt_file_words(best)
            ),
            best_rung=best.rung,
            gap=s.point - bar,
        )
    if s.low >= within:
        return Verdict(
            kind="PROMPT",
            headline=(
                f"{best.rung} is within reach of the bar: {s.fmt()} >= "
                f"{_pct(prompt_fraction)} of {_pct(bar)}"
            ),
            question="1. prompt",
            reasons=[
                f"{best.rung}'s whole 95% interval is at or above {_pct(within)} "
                f"({_pct(prompt_fraction)} of the bar {_pct(bar)})",
                f"it is not yet shown to reach the bar itself (low end {_pct(s.low)})",
                *table,
            ],
            answer=(
                f"Iterate on the prompt. {_rung_words(best.rung)} scores {s.fmt()} on {best.n} "
                f"held-out examples: at least {_pct(prompt_fraction)} of your bar of "
                f"{_pct(bar)}, but not yet the bar itself. Improving the instructions and the "
                "examples is nearly free; look at the failures before paying for fine-tuning."
                + _prompt_file_words(best)
            ),
            best_rung=best.rung,
            gap=s.point - bar,
        )
    rag = next((r for r in results if r.rung == "rag"), None)
    rag_reasons: list[str] = []
    if rag is not None:
        decided = _rag_verdict(
            rag, best, comparisons, bar=bar, prompt_fraction=prompt_fraction, table=table
        )
        if decided is not None:
            return decided
        rag_reasons = _rag_shortfall(rag, within)
    lora = next((r for r in results if r.rung == "lora"), None)
    if lora is not None:
        cheaper = [r for r in results if r.rung != "lora"]
        return _lora_verdict(lora, cheaper, comparisons, bar=bar, table=table, extra=rag_reasons)
    if s.high < within:
        gap = within - s.point
        return Verdict(
            kind="INCONCLUSIVE",
            headline=f"prompt rungs fall short by {_pct(gap)}: best {best.rung} {s.fmt()}",
            question="1. prompt",
            reasons=[
                f"the best prompt rung ({best.rung}) has its whole 95% interval below "
                f"{_pct(within)} ({_pct(prompt_fraction)} of the bar {_pct(bar)})",
                *rag_reasons,
                *table,
            ],
            answer=(
                f"Prompting alone is not enough: the best prompt rung, {best.rung}, scores "
                f"{s.fmt()} on {best.n} held-out examples, {_pct(gap)} short of "
                f"{_pct(within)} ({_pct(prompt_fraction)} of your bar)."
                + _not_measured(results, rag_reasons)
            ),
            best_rung=best.rung,
            gap=s.point - within,
        )
    more = examples_needed(s.point, within, best.n)
    more_text = _more_text(more, best.n)
    return Verdict(
        kind="INCONCLUSIVE",
        headline=(
            f"{best.rung} {s.fmt()} straddles {_pct(within)} ({_pct(prompt_fraction)} of the bar)"
        ),
        question="1. prompt",
        reasons=[
            f"{best.rung}'s 95% interval contains {_pct(within)}: the data cannot tell "
            "whether a prompt is within reach",
            *rag_reasons,
            *table,
        ],
        answer=(
            f"Not settled. {_rung_words(best.rung)} scores {s.fmt()} on {best.n} held-out "
            f"examples, and that interval contains {_pct(within)}, the share of your bar that "
            f"would make prompt iteration the answer.{more_text}"
        ),
        best_rung=best.rung,
        gap=s.point - within,
        examples_needed=more,
    )


def _prompt_file_words(rung: RungResult) -> str:
    path = rung.settings.get("prompt_file")
    return f" The exact prompt is in {path} (and prompt.json beside it)." if path else ""


def _more_text(more: int | None, n: int) -> str:
    """How many more test examples would settle it, when that is a practical answer."""
    if more is not None and more <= max(1000, 20 * n):
        return f" About {more} more test examples would settle it if the score holds."
    return (
        " The score sits almost exactly on the threshold, so more test examples alone will "
        "not settle it: improve the candidate (more training examples, a better prompt) or "
        "decide whether a score this close to the bar is good enough."
    )


def _rung_words(rung: str) -> str:
    return info(rung).words


# --- question 2: knowledge (the RAG rung) -------------------------------------------------------

_SIGNIFICANT = 0.05


def _rag_verdict(
    rag: RungResult,
    best: RungResult,
    comparisons: Sequence[Paired],
    *,
    bar: float,
    prompt_fraction: float,
    table: list[str],
) -> Verdict | None:
    """RAG when its interval clears the threshold and it beats the best prompt rung (paired).

    None when RAG settles nothing the prompt branches would not say better (it falls short,
    or is uncertain while no better than the prompt).
    """
    within = prompt_fraction * bar
    r = rag.score
    paired = next((c for c in comparisons if {c.a, c.b} == {best.rung, "rag"}), None)
    gain = (paired.diff if paired.b == "rag" else -paired.diff) if paired is not None else 0.0
    p_value = paired.p_value if paired is not None else None
    beats = paired is not None and gain > 0 and p_value is not None and p_value < _SIGNIFICANT
    test_text = (
        f"{paired.method} p={p_value:.3g}, {gain:+.0%} on the same {paired.n} test examples"
        if paired is not None and p_value is not None
        else "no paired comparison"
    )
    diagnosis = _rag_diagnosis(rag, failing=not (r.low >= within and beats))
    if r.low >= within and beats:
        meets = r.low >= bar
        threshold = (
            f"the bar {_pct(bar)}"
            if meets
            else f"{_pct(within)} ({_pct(prompt_fraction)} of the bar {_pct(bar)})"
        )
        answer = (
            f"Use retrieval (RAG). The model does not know your data: with passages retrieved "
            f"from your documents it scores {r.fmt()} on {rag.n} held-out examples, against "
            f"{best.score.fmt()} for the best prompt ({best.rung}), a difference the paired "
            f"test confirms ({test_text})."
        )
        if meets:
            answer += (
                f" Even the low end of the interval clears your bar of {_pct(bar)}. "
                "No training was needed to get there, and facts trained into a model would "
                "have to be trained again whenever the documents change."
            )
        else:
            answer += (
                f" It is at least {_pct(prompt_fraction)} of your bar of {_pct(bar)}, not yet "
                "the bar itself: iterate on retrieval (chunking, top_k, the embedder) and the "
                "prompt, which is nearly free, before paying for fine-tuning."
            )
        return Verdict(
            kind="RAG",
            headline=(
                f"rag {'meets the bar' if meets else 'is within reach of the bar'}: {r.fmt()}, "
                f"beating {best.rung} {best.score.fmt()} ({test_text})"
            ),
            question="2. knowledge",
            reasons=[
                f"rag's whole 95% interval is at or above {threshold}",
                f"rag beats the best prompt rung, {best.rung}: {test_text}",
                *([diagnosis] if diagnosis else []),
                *table,
            ],
            answer=answer,
            best_rung="rag",
            gap=r.point - bar,
        )
    if r.low >= within:
        more = _paired_more(paired)
        more_text = (
            f" About {more} more test examples would settle it if the shares hold."
            if more
            else " More test examples would tell whether retrieval really beats the prompt."
        )
        return Verdict(
            kind="INCONCLUSIVE",
            headline=(
                f"rag {r.fmt()} clears {_pct(within)} but is not shown better than {best.rung}"
            ),
            question="2. knowledge",
            reasons=[
                f"rag's whole 95% interval is at or above {_pct(within)} "
                f"({_pct(prompt_fraction)} of the bar)",
                f"rag is not shown better than {best.rung} ({test_text}; significance needs "
                f"p < {_SIGNIFICANT})",
                *table,
            ],
            answer=(
                f"Not settled. Retrieval scores {r.fmt()} on {rag.n} held-out examples, but the "
                f"paired test does not show it beats the best prompt ({best.rung}, "
                f"{best.score.fmt()}): {test_text}.{more_text}"
            ),
            best_rung="rag",
            gap=r.point - within,
            examples_needed=more,
        )
    if r.high >= within and r.point > best.score.point:
        more = examples_needed(r.point, within, rag.n)
        more_text = _more_text(more, rag.n)
        return Verdict(
            kind="INCONCLUSIVE",
            headline=f"rag {r.fmt()} straddles {_pct(within)} ({_pct(prompt_fraction)} of the bar)",
            question="2. knowledge",
            reasons=[
                f"rag's 95% interval contains {_pct(within)}: the data cannot tell whether "
                "retrieval is enough",
                f"rag against {best.rung}: {test_text}",
                *([diagnosis] if diagnosis else []),
                *table,
            ],
            answer=(
                f"Not settled. Retrieval scores {r.fmt()} on {rag.n} held-out examples, ahead "
                f"of the best prompt ({best.rung}, {best.score.fmt()}), but its interval "
                f"contains {_pct(within)}, the share of your bar that would make RAG the "
                f"answer.{more_text}"
            ),
            best_rung="rag",
            gap=r.point - within,
            examples_needed=more,
        )
    return None


def _rag_shortfall(rag: RungResult, within: float) -> list[str]:
    """Why RAG did not decide it: its score, and retrieval or reading as the cause."""
    lines = [f"rag scores {rag.score.fmt()}, its interval not clear of {_pct(within)}"]
    diagnosis = _rag_diagnosis(rag)
    if diagnosis:
        lines.append(diagnosis)
    return lines


def _rag_diagnosis(rag: RungResult, *, failing: bool = True) -> str | None:
    """Retrieval failure (the answer was not in the passages) or reading failure (it was).

    For a RAG rung that passes, a plain account of where its remaining errors come from.
    Long answers are measured graded (rag.diagnostics): the words say so, and when nothing
    could be measured they say it cannot be told rather than quote a false 0%.
    """
    retrieval = rag.settings.get("retrieval")
    if not isinstance(retrieval, dict) or "answer_in_context" not in retrieval:
        return None
    if retrieval["answer_in_context"] is None:
        return (
            "retrieval or reading failure: cannot tell, the expected answers could not be "
            "looked for in the passages (set rag.gold_field to name each answer's source)"
        )
    share = float(retrieval["answer_in_context"])
    held = _held_words(retrieval)
    failures = retrieval.get("failures") or {}
    missed, misread = int(failures.get("retrieval", 0)), int(failures.get("reading", 0))
    recall = retrieval.get("recall_at_k")
    recall_text = (
        f"; recall@{retrieval.get('top_k')} of the gold source {recall:.0%}"
        if isinstance(recall, (int, float))
        else ""
    )
    told = retrieval.get("answer_in_context_n")
    n = retrieval.get("n")
    of = (
        f"the {told} test examples where it could be told"
        if isinstance(told, int) and isinstance(n, int) and told < n
        else "the test examples"
    )
    wrong = missed + misread
    if not failing and wrong:
        return (
            f"{held} for {_pct(share)} of {of}{recall_text}; of the {wrong} wrong answers, "
            f"{missed} lacked it (retrieval) and {misread} had it (reading)"
        )
    if wrong == 0:
        return f"{held} for {_pct(share)} of {of}{recall_text}"
    if missed >= misread:
        return (
            f"mostly a retrieval failure: {held} for only {_pct(share)} of {of}, and "
            f"{missed} of the {wrong} wrong answers never had it in context{recall_text}. "
            "Check that the documents hold these answers, then try a larger top_k, other "
            "chunk sizes or another embedder"
        )
    return (
        f"mostly a reading failure: {held} for {_pct(share)} of {of}, and {misread} of the "
        f"{wrong} wrong answers had it in context and still missed it{recall_text}. The model "
        "does not use what it is given: a stronger model, or fine-tuning it to answer from "
        "context, is what to measure next"
    )


def _held_words(retrieval: dict[str, object]) -> str:
    """How 'the answer was in the passages' was measured, in words."""
    measure = retrieval.get("measure")
    threshold = retrieval.get("support_threshold")
    mean = retrieval.get("mean_content_recall")
    mean_text = f", {_pct(float(mean))} on average" if isinstance(mean, (int, float)) else ""
    if measure == "gold":
        held = f" (content words of the answer held{mean_text[1:]})" if mean_text else ""
        return f"the retrieved passages included the gold source{held}"
    if measure == "content_recall" and isinstance(threshold, (int, float)):
        return (
            f"the retrieved passages held at least {_pct(threshold)} of the expected answer's "
            f"content words (stopwords aside{mean_text})"
        )
    return "the expected answer was in the retrieved passages"


def _not_measured(results: Sequence[RungResult], rag_reasons: list[str]) -> str:
    ran = {r.rung for r in results}
    parts = []
    if rag_reasons:
        parts.append(
            " Retrieval was measured and does not close it: " + "; ".join(rag_reasons) + "."
        )
    missing = [
        words for rung, words in (("rag", "retrieval"), ("lora", "fine-tuning")) if rung not in ran
    ]
    if len(missing) == 2:
        parts.append(" The RAG and fine-tune rungs were not run.")
    if missing:
        parts.append(
            f" Whether {' or '.join(missing)} closes the gap has not been measured yet, so no "
            "verdict is given."
        )
    return "".join(parts)


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


def _search_words(cheaper: Sequence[RungResult]) -> str:
    """What was done to make the prompt good before a fine-tune is weighed against it."""
    searched = next((r for r in cheaper if r.rung == "prompt_search"), None)
    record = searched.settings.get("search") if searched is not None else None
    if searched is None or not isinstance(record, dict):
        return (
            "prompt search was not run: the prompt side is the prompt as given, which a "
            "search might improve"
        )
    return (
        f"before fine-tuning was weighed, prompt search tried {record['tried']} prompts within "
        f"{record['calls']} calls on {record['val_size']} validation examples from train; its "
        f"winner scored {searched.score.fmt()} on the test split"
    )


def _lora_verdict(
    lora: RungResult,
    cheaper: Sequence[RungResult],
    comparisons: Sequence[Paired],
    *,
    bar: float,
    table: list[str],
    extra: list[str],
) -> Verdict:
    best = _best(list(cheaper))
    score = lora.score
    forgetting = lora.settings.get("forgetting") or {}
    training = lora.settings.get("training") or {}
    cost_words = ""
    if training.get("wall_s"):
        cost_words = f" Training took {training['wall_s'] / 60:.1f} minutes here."
    forget_words = f" General capability: {forgetting['summary']}." if forgetting else ""
    paired = None
    if best is not None:
        paired = next((c for c in comparisons if {c.a, c.b} == {best.rung, "lora"}), None)
    gain = 0.0
    p_value = None
    if paired is not None:
        gain = paired.diff if paired.b == "lora" else -paired.diff
        p_value = paired.p_value
    beats = paired is not None and gain > 0 and p_value is not None and p_value < _SIGNIFICANT
    versus = (
        f"{gain:+.0%} over {best.rung} ({paired.method} p={p_value:.3g}, n={paired.n})"
        if best is not None and paired is not None and p_value is not None
        else "no paired comparison with a cheaper rung"
    )
    searched = _search_words(cheaper)
    reasons = [f"lora: {score.fmt()}; {versus}", *extra, searched, *table]
    if forgetting:
        reasons.append(f"forgetting: {forgetting['summary']}")
    if score.low >= bar and beats:
        assert best is not None
        return Verdict(
            kind="FINE_TUNE",
            headline=f"lora meets the bar: {score.fmt()} >= {_pct(bar)}, {versus}",
            question="3. specific failure",
            reasons=[f"lora's whole 95% interval is at or above the bar {_pct(bar)}", *reasons],
            answer=(
                f"Fine-tune. Prompting falls short (best: {best.rung}, {best.score.fmt()}), and a "
                f"LoRA adapter trained on your examples scores {score.fmt()} on the same "
                f"{lora.n} held-out examples, clearing your bar of {_pct(bar)}; the paired test "
                f"says the gain is real ({versus}). {searched[0].upper()}{searched[1:]}."
                f"{cost_words}{forget_words}"
            ),
            best_rung="lora",
            gap=score.point - bar,
        )
    if score.low >= bar:
        more = None
        if paired is not None:
            a, b = _paired_lists(paired, paired.b == "lora")
            more = examples_needed_paired(a, b)
        closest = f"{best.rung} ({best.score.fmt()})" if best is not None else "a cheaper rung"
        return Verdict(
            kind="INCONCLUSIVE",
            headline=f"lora clears the bar ({score.fmt()}) but is not shown better than {closest}",
            question="3. specific failure",
            reasons=reasons,
            answer=(
                f"Not settled. The fine-tuned model clears your bar ({score.fmt()}), but on these "
                f"{lora.n} test examples it cannot be told apart from {closest} ({versus})."
                + (f" About {more} more test examples would separate them." if more else "")
            ),
            best_rung="lora",
            gap=score.point - bar,
            examples_needed=more,
        )
    overall = _best([*cheaper, lora])
    assert overall is not None
    if score.high < bar:
        gap = bar - overall.score.point
        helps = " Fine-tuning helps, but not enough." if beats else ""
        return Verdict(
            kind="INCONCLUSIVE",
            headline=(
                f"no rung reaches the bar {_pct(bar)}: closest {overall.rung} "
                f"{overall.score.fmt()}, {_pct(gap)} short"
            ),
            question="3. specific failure",
            reasons=[f"every rung's whole 95% interval is below the bar {_pct(bar)}", *reasons],
            answer=(
                f"Nothing measured here reaches your bar of {_pct(bar)}. The closest is "
                f"{_rung_words(overall.rung)} at {overall.score.fmt()}, {_pct(gap)} short.{helps} "
                "Next steps worth trying: more (and more varied) training examples, a larger "
                "student model, or more epochs; check the failures for label noise first."
                f"{forget_words}"
            ),
            best_rung=overall.rung,
            gap=overall.score.point - bar,
        )
    more = examples_needed(score.point, bar, lora.n)
    return Verdict(
        kind="INCONCLUSIVE",
        headline=f"lora {score.fmt()} straddles the bar {_pct(bar)}",
        question="3. specific failure",
        reasons=[f"lora's 95% interval contains the bar {_pct(bar)}", *reasons],
        answer=(
            f"Not settled. The fine-tuned model scores {score.fmt()} on {lora.n} held-out "
            f"examples, an interval that contains your bar of {_pct(bar)} ({versus})."
            + _more_text(more, lora.n)
            + forget_words
        ),
        best_rung="lora",
        gap=score.point - bar,
        examples_needed=more,
    )

"""The verdict in words: headline, reasons and answer, written from the decision's findings.

Nothing here decides: every branch reads `Findings.case` and the numbers decide.py found.
The sentences are quoted by the reports and the docs; change them here only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from shouldtune.findings import (
    SIGNIFICANT,
    BaselineFinding,
    CurveFinding,
    Findings,
    ForgettingFinding,
    PatternFinding,
    RagDiagnosis,
    RungScore,
)
from shouldtune.records import Interval
from shouldtune.rung_info import info

if TYPE_CHECKING:
    from shouldtune.analysis.failures import FailureSummary
    from shouldtune.analysis.reproducibility import Reproducibility

Words = tuple[str, list[str], str]  # headline, reasons, answer


def pct(value: float) -> str:
    return f"{value:.0%}" if abs(value * 100 - round(value * 100)) < 0.05 else f"{value:.1%}"


def pts(diff: float) -> str:
    """A difference of two shares, in percentage points with its sign: never a percentage."""
    return f"{diff * 100:+.1f} pts"


def gap_pts(gap: float) -> str:
    """How far short a score falls, in percentage points."""
    return f"{gap * 100:.1f} pts"


def render(
    found: Findings,
    failures: Sequence[FailureSummary] = (),
    reproducibility: Reproducibility | None = None,
) -> Words:
    """The verdict's headline, reasons and answer, with the failure evidence appended."""
    headline, reasons, answer = _with_floor(found, *_CASES[found.case](found))
    evidence = [f"failures: {f.describe()}" for f in failures if f.n_failed]
    if reproducibility is not None and reproducibility.n_checked:
        evidence.append(f"reproducibility: {reproducibility.describe()}")
    ruled, still = _routes(found)
    if ruled or still:
        # An unsettled verdict still says what the data did settle, and what it did not.
        answer = f"{answer}{_routes_sentence(ruled, still)}"
        reasons = [
            *reasons,
            *([f"ruled out: {'; '.join(ruled)}"] if ruled else []),
            *([f"still open: {'; '.join(still)}"] if still else []),
        ]
    curve = found.learning_curve
    if curve is not None and found.kind in ("NOT_ENOUGH_DATA", "INCONCLUSIVE"):
        # The user's next question: would labelling more examples settle it?
        said = curve_words(curve)
        answer = f"{answer} {said}"
        reasons = [*reasons, f"learning curve: {said}"]
    if evidence:
        words = _pattern_words(found)
        # Question 3 is about the pattern of failures: say it where the verdict turns on it.
        named = found.rung or found.matched_rung
        if words and found.kind in ("FINE_TUNE", "INCONCLUSIVE") and named is not None:
            answer = f"{answer} {words}"
    first, last = _model_words(found)
    return headline, [*reasons, *evidence], f"{first}{answer}{last}"


def curve_words(curve: CurveFinding) -> str:
    """What more train examples are projected to do for the curve's rung, in one sentence."""
    rung, now = curve.rung, curve.n_train
    if curve.status != "projected":
        return f"{rung}'s learning curve projects nothing: {curve.reason}."
    needed, four, plateau = curve.needed, curve.at_4x, curve.plateau
    at_4x = f"{four.fmt()} at {curve.n_4x} examples" if four is not None else "nothing"
    if needed is None:
        return f"{rung}'s learning curve projects {at_4x} (now {now})."
    if needed.n is not None:
        return (
            f"About {needed.n} train examples would put {rung}'s interval above your bar "
            f"{pct(curve.bar)} (its fitted curve crosses it at about {needed.crossing}, range "
            f"{needed.low}-{needed.high}; now {now})."
        )
    if needed.low is None:
        # The plateau is poorly pinned by a few points: quoted only when even its interval
        # is below the bar.
        below = plateau is not None and plateau.high < curve.bar
        flat = f"the curve flattens at {plateau.fmt()}; " if plateau and below else ""
        return (
            f"More examples are unlikely to bring {rung} to your bar {pct(curve.bar)}: "
            f"{flat}it projects {at_4x} (now {now})."
        )
    crossing = (
        f"its fitted curve crosses your bar {pct(curve.bar)} at about {needed.crossing} "
        f"examples (range {needed.low} to beyond {curve.n_4x})"
        if needed.crossing is not None
        else f"its fitted curve stays below your bar {pct(curve.bar)} within 4x the data"
    )
    return (
        f"Within 4x the data {rung}'s projected interval does not clear the bar: {crossing}; "
        f"it projects {at_4x} (now {now})."
    )


_ROUTE_NAMES = {"prompt": "prompting", "rag": "retrieval (RAG)", "fine_tune": "fine-tuning"}


def _routes(found: Findings) -> tuple[list[str], list[str]]:
    """An INCONCLUSIVE verdict's routes in words: (ruled out, still open)."""
    if found.kind != "INCONCLUSIVE" or not found.routes:
        return [], []
    scores = {s.rung: s.score for s in found.scores}
    cheaper = [r for r in found.routes if r.route != "fine_tune"]
    only = bool(cheaper) and all(r.state == "ruled_out" for r in cheaper)
    p = found.paired
    ruled: list[str] = []
    still: list[str] = []
    for r in found.routes:
        name, at = _ROUTE_NAMES[r.route], pct(r.threshold)
        s = scores.get(r.rung or "")
        if r.state == "not_run" or s is None:
            still.append(f"{name} (not measured)")
            continue
        if r.state == "ruled_out":
            ruled.append(f"{name} ({r.rung}'s whole interval {s.fmt()} is below {at})")
            continue
        gain = ""
        if r.route == "fine_tune" and p is not None and p.b == r.rung and p.p_value is not None:
            gain = f", {pts(p.gain)} over {p.a}"
        if r.state == "short":
            detail = f"{r.rung} {s.fmt()}, {gap_pts(r.threshold - s.point)} below the bar{gain}"
        elif r.state == "open":
            detail = f"{r.rung} {s.fmt()}, its interval containing {at}{gain}"
        else:
            detail = f"{r.rung} {s.fmt()} clears {at}, not shown better than a cheaper route{gain}"
        if only and r.route == "fine_tune":
            # "Near your bar" only when its interval reaches the bar; a shortfall is stated.
            near = " near your bar" if r.state != "short" else ""
            name = f"{name}, the only route left{near}"
        still.append(f"{name} ({detail})")
    return ruled, still


def _routes_sentence(ruled: list[str], still: list[str]) -> str:
    parts = [f" Ruled out: {'; '.join(ruled)}." if ruled else " Nothing is ruled out yet."]
    if still:
        parts.append(f" Still open: {'; '.join(still)}.")
    return "".join(parts)


# How to point a run at the user's own model: the reference forms models.registry reads.
YOUR_MODEL = (
    " To decide for your own model, run again with --model naming it: a served model "
    "(openai:NAME, ollama:NAME, or http://HOST:PORT/v1:NAME for vLLM, a llama.cpp server or "
    "LM Studio), a Hugging Face Hub name (org/name), a .gguf file or a model folder."
)


def _model_words(found: Findings) -> tuple[str, str]:
    """The answer's first sentence names the model measured; a built-in demo model's answer
    ends on how to measure the user's own."""
    model = found.measured_model
    if model is None:
        return "", ""
    if model.builtin:
        return (
            f"Measured on {model.name}, shouldtune's built-in demo model (what runs when no "
            "--model is given), not your own model. ",
            YOUR_MODEL,
        )
    return f"Measured on {model.name} ({model.backend}). ", ""


class _View:
    """The findings with the look-ups every sentence needs."""

    def __init__(self, found: Findings) -> None:
        self.f = found
        threshold = found.threshold
        self.bar = threshold.bar if threshold else 0.0
        self.fraction = threshold.prompt_fraction if threshold else 0.0
        self.within = self.fraction * self.bar
        self.table = [f"{s.rung}: {s.score.fmt()} on {s.n} test examples" for s in found.scores]

    def score(self, rung: str | None) -> RungScore:
        return next(s for s in self.f.scores if s.rung == rung)

    def test_text(self) -> str:
        p = self.f.paired
        if p is None or p.p_value is None:
            return "no paired comparison"
        return f"{p.method} p={p.p_value:.3g}, {pts(p.gain)} on the same {p.n} test examples"

    def gain_text(self) -> str:
        """The paired difference alone, for a headline: the p-value stays in the reasons."""
        p = self.f.paired
        if p is None or p.p_value is None:
            return "no paired comparison"
        return f"{pts(p.gain)} on the same {p.n} test examples"

    def of_bar(self) -> str:
        return f"{pct(self.within)} ({pct(self.fraction)} of the bar {pct(self.bar)})"


def _words(rung: str) -> str:
    return info(rung).words


def _mid(words: str) -> str:
    """A rung's words in mid-sentence: 'The prompt ...' becomes 'the prompt ...'."""
    return words[:1].lower() + words[1:]


def _more_text(more: int | None, n: int) -> str:
    """How many more test examples would settle it, when that is a practical answer."""
    if more is not None and more <= max(1000, 20 * n):
        return f" About {more} more test examples would settle it if the score holds."
    return (
        " The score sits almost exactly on the threshold, so more test examples alone will "
        "not settle it: improve the candidate (more training examples, a better prompt) or "
        "decide whether a score this close to the bar is good enough."
    )


def _prompt_file_words(found: Findings) -> str:
    path = found.prompt_file
    return f" The exact prompt is in {path} (and prompt.json beside it)." if path else ""


# --- question 0 and 1: the data and the prompt ------------------------------------------------


def _not_enough_data(found: Findings) -> Words:
    v = _View(found)
    n_usable, min_examples = found.n_usable, found.min_examples
    measured = ""
    if found.best_prompt is not None:
        best = v.score(found.best_prompt)
        measured = (
            f" The best prompt rung, {best.rung}, scored {best.score.fmt()} on {best.n} test "
            "examples, but that interval is too thin a basis for a decision."
        )
    return (
        f"{n_usable} usable examples; at least {min_examples} are needed",
        [f"{n_usable} usable, distinct examples < min_examples ({min_examples})", *v.table],
        (
            f"There is no dataset to fine-tune on yet: {n_usable} usable, distinct examples, "
            f"fewer than the {min_examples} needed.{measured} Write down more examples of "
            "inputs with their expected outputs, then run again."
        ),
    )


def _nothing_run(found: Findings) -> Words:
    return (
        "no rung was run",
        ["no prompt rung in the results"],
        "Nothing was measured, so nothing can be said. Run the prompt rungs.",
    )


def _prompt_meets_bar(found: Findings) -> Words:
    v = _View(found)
    best = v.score(found.rung)
    s, bar = best.score, pct(v.bar)
    return (
        f"{best.rung} meets the bar: {s.fmt()} >= {bar}",
        [f"{best.rung}'s whole 95% interval is at or above the bar {bar}", *v.table],
        (
            f"Use a prompt. {_words(best.rung)} scores {s.fmt()} on {best.n} held-out "
            f"examples, and even the low end of that interval clears your bar of "
            f"{bar}. Fine-tuning would add cost and a second model to maintain for "
            "no measured gain." + _prompt_file_words(found)
        ),
    )


def _prompt_within_reach(found: Findings) -> Words:
    v = _View(found)
    best = v.score(found.rung)
    s = best.score
    # "Within reach" is for a score below the bar; one at or above it is not yet shown to be.
    reach = (
        f"{best.rung} is within reach of the bar: {s.fmt()} >= {pct(v.fraction)} of {pct(v.bar)}"
        if s.point < v.bar
        else f"{best.rung} {s.fmt()} is at the bar but not shown to reach it "
        f"(low end {pct(s.low)} < {pct(v.bar)})"
    )
    return (
        reach,
        [
            f"{best.rung}'s whole 95% interval is at or above {v.of_bar()}",
            f"it is not yet shown to reach the bar itself (low end {pct(s.low)})",
            *v.table,
        ],
        (
            f"Iterate on the prompt. {_words(best.rung)} scores {s.fmt()} on {best.n} "
            f"held-out examples: at least {pct(v.fraction)} of your bar of "
            f"{pct(v.bar)}, but not yet the bar itself. Improving the instructions and the "
            "examples is nearly free; look at the failures before paying for fine-tuning."
            + _prompt_file_words(found)
        ),
    )


def _prompt_short(found: Findings) -> Words:
    v = _View(found)
    best = v.score(found.rung)
    s = best.score
    gap = v.within - s.point
    rag_lines = _rag_shortfall(v)
    return (
        f"prompt rungs fall short by {gap_pts(gap)}: best {best.rung} {s.fmt()}",
        [
            f"the best prompt rung ({best.rung}) has its whole 95% interval below {v.of_bar()}",
            *rag_lines,
            *v.table,
        ],
        (
            f"Prompting alone is not enough: the best prompt rung, {best.rung}, scores "
            f"{s.fmt()} on {best.n} held-out examples, {gap_pts(gap)} short of "
            f"{pct(v.within)} ({pct(v.fraction)} of your bar)." + _not_measured(found, rag_lines)
        ),
    )


def _prompt_straddles(found: Findings) -> Words:
    v = _View(found)
    best = v.score(found.rung)
    s = best.score
    return (
        f"{best.rung} {s.fmt()} straddles {pct(v.within)} ({pct(v.fraction)} of the bar)",
        [
            f"{best.rung}'s 95% interval contains {pct(v.within)}: the data cannot tell "
            "whether a prompt is within reach",
            *_rag_shortfall(v),
            *v.table,
        ],
        (
            f"Not settled. {_words(best.rung)} scores {s.fmt()} on {best.n} held-out "
            f"examples, and that interval contains {pct(v.within)}, the share of your bar that "
            f"would make prompt iteration the answer.{_more_text(found.examples_needed, best.n)}"
        ),
    )


def _not_measured(found: Findings, rag_lines: list[str]) -> str:
    parts = []
    if rag_lines:
        parts.append(" Retrieval was measured and does not close it: " + "; ".join(rag_lines) + ".")
    missing = [
        words
        for rung, words in (("rag", "retrieval"), ("lora", "fine-tuning"))
        if rung in found.not_run
    ]
    if len(missing) == 2:
        parts.append(" The RAG and fine-tune rungs were not run.")
    if missing:
        parts.append(
            f" Whether {' or '.join(missing)} closes the gap has not been measured yet, so no "
            "verdict is given."
        )
    return "".join(parts)


# --- question 2: knowledge (the RAG rung) -------------------------------------------------------


def _rag_wins(found: Findings) -> Words:
    v = _View(found)
    rag, best = v.score("rag"), v.score(found.best_prompt)
    r, test_text = rag.score, v.test_text()
    meets = found.threshold is not None and found.threshold.held_to == "bar"
    threshold = f"the bar {pct(v.bar)}" if meets else v.of_bar()
    answer = (
        f"Use retrieval (RAG). The model does not know your data: with passages retrieved "
        f"from your documents it scores {r.fmt()} on {rag.n} held-out examples, against "
        f"{best.score.fmt()} for the best prompt ({best.rung}), a difference the paired "
        f"test confirms ({test_text})."
    )
    if meets:
        answer += (
            f" Even the low end of the interval clears your bar of {pct(v.bar)}. "
            "No training was needed to get there, and facts trained into a model would "
            "have to be trained again whenever the documents change."
        )
    else:
        answer += (
            f" It is at least {pct(v.fraction)} of your bar of {pct(v.bar)}, not yet "
            "the bar itself: iterate on retrieval (chunking, top_k, the embedder) and the "
            "prompt, which is nearly free, before paying for fine-tuning."
        )
    diagnosis = rag_diagnosis_words(found.rag, failing=False)
    if meets:
        state = "meets the bar"
    elif r.point < v.bar:
        state = "is within reach of the bar"
    else:
        state = "is at the bar but not shown to reach it"
    return (
        (f"rag {state}: {r.fmt()}, beating {best.rung} {best.score.fmt()} ({v.gain_text()})"),
        [
            f"rag's whole 95% interval is at or above {threshold}",
            f"rag beats the best prompt rung, {best.rung}: {test_text}",
            *([diagnosis] if diagnosis else []),
            *v.table,
        ],
        answer,
    )


def _rag_not_shown_better(found: Findings) -> Words:
    v = _View(found)
    rag, best = v.score("rag"), v.score(found.best_prompt)
    r, test_text, more = rag.score, v.test_text(), found.examples_needed
    more_text = (
        f" About {more} more test examples would settle it if the shares hold."
        if more
        else " More test examples would tell whether retrieval really beats the prompt."
    )
    return (
        f"rag {r.fmt()} clears {pct(v.within)} but is not shown better than {best.rung}",
        [
            f"rag's whole 95% interval is at or above {pct(v.within)} "
            f"({pct(v.fraction)} of the bar)",
            f"rag is not shown better than {best.rung} ({test_text}; significance needs "
            f"p < {SIGNIFICANT})",
            *v.table,
        ],
        (
            f"Not settled. Retrieval scores {r.fmt()} on {rag.n} held-out examples, but the "
            f"paired test does not show it beats the best prompt ({best.rung}, "
            f"{best.score.fmt()}): {test_text}.{more_text}"
        ),
    )


def _rag_straddles(found: Findings) -> Words:
    v = _View(found)
    rag, best = v.score("rag"), v.score(found.best_prompt)
    r = rag.score
    diagnosis = rag_diagnosis_words(found.rag)
    return (
        f"rag {r.fmt()} straddles {pct(v.within)} ({pct(v.fraction)} of the bar)",
        [
            f"rag's 95% interval contains {pct(v.within)}: the data cannot tell whether "
            "retrieval is enough",
            f"rag against {best.rung}: {v.test_text()}",
            *([diagnosis] if diagnosis else []),
            *v.table,
        ],
        (
            f"Not settled. Retrieval scores {r.fmt()} on {rag.n} held-out examples, ahead "
            f"of the best prompt ({best.rung}, {best.score.fmt()}), but its interval "
            f"contains {pct(v.within)}, the share of your bar that would make RAG the "
            f"answer.{_more_text(found.examples_needed, rag.n)}"
        ),
    )


def _rag_shortfall(v: _View) -> list[str]:
    """Why RAG did not decide it: its score, and retrieval or reading as the cause."""
    if not v.f.rag_fell_short:
        return []
    floor = v.f.baseline
    matched = floor is not None and "rag" in floor.matched
    lines = [
        f"rag scores {v.score('rag').score.fmt()}, "
        + (
            no_better("rag", floor)
            if floor is not None and matched
            else f"its interval not clear of {pct(v.within)}"
        )
    ]
    diagnosis = rag_diagnosis_words(v.f.rag)
    if diagnosis:
        lines.append(diagnosis)
    return lines


def rag_diagnosis_words(d: RagDiagnosis | None, *, failing: bool = True) -> str | None:
    """Retrieval failure (the answer was not in the passages) or reading failure (it was).

    For a RAG rung that passes, a plain account of where its remaining errors come from.
    Long answers are measured graded (rag.diagnostics): the words say so, and when nothing
    could be measured they say it cannot be told rather than quote a false 0%.
    """
    if d is None:
        return None
    if d.answer_in_context is None:
        return (
            "retrieval or reading failure: cannot tell, the expected answers could not be "
            "looked for in the passages (set rag.gold_field to name each answer's source)"
        )
    share = d.answer_in_context
    held = _held_words(d)
    missed, misread = d.retrieval_failures, d.reading_failures
    recall = d.recall_at_k
    recall_text = (
        f"; recall@{d.top_k} of the gold source {recall:.0%}" if recall is not None else ""
    )
    told, n = d.n_told, d.n
    of = (
        f"the {told} test examples where it could be told"
        if told is not None and n is not None and told < n
        else "the test examples"
    )
    wrong = missed + misread
    if not failing and wrong:
        return (
            f"{held} for {pct(share)} of {of}{recall_text}; of the {wrong} wrong answers, "
            f"{missed} lacked it (retrieval) and {misread} had it (reading)"
        )
    if wrong == 0:
        return f"{held} for {pct(share)} of {of}{recall_text}"
    if missed >= misread:
        return (
            f"mostly a retrieval failure: {held} for only {pct(share)} of {of}, and "
            f"{missed} of the {wrong} wrong answers never had it in context{recall_text}. "
            "Check that the documents hold these answers, then try a larger top_k, other "
            "chunk sizes or another embedder"
        )
    return (
        f"mostly a reading failure: {held} for {pct(share)} of {of}, and {misread} of the "
        f"{wrong} wrong answers had it in context and still missed it{recall_text}. The model "
        "does not use what it is given: a stronger model, or fine-tuning it to answer from "
        "context, is what to measure next"
    )


def _held_words(d: RagDiagnosis) -> str:
    """How 'the answer was in the passages' was measured, in words."""
    mean = d.mean_content_recall
    mean_text = f", {pct(mean)} on average" if mean is not None else ""
    if d.measure == "gold":
        held = f" (content words of the answer held{mean_text[1:]})" if mean_text else ""
        return f"the retrieved passages included the gold source{held}"
    if d.measure == "content_recall" and d.support_threshold is not None:
        return (
            f"the retrieved passages held at least {pct(d.support_threshold)} of the expected "
            f"answer's content words (stopwords aside{mean_text})"
        )
    return "the expected answer was in the retrieved passages"


# --- question 3: a specific, reproducible failure (the LoRA rung) ---------------------------


class _Lora(_View):
    """The fine-tune's findings, with what every LoRA sentence shares."""

    def __init__(self, found: Findings) -> None:
        super().__init__(found)
        self.lora = self.score("lora")
        training = found.training
        self.forgetting = training.forgetting if training else None
        wall_s = training.wall_s if training else None
        self.cost_words = f" Training took {wall_s / 60:.1f} minutes here." if wall_s else ""
        self.forget_words = f" General capability: {self.forgetting}." if self.forgetting else ""
        n_train, n_pool = (training.n_train, training.n_pool) if training else (None, None)
        if n_train is not None and n_pool is not None and n_train < n_pool:
            # Every LoRA sentence ends with the forgetting words: the cut goes with them.
            self.forget_words = (
                f" The adapter learned from {n_train} of {n_pool} train examples "
                "(lora.max_train), so a fine-tune on all of them may score higher."
                + self.forget_words
            )
        p = found.paired
        self.versus = (
            f"{pts(p.gain)} over {p.a} ({p.method} p={p.p_value:.3g}, n={p.n})"
            if p is not None and p.p_value is not None
            else "no paired comparison with a cheaper rung"
        )
        # The headline's version: the difference alone, its p-value left to the reasons.
        self.gain = (
            f"{pts(p.gain)} over {p.a}"
            if p is not None and p.p_value is not None
            else "no paired comparison with a cheaper rung"
        )
        self.searched = _search_words(found)
        self.setting_words = ""
        if training is not None and training.setting is not None:
            self.setting_words = (
                f" The fine-tune reported is setting {training.setting}, one of "
                f"{training.n_settings} measured: {training.rule}."
            )
        self.reasons = [
            f"lora: {self.lora.score.fmt()}; {self.versus}",
            *_rag_shortfall(self),
            self.searched,
            *self.table,
        ]
        if self.forgetting:
            self.reasons.append(f"forgetting: {self.forgetting}")
        if self.setting_words:
            self.reasons.append(f"sweep: {self.setting_words.strip()}")
        self.budget = found.forgetting
        if self.budget is not None:
            self.reasons.append(_budget_line(self.budget))
        self.within_words = (
            f" The setting reported ({self.budget.chosen.label}) keeps within your forgetting "
            f"budget ({_limits(self.budget)})."
            if self.budget is not None and self.budget.chosen.within
            else ""
        )

    def cheaper(self) -> RungScore | None:
        return self.score(self.f.best_cheaper) if self.f.best_cheaper is not None else None


def _limits(b: ForgettingFinding) -> str:
    """The budget's limits in words."""
    parts = []
    if b.max_probe_drop is not None:
        parts.append(f"at most {b.max_probe_drop:g} points of general-probe accuracy lost")
    if b.max_kl is not None:
        parts.append(f"KL at most {b.max_kl:g} nats/token")
    return ", ".join(parts)


def _second_model(b: ForgettingFinding) -> str:
    """What the second model costs, when the cost model priced it."""
    usd = b.second_model_usd
    if usd is None:
        return ""
    if usd <= 0:
        return (
            " (per-token hosting adds no standing fee for it, but two models must be evaluated "
            "and updated)"
        )
    return f": about ${usd:,.0f} a month more for its endpoint (cost.two_models)"


def _budget_line(b: ForgettingFinding) -> str:
    """One reason line: the reported setting against the budget."""
    c = b.chosen
    measured = []
    if c.probe_drop is not None:
        measured.append(f"general probe {max(0.0, c.probe_drop):.0f} points lost")
    if c.kl is not None:
        measured.append(f"KL {c.kl:.3f}")
    figures = f" ({', '.join(measured)})" if measured else ""
    state = "within" if c.within else "breaks"
    swept = f"; {b.n_within} of {b.n_settings} settings measured kept within it"
    return f"forgetting budget ({_limits(b)}): setting {c.label}{figures} {state} it" + (
        swept if b.n_settings > 1 else ""
    )


def _search_words(found: Findings) -> str:
    """What was done to make the prompt good before a fine-tune is weighed against it."""
    record = found.search
    if record is None:
        return (
            "prompt search was not run: the prompt side is the prompt as given, which a "
            "search might improve"
        )
    tried = (
        f"before fine-tuning was weighed, prompt search tried {record.tried} prompts within "
        f"{record.calls} calls on {record.val_size} validation examples from train"
    )
    if record.kept_baseline:
        return (
            f"{tried}; none beat few-shot's prompt by a paired test there, so few-shot's "
            f"prompt was kept ({record.score.fmt()} on the test split)"
        )
    return f"{tried}; its winner scored {record.score.fmt()} on the test split"


def _lora_wins(found: Findings) -> Words:
    v = _Lora(found)
    best = v.cheaper()
    assert best is not None
    score, bar, searched = v.lora.score, pct(v.bar), v.searched
    return (
        f"lora meets the bar: {score.fmt()} >= {bar}, {v.gain}",
        [f"lora's whole 95% interval is at or above the bar {bar}", *v.reasons],
        (
            f"Fine-tune. Prompting falls short (best: {best.rung}, {best.score.fmt()}), and a "
            f"LoRA adapter trained on your examples scores {score.fmt()} on the same "
            f"{v.lora.n} held-out examples, clearing your bar of {bar}; the paired test "
            f"says the gain is real ({v.versus}). {searched[0].upper()}{searched[1:]}."
            f"{v.setting_words}{v.cost_words}{v.forget_words}{v.within_words}"
        ),
    )


def _lora_over_budget(found: Findings) -> Words:
    v = _Lora(found)
    best, b = v.cheaper(), found.forgetting
    assert best is not None and b is not None
    score, bar = v.lora.score, pct(v.bar)
    broken = "; ".join(b.broken)
    if b.n_settings > 1:
        tried = f" None of the {b.n_settings} fine-tune settings measured kept within it."
    else:
        tried = (
            " Only the settings as given were measured: a sweep (--sweep, or lora.sweep) "
            "measures gentler ones (a lower rank, fewer epochs, a lower learning rate)."
        )
    return (
        f"lora clears the bar ({score.fmt()}) but breaks the forgetting budget: {broken}",
        [
            f"lora's whole 95% interval is at or above the bar {bar}",
            f"the fine-tune breaks the forgetting budget: {broken}",
            *v.reasons,
        ],
        (
            f"Not a clean fine-tune. A LoRA adapter ({b.chosen.label}) scores {score.fmt()} on "
            f"{v.lora.n} held-out examples, clearing your bar of {bar} ({v.versus}), but it "
            f"breaks your forgetting budget ({_limits(b)}): {broken}.{tried} Using it anyway "
            f"means keeping the general model in production beside it{_second_model(b)}. "
            f"{_within_budget(found, best)}{v.forget_words}"
        ),
    )


def _within_budget(found: Findings, best: RungScore) -> str:
    """The best option that keeps the model as it is, unless the constant matches it."""
    floor = found.baseline
    if floor is not None and best.rung in floor.matched:
        return (
            f"The cheaper options measured keep the model as it is, but the best of them, "
            f"{_mid(_words(best.rung))} at {best.score.fmt()}, is no better than answering "
            f"{floor.constant!r} every time: none of them is an option."
        )
    return (
        "The best option measured that keeps within the budget is "
        f"{_mid(_words(best.rung))} at {best.score.fmt()}, which leaves the model as it is but "
        "is not shown to reach your bar."
    )


def _lora_not_shown_better(found: Findings) -> Words:
    v = _Lora(found)
    best, score, more = v.cheaper(), v.lora.score, found.examples_needed
    closest = f"{best.rung} ({best.score.fmt()})" if best is not None else "a cheaper rung"
    return (
        f"lora clears the bar ({score.fmt()}) but is not shown better than {closest}",
        v.reasons,
        (
            f"Not settled. The fine-tuned model clears your bar ({score.fmt()}), but on these "
            f"{v.lora.n} test examples it cannot be told apart from {closest} ({v.versus})."
            + (f" About {more} more test examples would separate them." if more else "")
        ),
    )


def _nothing_reaches_bar(found: Findings) -> Words:
    v = _Lora(found)
    overall = v.score(found.rung)
    gap = v.bar - overall.score.point
    helps = " Fine-tuning helps, but not enough." if found.paired and found.paired.better else ""
    return (
        (
            f"no rung reaches the bar {pct(v.bar)}: closest {overall.rung} "
            f"{overall.score.fmt()}, {gap_pts(gap)} short"
        ),
        [f"every rung's whole 95% interval is below the bar {pct(v.bar)}", *v.reasons],
        (
            f"Nothing measured here reaches your bar of {pct(v.bar)}. The closest is "
            f"{_mid(_words(overall.rung))} at {overall.score.fmt()}, {gap_pts(gap)} short.{helps} "
            "Next steps worth trying: more (and more varied) training examples, a larger "
            "student model, or more epochs; check the failures for label noise first."
            f"{v.forget_words}"
        ),
    )


def _lora_straddles(found: Findings) -> Words:
    v = _Lora(found)
    score, n = v.lora.score, v.lora.n
    return (
        f"lora {score.fmt()} straddles the bar {pct(v.bar)}",
        [f"lora's 95% interval contains the bar {pct(v.bar)}", *v.reasons],
        (
            f"Not settled. The fine-tuned model scores {score.fmt()} on {n} held-out "
            f"examples, an interval that contains your bar of {pct(v.bar)} ({v.versus})."
            + _more_text(found.examples_needed, n)
            + v.forget_words
        ),
    )


# --- question 3's evidence: the failure pattern ----------------------------------------------


def _pattern_words(found: Findings) -> str:
    """One sentence on the prompt's failure pattern and whether it recurs, then the budget's."""
    budget = _budget_words(found)
    p = found.pattern
    if p is None:
        return budget
    kind = {
        "reproducible": "a reproducible pattern, the kind a fine-tune can learn away",
        "not_reproducible": (
            "mostly not reproducible: better prompts or voting over samples are cheaper fixes"
        ),
        "unclear": "not clearly reproducible or not",
    }[p.call]
    words = (
        f"Of {p.rung}'s failures, {p.reproducible} of the {p.n_checked} re-run "
        f"recurred in most of {p.n_conditions} re-runs (other seeds, reworded "
        f"instructions, other demonstrations): {_interval(p.share)}, {kind}.{_top_words(p)}"
    )
    return f"{words} {budget}".strip()


def _interval(share: Interval) -> str:
    return f"{pct(share.point)} [{pct(share.low)}, {pct(share.high)}]"


def _top_words(p: PatternFinding) -> str:
    if p.top_category is None:
        return ""
    text = f" Most are {p.top_category.replace('_', ' ')} ({p.top_count} of {p.n_counted})"
    if p.confused_expected is not None:
        text += f", most often {p.confused_expected!r} answered as {p.confused_predicted!r}"
    return text + "."


def _budget_words(found: Findings) -> str:
    """One sentence when the analysed rung's answers were cut off by the generation budget."""
    b = found.budget
    if b is None:
        return ""
    return (
        f"{b.truncated} of {b.rung}'s {b.n_failed} failures were cut off by the generation "
        "budget (max_new_tokens): a setting of this run, not a pattern of the model, so they "
        "count for nothing here; raise max_new_tokens (or leave it unset) and run again."
    )


# --- the constant answer (baseline.py): the floor every rung is read against -------------------


def no_better(rung: str, floor: BaselineFinding) -> str:
    """'no better than answering X every time', with the paired test that says so."""
    pair = floor.pair(rung)
    test = ""
    worse = False
    if pair is not None:
        p = f"p={pair.p_value:.3g}" if pair.p_value is not None else "no p-value"
        test = f" ({rung} {pts(pair.gain)} against it, {pair.method} {p}, n={pair.n})"
        # Shown worse on the paired test: say so, "no better" would understate it.
        worse = pair.gain < 0 and pair.p_value is not None and pair.p_value < SIGNIFICANT
    how = "worse than" if worse else "no better than"
    return f"{how} answering {floor.constant!r} every time{test}"


def above_floor(rung: str, floor: BaselineFinding) -> str | None:
    """How far the rung stands above the constant, with the paired test; None: not paired."""
    pair = floor.pair(rung)
    if pair is None:
        return None
    p = f"; {pair.method} p={pair.p_value:.3g}" if pair.p_value is not None else ""
    const = floor.constant
    return (
        f"{gap_pts(pair.gain)} above answering {const!r} every time "
        f"(which scores {pct(floor.score.point)}{p})"
    )


def _bar_distance(found: Findings, rung: str) -> str:
    """The rung's distance to the bar, in words."""
    score = next((s.score.point for s in found.scores if s.rung == rung), None)
    bar = found.threshold.bar if found.threshold is not None else None
    if score is None or bar is None:
        return ""
    gap = score - bar
    return f" and {gap_pts(abs(gap))} {'above' if gap >= 0 else 'short of'} the bar {pct(bar)}"


def _with_floor(found: Findings, headline: str, reasons: list[str], answer: str) -> Words:
    """The case's words with the constant: its score, the rungs it matches, the margin over it."""
    floor = found.baseline
    if floor is None:
        return headline, reasons, answer
    lines = [
        f"baseline: always {floor.constant!r} scores {floor.score.fmt()} on {floor.n} "
        "test examples (no model)"
    ]
    lines += [f"{r}: {no_better(r, floor)}" for r in floor.matched]
    sentences = []
    others = [r for r in floor.matched if r != found.matched_rung]
    worse = [r for r in others if no_better(r, floor).startswith("worse")]
    for group, how in ((worse, "worse than"), ([r for r in others if r not in worse], "")):
        if not group:
            continue
        names = ", ".join(group)
        verb = "is" if len(group) == 1 else "are"
        sentences.append(
            f"{names} {verb} {how or 'no better than'} answering {floor.constant!r} every "
            f"time (the constant scores {floor.score.fmt()}): "
            f"{'its score shows' if len(group) == 1 else 'their scores show'} nothing "
            "learned beyond the constant."
        )
    rung = found.rung
    margin = above_floor(rung, floor) if rung is not None else None
    if rung is not None and margin is not None and rung not in floor.matched:
        sentences.append(f"{rung} is {margin}{_bar_distance(found, rung)}.")
    answer = " ".join([answer, *sentences]) if sentences else answer
    return headline, [*reasons, *lines], answer


def _floor_advice(floor: BaselineFinding) -> str:
    """What to do next: it depends on whether the constant earns any credit at all."""
    if floor.score.point <= 0:
        return (
            " The constant earns nothing here, so neither does the rung: look at its failures "
            "before measuring anything dearer."
        )
    return (
        " Check that the scorer rewards the task and not the most common answer (the "
        "report's score on the non-trivial part), then improve the candidate or add test "
        "examples whose answers differ from the constant."
    )


def _baseline_matches(found: Findings) -> Words:
    """The rung that would have been named does no better than the constant answer."""
    v = _View(found)
    floor = found.baseline
    matched = v.score(found.matched_rung)
    assert floor is not None
    const = repr(floor.constant)
    if found.rung is not None:
        closest = v.score(found.rung)
        then = (
            f" The best rung that does beat the constant is {closest.rung} at "
            f"{closest.score.fmt()}, which settles nothing on its own branch either."
        )
        head_tail = f"; best rung above it {closest.rung} {closest.score.fmt()}"
    else:
        then = " No rung measured here does better than the constant."
        head_tail = "; no rung beats it"
    if floor.score.low >= v.within:
        then += (
            f" The constant alone is within reach of your bar of {pct(v.bar)}: at this bar the "
            "score mostly counts how often the most common answer is right."
        )
    return (
        f"{matched.rung} {matched.score.fmt()} is no better than answering {const} every time"
        + head_tail,
        [
            f"{matched.rung} would have decided this verdict, but it is "
            f"{no_better(matched.rung, floor)} (significance needs p < {SIGNIFICANT})",
            *_rag_shortfall(v),
            *v.table,
        ],
        (
            f"Not settled. {_words(matched.rung)} scores {matched.score.fmt()} on {matched.n} "
            f"held-out examples, but answering {const} every time, with no model at all, "
            f"scores {floor.score.fmt()}, and the paired test does not show the rung does "
            f"better.{then}{_floor_advice(floor)}"
        ),
    )


_CASES: dict[str, Callable[[Findings], Words]] = {
    "not_enough_data": _not_enough_data,
    "nothing_run": _nothing_run,
    "prompt_meets_bar": _prompt_meets_bar,
    "prompt_within_reach": _prompt_within_reach,
    "prompt_short": _prompt_short,
    "prompt_straddles": _prompt_straddles,
    "rag_wins": _rag_wins,
    "rag_not_shown_better": _rag_not_shown_better,
    "rag_straddles": _rag_straddles,
    "lora_wins": _lora_wins,
    "lora_not_shown_better": _lora_not_shown_better,
    "nothing_reaches_bar": _nothing_reaches_bar,
    "lora_straddles": _lora_straddles,
    "lora_over_budget": _lora_over_budget,
    "baseline_matches": _baseline_matches,
}

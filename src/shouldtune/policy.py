"""The climbing policy: which rung to climb next and when to stop, beside the decision.

The ladder climbs the rungs cheapest first. Before each one it asks `Climb.skip_reason`:
can the rung run for this task at all (what `rung_info` says it needs), and if so, has a
cheaper rung already settled it (the decision so far, `decide`)? The fine-tune is climbed
only when the best prompt's failures are not shown to come and go (`not_reproducible_reason`,
held to the same `REPRODUCIBLE_SHARE` the verdict uses). Nothing here calls a model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import combinations

from shouldtune.analysis.failures import FailureSummary
from shouldtune.analysis.reproducibility import Reproducibility
from shouldtune.analysis.stats import mcnemar, paired_bootstrap
from shouldtune.baseline import BASELINE, Baseline
from shouldtune.decide import Verdict, best_of, decide_findings, verdict_of
from shouldtune.findings import REPRODUCIBLE_SHARE, Findings
from shouldtune.models.base import MOCK
from shouldtune.records import Comparison, Prediction, RungResult
from shouldtune.results import Prepared
from shouldtune.rung_info import Need, info, is_prompting
from shouldtune.spec import TaskSpec

MIN_CHECKED = 5  # fewer re-run failures than this say nothing about a pattern
MIN_SEARCH_TRAIN = 12  # a validation slice of a third of train needs a few examples


# --- can the rung run for this task (its needs in rung_info) ------------------------------


def _docs(spec: TaskSpec, prepared: Prepared) -> str | None:
    return "no documents given (docs: or --docs)" if spec.docs is None else None


def _search_slice(spec: TaskSpec, prepared: Prepared) -> str | None:
    n_train = len(prepared.split.train)
    if n_train >= MIN_SEARCH_TRAIN:
        return None
    return (
        f"{n_train} train examples: too few to hold out a validation "
        f"slice for the search (it needs {MIN_SEARCH_TRAIN})"
    )


def _training_data(spec: TaskSpec, prepared: Prepared) -> str | None:
    if prepared.precheck.enough_data:
        return None
    return (
        f"{prepared.precheck.n_usable} usable examples, fewer than min_examples "
        f"({spec.min_examples}): nothing to fine-tune on"
    )


def _trainable_student(spec: TaskSpec, prepared: Prepared) -> str | None:
    student = spec.student_model
    if student is None:
        return (
            f"model {spec.model!r} is served over HTTP and cannot be fine-tuned here: "
            "set student to a local model to compare it fine-tuned"
        )
    if student == MOCK:
        return (
            "model 'mock' has no weights: it can be prompted (a dry run), not fine-tuned: "
            "set student to a local model to compare it fine-tuned"
        )
    return None


NEEDS: Mapping[Need, Callable[[TaskSpec, Prepared], str | None]] = {
    "docs": _docs,
    "search_slice": _search_slice,
    "training_data": _training_data,
    "trainable_student": _trainable_student,
}


def cannot_run(name: str, spec: TaskSpec, prepared: Prepared) -> str | None:
    """Why the rung cannot run for this task (its first unmet need), or None."""
    for need in info(name).needs:
        reason = NEEDS[need](spec, prepared)
        if reason is not None:
            return reason
    return None


# --- the question 3 gate: is the prompt's failure a pattern? ------------------------------


def best_prompting(results: Sequence[RungResult]) -> RungResult | None:
    """The prompt rung question 3 asks about: the best score, ties to the cheaper rung."""
    return best_of([r for r in results if is_prompting(r.rung)])


def not_reproducible_reason(found: Reproducibility | None) -> str | None:
    """Why fine-tuning is not indicated: the prompt's failures come and go (question 3)."""
    if found is None or found.n_checked < MIN_CHECKED or found.share.high >= REPRODUCIBLE_SHARE:
        return None
    return (
        f"{found.rung}'s failures mostly do not reproduce ({found.reproducible} of "
        f"{found.n_checked} recur, {found.share.fmt()}): they change with the seed and the "
        "wording, which prompt work or voting over samples fixes more cheaply "
        "(all_rungs trains anyway)"
    )


# --- the decision so far, computed once per set of climbed rungs -----------------------------


def compare(
    a: str, b: str, pa: Sequence[Prediction], pb: Sequence[Prediction], binary: bool
) -> Comparison:
    """Rung b against rung a on the test examples both answered."""
    by_id = {p.example_id: p for p in pb}
    pairs = [(p, by_id[p.example_id]) for p in pa if p.example_id in by_id]
    if binary:
        test = mcnemar([x.passed for x, _ in pairs], [y.passed for _, y in pairs])
    else:
        test = paired_bootstrap([x.score for x, _ in pairs], [y.score for _, y in pairs])
    fields = {k: v for k, v in test.model_dump().items() if k in Comparison.model_fields}
    fields.update(a=a, b=b, n=len(pairs))
    return Comparison.model_validate(fields)


class Climb:
    """One run's climbing policy and its decisions.

    A climb only adds rungs, and a rung's predictions do not change once it ran, so each
    paired test is computed once per pair, and the decision once per set of climbed rungs:
    the early-stop check before each rung and the final verdict share it (the final verdict
    only adds the failure analysis, which never changes the kind of verdict).

    `floor` is the constant answer and its test predictions (baseline.measure_baseline),
    measured before any rung: a rung no better than it never stops the climb as "good enough".
    """

    def __init__(
        self,
        spec: TaskSpec,
        prepared: Prepared,
        binary: bool,
        floor: tuple[Baseline, Sequence[Prediction]] | None = None,
    ) -> None:
        self.spec = spec
        self.prepared = prepared
        self.binary = binary
        self.floor = floor
        self._pairs: dict[tuple[str, str], Comparison] = {}
        self._floor_pairs: dict[str, Comparison] = {}
        self._decided: tuple[tuple[str, ...], Findings] | None = None

    def baseline(
        self, results: Sequence[RungResult], predictions: Mapping[str, Sequence[Prediction]]
    ) -> Baseline | None:
        """The constant with its paired test against each climbed rung (each computed once)."""
        if self.floor is None:
            return None
        record, constant = self.floor
        for r in results:
            if r.rung not in self._floor_pairs:
                self._floor_pairs[r.rung] = compare(
                    BASELINE, r.rung, constant, predictions[r.rung], self.binary
                )
        pairs = [self._floor_pairs[r.rung] for r in results]
        return record.model_copy(update={"pairs": pairs})

    def comparisons(
        self, results: Sequence[RungResult], predictions: Mapping[str, Sequence[Prediction]]
    ) -> list[Comparison]:
        """Every pair of climbed rungs, in climbing order."""
        found = []
        for a, b in combinations([r.rung for r in results], 2):
            if (a, b) not in self._pairs:
                self._pairs[a, b] = compare(a, b, predictions[a], predictions[b], self.binary)
            found.append(self._pairs[a, b])
        return found

    def findings(
        self, results: Sequence[RungResult], predictions: Mapping[str, Sequence[Prediction]]
    ) -> Findings:
        """The decision on the rungs climbed so far (before the failure analysis)."""
        climbed = tuple(r.rung for r in results)
        if self._decided is None or self._decided[0] != climbed:
            precheck = self.prepared.precheck
            found = decide_findings(
                results,
                bar=self.spec.bar,
                prompt_fraction=self.spec.prompt_fraction,
                enough_data=precheck.enough_data,
                n_usable=precheck.n_usable,
                min_examples=self.spec.min_examples,
                comparisons=self.comparisons(results, predictions),
                budget=self.spec.forgetting,
                baseline=self.baseline(results, predictions),
            )
            self._decided = (climbed, found)
        return self._decided[1]

    def skip_reason(
        self,
        name: str,
        results: Sequence[RungResult],
        predictions: Mapping[str, Sequence[Prediction]],
    ) -> str | None:
        """Why a rung is not climbed, or None. Cheapest first: stop once one is good enough."""
        reason = cannot_run(name, self.spec, self.prepared)
        if reason is not None or self.spec.all_rungs or not results:
            return reason
        so_far = self.findings(results, predictions)
        if so_far.kind in ("PROMPT", "RAG"):
            # The rung and the verdict only: the headline is shown once, in the verdict.
            return f"a cheaper rung is good enough: {so_far.rung} ({so_far.kind})"
        return None

    def verdict(
        self,
        results: Sequence[RungResult],
        predictions: Mapping[str, Sequence[Prediction]],
        failures: Sequence[FailureSummary],
        reproducibility: Reproducibility | None,
    ) -> Verdict:
        """The run's verdict: the decision on every climbed rung, with the failure analysis."""
        return verdict_of(self.findings(results, predictions), failures, reproducibility)

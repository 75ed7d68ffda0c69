"""What a rung records beside its score: the typed parts of `RungResult.settings`.

The parts read across stages (the verdict, the cost model, the reports) are typed here, below
both the rungs that write them and the readers, so a reader uses attributes, not string keys.
Each model allows extra keys: a rung records more than any reader needs, and older runs
(written before a field was typed) still load. A field nobody set is left out of the JSON, so
results.json keeps the names and shape it had when settings was a plain dict.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidatorFunctionWrapHandler,
    model_serializer,
    model_validator,
)


class Interval(BaseModel):
    """A point estimate with its 95% interval."""

    model_config = ConfigDict(frozen=True)

    point: float
    low: float
    high: float
    method: str = Field(description="wilson, bootstrap, or wilson_mean (graded, no spread)")

    def fmt(self) -> str:
        return f"{self.point:.1%} [{self.low:.1%}, {self.high:.1%}]"


class _Recorded(BaseModel):
    """A record whose JSON holds only what the rung set (plus any extra keys it recorded)."""

    model_config = ConfigDict(extra="allow")
    # The keys in the order the rung recorded them, so results.json is written as before.
    _order: list[str] = PrivateAttr(default_factory=list)
    # False for a record the rung builds as a model (written in field order, as before).
    _keeps_order: ClassVar[bool] = True

    @model_validator(mode="wrap")
    @classmethod
    def _remember_order(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        model = handler(data)
        if isinstance(model, _Recorded) and model._keeps_order and isinstance(data, dict):
            model._order = list(data)
        return model

    @model_serializer(mode="wrap")
    def _as_recorded(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        # Fields left at their default were not recorded: writing them as null would add
        # keys that runs never had.
        unset = set(type(self).model_fields) - self.model_fields_set
        rank = {key: i for i, key in enumerate(self._order)}
        kept = sorted((k for k in data if k not in unset), key=lambda k: rank.get(k, len(rank)))
        return {k: data[k] for k in kept}

    def extra(self, key: str) -> Any:
        """A value recorded beside the typed fields (None when not recorded)."""
        return (self.model_extra or {}).get(key)


class ModelUsed(_Recorded):
    """The model that answered the rung's test examples."""

    name: str
    backend: str
    adapted: list[str] | None = Field(
        None, description="Parameters the server refused, and what was asked instead."
    )


class Usage(_Recorded):
    """Tokens the rung's answered requests used (error rows used none)."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    # Older runs and other tools spell the count `calls` or `n`; it is read as `requests`.
    requests: int | None = Field(None, validation_alias=AliasChoices("requests", "calls", "n"))
    mean_prompt_tokens: float | None = None
    mean_completion_tokens: float | None = None
    fresh_prompt_tokens: int | None = Field(None, description="Tokens of calls not cached.")
    fresh_completion_tokens: int | None = None
    source: str | None = Field(None, description="server: the API's own count; else local.")

    def means(self) -> tuple[float, float] | None:
        """Tokens per request: as recorded, or from the totals and the request count."""
        if self.mean_prompt_tokens is not None and self.mean_completion_tokens is not None:
            return self.mean_prompt_tokens, self.mean_completion_tokens
        if self.prompt_tokens is None or self.completion_tokens is None or not self.requests:
            return None
        return self.prompt_tokens / self.requests, self.completion_tokens / self.requests


class CalibrationDecision(_Recorded):
    """Whether label scores were calibrated (the prompt's lean divided out), and why."""

    mode: str | None = Field(None, description="on, or auto (decided on a train probe)")
    used: bool
    probe_n: int | None = None
    probe_raw_accuracy: float | None = None
    probe_calibrated_accuracy: float | None = None


class RetrievalStats(_Recorded):
    """The RAG rung's retrieval record: was the answer in what the reader was given?"""

    index: str | None = None
    index_recall_at_k: float | None = None
    top_k: int | None = None
    gold_field: str | None = None
    n: int | None = None
    answer_in_context: float | None = None
    answer_in_context_n: int | None = None
    failures: dict[str, int] = Field(
        default_factory=dict, description="retrieval and reading failures, counted"
    )
    recall_at_k: float | None = None
    measure: str | None = Field(None, description="How answer-in-context was graded, mostly.")
    support_threshold: float | None = None
    mean_content_recall: float | None = None
    mean_passages: float | None = None
    mean_context_tokens: float | None = None


class TrainingStats(_Recorded):
    """The LoRA training run (its report, less the per-step log)."""

    wall_s: float | None = None
    tokens_per_s: float | None = None
    device: str | None = None
    dtype: str | None = None


class Forgetting(_Recorded):
    """General-capability loss of the tuned student (analysis/forgetting.py's figures)."""

    kl_mean: float | None = None
    ppl_base: float | None = None
    ppl_tuned: float | None = None
    ppl_change: float | None = None
    probe_base: float | None = None
    probe_tuned: float | None = None
    n_probe: int | None = None
    n_general_tokens: int | None = None
    summary: str | None = None
    # The larger probe's intervals (runs before it have none): each rate's 95% Wilson
    # interval, and the paired 95% interval of the drop (probe_base - probe_tuned).
    probe_base_low: float | None = None
    probe_base_high: float | None = None
    probe_tuned_low: float | None = None
    probe_tuned_high: float | None = None
    probe_drop: float | None = None
    probe_drop_low: float | None = None
    probe_drop_high: float | None = None
    probe_families: dict[str, list[int]] | None = None


class SweepPoint(_Recorded):
    """One fine-tune setting of a sweep: its validation score (selection), test score and
    forgetting (reporting)."""

    _keeps_order: ClassVar[bool] = False

    label: str = Field(description="The overrides in words ('as given' for none).")
    overrides: dict[str, Any] = Field(description="LoraSpec fields this point sets.")
    val_score: float = Field(description="Mean score on the validation slice of train.")
    val_n: int
    test_score: float | None = None
    test_low: float | None = None
    test_high: float | None = None
    test_n: int | None = None
    forgetting: Forgetting | None = None
    within_budget: bool | None = Field(None, description="None: no forgetting budget was set.")
    wall_s: float | None = Field(None, description="Training seconds (0 when reused).")
    adapter: str | None = None


class SweepRecord(_Recorded):
    """The lora rung's sweep: every setting measured and which one it reports."""

    _keeps_order: ClassVar[bool] = False

    val_size: int = Field(description="Validation examples carved out of train for selection.")
    chosen: int = Field(description="Index of the reported point.")
    rule: str = Field(description="How the chosen point was picked, in words.")
    points: list[SweepPoint]


class LatencyVs(_Recorded):
    """The tuned model's latency against one prompted rung's."""

    latency_s: float
    prompt_tokens: float
    speedup: float = Field(description="The prompted rung's latency over the tuned model's.")
    model: str | None = Field(None, description="The prompted rung's model (may differ).")


class Tried(BaseModel):
    """A prompt-search candidate's standing when it left the search (or won it)."""

    key: str
    val_score: float = Field(description="Mean of the selection signal (SearchRecord.signal).")
    val_n: int
    round: int = Field(description="The last successive-halving round it took part in.")
    val_pass: float | None = Field(None, description="Pass rate on the same examples.")


class VersusBaseline(BaseModel):
    """The search's best prompt against few-shot's, paired on the same validation examples."""

    method: str = Field(description="mcnemar (pass/fail signal) or paired_bootstrap.")
    n: int = Field(description="Validation examples both were scored on.")
    diff: float = Field(description="Mean signal of the best prompt minus few-shot's.")
    p_value: float = Field(description="Two-sided p-value of 'no difference'.")
    alpha: float = Field(0.05, description="The level p must be under.")
    pass_diff: float = Field(description="Pass rate of the best prompt minus few-shot's.")
    better: bool = Field(
        description="diff > 0, p < alpha and pass_diff >= 0: the best prompt replaced few-shot's."
    )


class SearchRecord(_Recorded):
    """What the search did: results.json keeps it under settings.search."""

    _keeps_order: ClassVar[bool] = False

    budget: int
    calls: int = Field(description="Model calls spent on the validation slice (fresh or cached).")
    val_size: int
    pool_size: int = Field(description="Train examples the demonstrations were drawn from.")
    space: int = Field(description="Candidates in the search space.")
    tried: int = Field(description="Candidates scored on at least one validation example.")
    rounds: int
    winner: str
    winner_val_score: float
    winner_val_n: int
    baseline: str = Field(
        description="The few-shot rung's own prompt and demonstrations, always a candidate."
    )
    baseline_val_score: float | None
    signal: str = Field(
        "pass/fail",
        description="What selection compared: p(expected label), score (graded) or pass/fail.",
    )
    folds: int = Field(1, description="Cross-fitting folds of the validation slice.")
    winner_val_pass: float | None = Field(None, description="The winner's validation pass rate.")
    baseline_val_pass: float | None = Field(None, description="Few-shot's validation pass rate.")
    best: str | None = Field(None, description="The search's best prompt other than few-shot's.")
    versus_baseline: VersusBaseline | None = None
    kept_baseline: bool = Field(
        False, description="No prompt beat few-shot's on validation: few-shot's prompt was kept."
    )
    search_s: float = Field(0.0, description="Seconds the search took (before the test split).")
    proposer: str | None = None
    proposals: list[str] = Field(default_factory=list, description="The proposer's instructions.")
    candidates: list[Tried]


CurveStatus = Literal["projected", "too_few_points", "not_monotone", "flat", "poor_fit"]


class CurvePoint(BaseModel):
    n_train: int = Field(description="Train examples this point learned from.")
    score: Interval = Field(description="Its score on the test split, with the 95% interval.")


class CurveFit(BaseModel):
    """score(n) = a - b * n^(-c), fitted by weighted least squares (weights proportional to n)."""

    a: float = Field(description="The plateau the curve approaches (at most 1).")
    b: float
    c: float
    max_miss_se: float = Field(description="Largest miss at a point, in its standard errors.")


class Projection(BaseModel):
    factor: float = Field(description="Times the largest subset's train examples.")
    n_train: int
    score: Interval = Field(description="Projected score: the fit, and the bootstrap's 95%.")


class ExamplesNeeded(BaseModel):
    """Train examples at which the projected score reaches the bar, within 4x the data."""

    n: int | None = Field(
        description="Where the projected interval's low end clears the bar; None: not within 4x."
    )
    crossing: int | None = Field(
        description="Where the fitted curve itself crosses the bar; None: not within 4x."
    )
    low: int | None = Field(description="2.5th percentile of the resampled crossings.")
    high: int | None = Field(description="97.5th percentile; None: beyond 4x the data.")


class LearningCurve(BaseModel):
    """A rung's learning curve: its points, and what the fit projects (or why nothing)."""

    rung: str | None = None
    status: CurveStatus
    reason: str | None = Field(None, description="Why nothing is projected, in one clause.")
    points: list[CurvePoint]
    fit: CurveFit | None = None
    plateau: Interval | None = Field(None, description="The fitted a, with the bootstrap's 95%.")
    projections: list[Projection] = Field(default_factory=list)
    bar: float | None = None
    examples_needed: ExamplesNeeded | None = Field(
        None, description="Only when a bar is given and the curve projects."
    )
    seed: int = 0
    resamples: int


class RungSettings(_Recorded):
    """A rung's settings: typed where another stage reads them, any other key kept as is."""

    model: ModelUsed | None = None
    usage: Usage | None = None
    methods: list[str] = Field(default_factory=list, description="How answers were scored.")
    cost_usd: float | None = None
    cost_per_request_usd: float | None = None
    calibration: CalibrationDecision | None = None
    prompt_file: str | None = Field(None, description="The prompt written for this rung.")
    retrieval: RetrievalStats | None = None
    search: SearchRecord | None = None
    student: str | None = None
    student_params: int | None = None
    training: TrainingStats | None = None
    train_examples: int | None = Field(None, description="Train examples the adapter saw.")
    train_pool: int | None = Field(None, description="Train examples there were.")
    train_note: str | None = Field(None, description="Why fewer than all (lora.max_train).")
    forgetting: Forgetting | None = None
    sweep: SweepRecord | None = None
    latency_vs: dict[str, LatencyVs] | None = None
    learning_curve: LearningCurve | None = Field(
        None, description="The rung scored with less train data (analysis/learning_curve.py)."
    )

"""What a decision found, as data: the verdict's numbers before any sentence is written.

`decide.py` computes them; `decide_words.py` writes the headline, reasons and answer from
them. results.json keeps them as `verdict.findings` (schema_version 2), so a tool can read
why a verdict was given (which rung, held to which threshold, on which paired test) without
parsing prose. Types only: nothing here decides or calls a model.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from shouldtune.records import Interval
from shouldtune.rung_settings import CurveStatus, ExamplesNeeded

SIGNIFICANT = 0.05  # a paired difference counts when its p-value is below this
# A prompt's failures are a pattern (question 3) when at least this share of them recur when
# re-run under other seeds and wordings; below it the ladder does not climb to the fine-tune.
REPRODUCIBLE_SHARE = 0.5

VerdictKind = Literal["PROMPT", "RAG", "FINE_TUNE", "NOT_ENOUGH_DATA", "INCONCLUSIVE"]
Question = Literal["0. pre-check", "1. prompt", "2. knowledge", "3. specific failure"]
# Which branch of the framework gave the verdict: one sentence template each (decide_words).
Case = Literal[
    "not_enough_data",
    "nothing_run",
    "prompt_meets_bar",
    "prompt_within_reach",
    "prompt_short",
    "prompt_straddles",
    "rag_wins",
    "rag_not_shown_better",
    "rag_straddles",
    "lora_wins",
    "lora_not_shown_better",
    "nothing_reaches_bar",
    "lora_straddles",
    "lora_over_budget",
    "baseline_matches",
]
Position = Literal["above", "below", "straddles"]
PatternCall = Literal["reproducible", "not_reproducible", "unclear"]


class RungScore(BaseModel):
    rung: str
    n: int
    score: Interval


class Threshold(BaseModel):
    """The threshold the deciding rung was held to, and where its 95% interval lies."""

    held_to: Literal["bar", "prompt_fraction"] = Field(
        description="bar, or prompt_fraction x bar (within reach of the bar)"
    )
    value: float
    bar: float
    prompt_fraction: float
    position: Position = Field(description="The whole interval above, below, or straddling it.")


class PairedFinding(BaseModel):
    """The paired test between the deciding rung (b) and the cheaper rung it had to beat (a)."""

    a: str
    b: str
    method: str
    n: int
    p_value: float | None
    gain: float = Field(description="b minus a on the same test examples.")
    better: bool = Field(description="gain > 0 and p below the significance level.")


class RagDiagnosis(BaseModel):
    """Retrieval failure (the answer was not in the passages) or reading failure (it was)."""

    answer_in_context: float | None = Field(description="None: it could not be looked for.")
    measure: str | None = None
    support_threshold: float | None = None
    mean_content_recall: float | None = None
    retrieval_failures: int = 0
    reading_failures: int = 0
    recall_at_k: float | None = None
    top_k: int | None = None
    n_told: int | None = Field(None, description="Test examples where it could be told.")
    n: int | None = None


RouteState = Literal["ruled_out", "open", "short", "reached", "not_run"]


class RouteFinding(BaseModel):
    """One way to the bar (prompting, retrieval, fine-tuning): ruled out, or still open.

    Prompting and retrieval are held to prompt_fraction x bar, the fine-tune to the bar.
    ruled_out: the whole 95% interval is below that threshold. short: a fine-tune whose whole
    interval is below the bar, as trained here (more examples or a larger student may still
    close it). reached: the whole interval at or above it. open: the interval contains it.
    not_run: the rung was not climbed, so nothing is known.
    """

    route: Literal["prompt", "rag", "fine_tune"]
    rung: str | None = Field(None, description="The rung measured for it (the best prompt).")
    state: RouteState
    threshold: float


class ModelFinding(BaseModel):
    """The model the verdict is about: the one the prompt rungs measured."""

    name: str
    backend: str
    builtin: bool = Field(
        False,
        description="One of shouldtune's built-in demo models (what runs when no --model is "
        "given), not the user's own.",
    )


class SearchFinding(BaseModel):
    """What prompt search tried before a fine-tune was weighed against the prompt."""

    tried: int
    calls: int
    val_size: int
    score: Interval
    kept_baseline: bool = Field(
        False, description="No prompt beat few-shot's on validation: few-shot's prompt was kept."
    )


class TrainingFinding(BaseModel):
    wall_s: float | None = None
    forgetting: str | None = Field(None, description="The forgetting summary, when measured.")
    setting: str | None = Field(None, description="The setting reported, when a sweep ran.")
    n_settings: int | None = Field(None, description="Settings the sweep measured.")
    rule: str | None = Field(None, description="How the sweep chose the setting reported.")
    n_train: int | None = Field(None, description="Train examples the adapter saw.")
    n_pool: int | None = Field(None, description="Train examples there were.")


class SettingFinding(BaseModel):
    """One measured fine-tune setting, as the budget reads it."""

    label: str = Field(description="The setting in words, e.g. 'rank=4' ('as given': no override).")
    score: Interval | None = Field(None, description="Its test score (reporting only).")
    probe_drop: float | None = Field(None, description="Points of general-probe accuracy lost.")
    kl: float | None = Field(None, description="Mean KL from the base model, nats/token.")
    within: bool = Field(description="Within the budget (False also when it could not be told).")


class ForgettingFinding(BaseModel):
    """The forgetting budget against the chosen fine-tune setting and the others measured."""

    max_probe_drop: float | None = None
    max_kl: float | None = None
    chosen: SettingFinding = Field(description="The setting the lora rung reports.")
    broken: list[str] = Field(
        default_factory=list, description="Which limits the chosen setting breaks, in words."
    )
    n_settings: int = Field(1, description="Fine-tune settings measured (more than 1: a sweep).")
    n_within: int = Field(0, description="Of them, how many kept within the budget.")
    second_model_usd: float | None = Field(
        None, description="Monthly cost of keeping the general model beside it (cost.two_models)."
    )


class PatternFinding(BaseModel):
    """The analysed prompt rung's failures re-run: do they recur (question 3)?"""

    rung: str
    n_checked: int
    reproducible: int
    n_conditions: int
    share: Interval
    call: PatternCall
    top_category: str | None = Field(None, description="Truncated answers are never counted.")
    top_count: int | None = None
    n_counted: int | None = Field(None, description="Failures less those the budget cut off.")
    confused_expected: str | None = None
    confused_predicted: str | None = None


class BudgetFinding(BaseModel):
    """Failures cut off by the generation budget: a setting of the run, not the model."""

    rung: str
    truncated: int
    n_failed: int


class FloorPair(BaseModel):
    """One rung against the constant answer on the same test examples (baseline.pairs)."""

    rung: str
    method: str
    n: int
    p_value: float | None
    gain: float = Field(description="The rung minus the constant, on the same test examples.")
    beats: bool = Field(description="gain > 0 and p below the significance level.")


class BaselineFinding(BaseModel):
    """The model-free constant as the decision read it: a floor no verdict may stand on."""

    constant: str = Field(description="The constant answer, shortened as the words quote it.")
    how: str
    n: int
    score: Interval
    pairs: list[FloorPair] = Field(default_factory=list)
    matched: list[str] = Field(
        default_factory=list,
        description=(
            "Rungs not shown better than the constant (paired): never recommended, never the "
            "closest rung."
        ),
    )

    def pair(self, rung: str | None) -> FloorPair | None:
        return next((p for p in self.pairs if p.rung == rung), None)


class CurveFinding(BaseModel):
    """What a rung's learning curve projects more train examples to do (or why nothing)."""

    rung: str
    status: CurveStatus
    reason: str | None = Field(None, description="Why nothing is projected.")
    n_train: int = Field(description="Train examples of the largest point (the rung's own).")
    bar: float
    n_4x: int | None = Field(None, description="4x the train examples, where projected.")
    at_4x: Interval | None = Field(None, description="The projected score at 4x the data.")
    plateau: Interval | None = None
    needed: ExamplesNeeded | None = None


class Findings(BaseModel):
    """Everything the verdict turned on; the prose is rendered from this."""

    case: Case
    kind: VerdictKind
    question: Question
    rung: str | None = Field(None, description="The deciding rung (the verdict's best_rung).")
    gap: float | None = None
    threshold: Threshold | None = None
    paired: PairedFinding | None = None
    examples_needed: int | None = None
    best_prompt: str | None = Field(None, description="The best prompt rung (question 1).")
    best_cheaper: str | None = Field(None, description="The best rung cheaper than training.")
    scores: list[RungScore] = Field(default_factory=list)
    rag: RagDiagnosis | None = None
    rag_fell_short: bool = Field(False, description="RAG ran and settled nothing.")
    not_run: list[str] = Field(default_factory=list, description="rag or lora, not climbed.")
    search: SearchFinding | None = None
    training: TrainingFinding | None = None
    pattern: PatternFinding | None = None
    budget: BudgetFinding | None = None
    forgetting: ForgettingFinding | None = Field(
        None, description="The forgetting budget's check, when one is set and lora ran."
    )
    n_usable: int | None = None
    min_examples: int | None = None
    prompt_file: str | None = None
    baseline: BaselineFinding | None = Field(
        None, description="The constant answer and each rung against it (None: not measured)."
    )
    matched_rung: str | None = Field(
        None,
        description=(
            "baseline_matches: the rung the framework would have named, which the constant "
            "matches; `rung` is then the best rung that beats the constant, if any."
        ),
    )
    routes: list[RouteFinding] = Field(
        default_factory=list,
        description="Each route to the bar, ruled out or still open (an INCONCLUSIVE answer "
        "says which).",
    )
    measured_model: ModelFinding | None = Field(
        None, description="The model measured; the answer's first sentence names it."
    )
    learning_curve: CurveFinding | None = Field(
        None,
        description="The learning curve of the deciding rung (or the best prompt rung), when "
        "measured: NOT_ENOUGH_DATA and INCONCLUSIVE say what more examples would do.",
    )

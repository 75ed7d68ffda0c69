"""What a run hands on: the prepared task, comparisons between rungs, and results.json's model.

These types sit below both the pipeline (`ladder`) and the reports (`report/`): the ladder
builds them, the reports read them back from disk, and neither imports the other. Nothing
here loads or calls a model.
"""

from __future__ import annotations

import dataclasses

from pydantic import BaseModel, Field

from shouldtune import __version__
from shouldtune.analysis.failures import FailureSummary
from shouldtune.analysis.reproducibility import Reproducibility
from shouldtune.baseline import Baseline
from shouldtune.budget import GenerationBudget
from shouldtune.cost import CostReport
from shouldtune.decide import Verdict
from shouldtune.models.base import ModelInfo
from shouldtune.pii import Finding
from shouldtune.precheck import PrecheckReport
from shouldtune.records import Comparison, RungResult
from shouldtune.spec import TaskSpec
from shouldtune.split import Split


class SplitSummary(BaseModel):
    n_train: int
    n_test: int
    seed: int
    stratified: bool
    test_ids: list[str]
    train_ids: list[str]
    note: str | None = Field(
        None, description="Why the test set is smaller than test_fraction gives (the cap)."
    )


class RunResult(BaseModel):
    """Everything a run measured and concluded; results.json is this model."""

    # 2: verdict.findings, the decision as data. Version 1 files (without it) still load.
    schema_version: int = 2
    shouldtune_version: str = __version__
    task: str
    run_dir: str | None
    model: ModelInfo
    scorer: str
    labels: list[str] | None
    bar: float
    prompt_fraction: float
    precheck: PrecheckReport
    split: SplitSummary
    rungs: list[RungResult]
    baseline: Baseline | None = Field(
        None,
        description=(
            "The model-free constant answer (chosen on train) scored on test like a rung; "
            "never a verdict candidate. None: the scorer needs a model (judge), or an old run."
        ),
    )
    skipped: dict[str, str] = Field(
        default_factory=dict, description="Rungs not climbed, with the reason."
    )
    comparisons: list[Comparison]
    failures: list[FailureSummary] = Field(
        default_factory=list, description="Each rung's failures by category."
    )
    reproducibility: Reproducibility | None = Field(
        None, description="The best prompt rung's failures re-run under seeds and variants."
    )
    cost: CostReport | None = Field(
        None, description="Monthly spend per option, the fine-tune's cost and break-even."
    )
    generation_budget: GenerationBudget | None = Field(
        None, description="max_new_tokens as used: set in the spec or derived from train."
    )
    verdict: Verdict
    wall_s: float
    planned_s: float | None = Field(
        None,
        description=(
            "The plan's estimate of the run's seconds before it started (every rung that may "
            "run counted), to set against wall_s."
        ),
    )


@dataclasses.dataclass
class Prepared:
    """The task ready to climb: examples validated, pre-checked and split.

    `spec` carries the generation budget actually used (`budget`) in max_new_tokens. `pii`:
    what the personal-data scan found, masked; shown on the terminal, never written (the
    pre-check report keeps only the counts).
    """

    spec: TaskSpec
    scorer_name: str
    labels: list[str] | None
    precheck: PrecheckReport
    split: Split
    budget: GenerationBudget | None = None
    pii: list[Finding] = dataclasses.field(default_factory=list)

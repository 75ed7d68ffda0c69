"""The cost model: training estimate, API spend, serving, break-even, price table overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shouldtune.cost import (
    FLOPS_PER_PARAM_TOKEN,
    MFU_MIN_PARAMS,
    PriceTable,
    TokenUse,
    api_option,
    break_even,
    build_report,
    estimate_serving,
    estimate_training,
    gpus_needed,
    load_price_table,
    measure_mfu,
    prices_for,
    run_cost,
    rung_tokens,
    two_models,
)
from shouldtune.records import Interval, RungResult
from shouldtune.rung_settings import Forgetting
from shouldtune.spec import ApiSpec, CostSpec, SpecError, TaskSpec, load_spec

PRICES = PriceTable()


def rung(
    name: str,
    score: float,
    prompt_tokens: float,
    completion_tokens: float = 0.0,
    settings: dict[str, Any] | None = None,
) -> RungResult:
    return RungResult(
        rung=name,
        n=40,
        score=Interval(
            point=score, low=max(0.0, score - 0.1), high=min(1.0, score + 0.1), method="wilson"
        ),
        pass_rate=score,
        mean_latency_s=0.1,
        mean_prompt_tokens=prompt_tokens,
        mean_completion_tokens=completion_tokens,
        computed_calls=40,
        cached_calls=0,
        wall_s=4.0,
        settings=settings or {},
    )


# --- training ----------------------------------------------------------------------------------


def test_7b_lora_on_a_few_thousand_examples_lands_near_the_seed_figure() -> None:
    # The seed (May 2026): LoRA of a 7B on one H100 costs about $15-30 for a 4-hour run.
    # The estimate is arithmetic, not a lookup, so hold it to the same order of magnitude.
    estimate = estimate_training(
        PRICES, params=7e9, tokens_per_example=800, examples=3000, epochs=3
    )
    assert estimate.gpus == 1 and estimate.gpu == "H100"
    assert 1.0 <= estimate.hours <= 6.0
    assert 5.0 <= estimate.cost_usd <= 40.0
    assert estimate.cost_usd == pytest.approx(estimate.hours * PRICES.gpus["H100"].usd_per_hour)


def test_full_fine_tune_of_a_32b_needs_several_gpus_and_costs_more_per_token() -> None:
    # The seed's full fine-tune of a 32B runs on 4x H100.
    assert gpus_needed(32e9, "full", PRICES.gpus["H100"], PRICES) == 4
    assert gpus_needed(7e9, "lora", PRICES.gpus["H100"], PRICES) == 1
    lora = estimate_training(
        PRICES, params=32e9, tokens_per_example=1000, examples=10_000, epochs=2, method="lora"
    )
    full = estimate_training(
        PRICES, params=32e9, tokens_per_example=1000, examples=10_000, epochs=2, method="full"
    )
    assert full.flops / lora.flops == pytest.approx(
        FLOPS_PER_PARAM_TOKEN["full"] / FLOPS_PER_PARAM_TOKEN["lora"]
    )
    assert full.cost_usd > lora.cost_usd


def test_compute_time_scales_with_params_tokens_and_epochs() -> None:
    base = estimate_training(PRICES, params=7e9, tokens_per_example=500, examples=2000, epochs=1)
    bigger = estimate_training(PRICES, params=14e9, tokens_per_example=500, examples=2000, epochs=1)
    longer = estimate_training(PRICES, params=7e9, tokens_per_example=500, examples=2000, epochs=3)
    assert base.train_tokens == 500 * 2000
    assert bigger.compute_hours == pytest.approx(2 * base.compute_hours)
    assert longer.compute_hours == pytest.approx(3 * base.compute_hours)
    # The fixed overhead does not grow with the data.
    assert longer.hours - longer.compute_hours == pytest.approx(PRICES.overhead_hours)


def test_a_measured_mfu_on_a_large_enough_gpu_run_changes_the_estimate() -> None:
    params = 3e9
    tokens_per_s = 2500.0
    measured = measure_mfu(
        PRICES,
        device="NVIDIA H100 80GB HBM3",
        dtype="bfloat16",
        params=params,
        tokens_per_s=tokens_per_s,
    )
    expected = FLOPS_PER_PARAM_TOKEN["lora"] * params * tokens_per_s / 989e12
    assert measured.applied
    assert measured.measured_mfu == pytest.approx(expected)
    default = estimate_training(PRICES, params=7e9, tokens_per_example=800, examples=3000, epochs=3)
    with_mfu = estimate_training(
        PRICES, params=7e9, tokens_per_example=800, examples=3000, epochs=3, measured=measured
    )
    assert with_mfu.mfu == pytest.approx(expected)
    assert with_mfu.mfu_source.startswith("calibrated")  # the wording results.json keeps
    # Compute time is inversely proportional to the MFU.
    assert with_mfu.compute_hours == pytest.approx(
        default.compute_hours * default.mfu / with_mfu.mfu
    )


def test_cpu_and_tiny_model_measurements_are_reported_but_not_applied() -> None:
    cpu = measure_mfu(PRICES, device="cpu", dtype="float32", params=135e6, tokens_per_s=180)
    assert not cpu.applied and cpu.measured_mfu is None
    assert "not a GPU" in cpu.note
    tiny = measure_mfu(
        PRICES, device="NVIDIA H200", dtype="float32", params=135e6, tokens_per_s=5000
    )
    assert tiny.params < MFU_MIN_PARAMS
    assert not tiny.applied and tiny.measured_mfu is not None
    # fp32 runs are held to the fp32 peak, not the bf16 one.
    assert tiny.measured_mfu == pytest.approx(4 * 135e6 * 5000 / 67e12)
    kept = estimate_training(
        PRICES, params=7e9, tokens_per_example=800, examples=100, epochs=1, measured=tiny
    )
    assert kept.mfu == PRICES.mfu["lora"]


# --- spend, serving, break-even ------------------------------------------------------------------


def test_api_spend_is_tokens_times_price_times_volume_and_longer_prompts_cost_more() -> None:
    short = api_option(TokenUse(prompt_tokens=100, completion_tokens=10, source="x"), PRICES, 1000)
    long = api_option(TokenUse(prompt_tokens=900, completion_tokens=10, source="x"), PRICES, 1000)
    per = (100 * PRICES.api_input_usd_per_mtok + 10 * PRICES.api_output_usd_per_mtok) / 1e6
    assert short.monthly_usd == pytest.approx(per * 1000)
    assert short.usd_per_1k_requests == pytest.approx(per * 1000)
    assert long.monthly_usd > short.monthly_usd


def test_break_even_is_upfront_over_savings_and_never_without_savings() -> None:
    even = break_even("few_shot", 500.0, 100.0, 120.0, "test")
    assert even.monthly_savings_usd == 400.0
    assert even.months == pytest.approx(120.0 / 400.0)
    assert break_even("few_shot", 100.0, 100.0, 120.0, "test").months is None
    assert break_even("few_shot", 50.0, 100.0, 120.0, "test").months is None


def test_serving_picks_the_cheaper_of_per_token_and_a_dedicated_gpu() -> None:
    use = TokenUse(prompt_tokens=200, completion_tokens=50, source="x")
    quiet = estimate_serving(PRICES, use, params=7e9, requests=10_000)
    busy = estimate_serving(PRICES, use, params=7e9, requests=2_000_000_000)
    # A dedicated endpoint is billed while up: a quiet month pays the whole floor.
    floor = PRICES.serving_min_hours_per_month * PRICES.gpus[PRICES.serving_gpu].usd_per_hour
    assert quiet.dedicated_monthly_usd == pytest.approx(floor)
    assert quiet.chosen == "per_token"
    assert busy.chosen == "dedicated"
    assert busy.monthly_usd == busy.dedicated_monthly_usd < busy.per_token_monthly_usd


def test_material_forgetting_prices_a_second_model_on_dedicated_serving() -> None:
    use = TokenUse(prompt_tokens=200, completion_tokens=50, source="x")
    dedicated = estimate_serving(PRICES, use, params=7e9, requests=2_000_000_000)
    material = Forgetting(probe_base=0.65, probe_tuned=0.35, ppl_change=0.02)
    slight = Forgetting(probe_base=0.65, probe_tuned=0.62, ppl_change=0.01)
    found = two_models(material, dedicated, PRICES)
    assert found is not None and found.material and found.monthly_usd > 0
    minor = two_models(slight, dedicated, PRICES)
    assert minor is not None and not minor.material and minor.monthly_usd == 0
    assert two_models(None, dedicated, PRICES) is None


def test_report_compares_the_tuned_option_with_the_baseline() -> None:
    options = {
        "zero_shot": TokenUse(prompt_tokens=100, completion_tokens=5, source="measured"),
        "few_shot": TokenUse(prompt_tokens=900, completion_tokens=5, source="measured"),
    }
    training = estimate_training(PRICES, params=7e9, tokens_per_example=105, examples=500, epochs=3)
    report = build_report(
        PRICES,
        requests=1_000_000,
        options=options,
        tuned=TokenUse(prompt_tokens=100, completion_tokens=5, source="measured"),
        basis="test",
        baseline="few_shot",
        training=training,
    )
    assert set(report.options) == {"zero_shot", "few_shot", "fine_tuned"}
    even = report.break_even
    assert even is not None and even.baseline == "few_shot"
    assert even.upfront_usd == training.cost_usd
    assert even.monthly_savings_usd == pytest.approx(
        report.options["few_shot"].monthly_usd - report.options["fine_tuned"].monthly_usd
    )
    assert even.months == pytest.approx(even.upfront_usd / even.monthly_savings_usd)
    assert report.as_of == PRICES.as_of


# --- a measured run ----------------------------------------------------------------------------


def spec_for(tmp_path: Path, **cost: Any) -> TaskSpec:
    return TaskSpec(data=tmp_path / "d.jsonl", cost=CostSpec(**cost))


def test_run_cost_uses_measured_tokens_and_the_best_prompt_rung(tmp_path: Path) -> None:
    results = [
        rung("zero_shot", 0.3, prompt_tokens=80),
        rung("few_shot", 0.6, prompt_tokens=700),
        rung(
            "lora",
            0.9,
            prompt_tokens=80,
            settings={
                "training": {"tokens_per_s": 180.0, "device": "cpu", "dtype": "float32"},
                "student": "smollm2-135m",
                "student_params": 135_000_000,
                "forgetting": {"probe_base": 0.65, "probe_tuned": 0.35, "ppl_change": 0.1},
            },
        ),
    ]
    spec = spec_for(tmp_path, requests_per_month=50_000)
    report = run_cost(
        spec, PRICES, results, train_examples=300, answer_tokens=3.0, local_params=135_000_000
    )
    assert report is not None
    # Label tasks generate nothing while scored; the answer is priced at the labels' length.
    assert report.options["few_shot"].completion_tokens == 3.0
    assert report.options["few_shot"].prompt_tokens == 700
    assert "lora" not in report.options
    assert report.options["fine_tuned"].prompt_tokens == 80
    assert report.break_even is not None and report.break_even.baseline == "few_shot"
    assert "measured" in report.break_even.basis
    assert report.training.train_examples == 300
    assert report.training.tokens_per_example == 83.0
    assert report.training.epochs == spec.lora.epochs
    assert report.training.calibration is not None
    assert not report.training.calibration.applied
    assert report.two_models is not None and report.two_models.material
    assert report.requests_per_month == 50_000


def test_run_cost_without_a_fine_tune_assumes_the_short_prompt(tmp_path: Path) -> None:
    results = [
        rung("zero_shot", 0.3, prompt_tokens=80, completion_tokens=12),
        rung("few_shot", 0.9, prompt_tokens=700, completion_tokens=12),
    ]
    spec = spec_for(tmp_path, train_examples=5000, target_params=13e9)
    report = run_cost(
        spec, PRICES, results, train_examples=100, answer_tokens=3.0, local_params=None
    )
    assert report is not None
    assert report.options["fine_tuned"].source.startswith("assumed")
    # Generated answers are measured, so the expected answers' length is not used.
    assert report.options["few_shot"].completion_tokens == 12
    assert report.training.train_examples == 5000
    assert report.training.target_params == 13e9
    assert report.two_models is None
    assert any("no fine-tune was measured" in note for note in report.notes)


def _lora(student_params: int | None) -> RungResult:
    settings: dict[str, Any] = {"student": "smollm2-135m"}
    if student_params is not None:
        settings["student_params"] = student_params
    return rung("lora", 0.9, prompt_tokens=80, settings=settings)


def test_the_fine_tune_is_priced_for_the_model_measured(tmp_path: Path) -> None:
    prompts = [rung("zero_shot", 0.3, prompt_tokens=80), rung("few_shot", 0.6, prompt_tokens=700)]
    spec = spec_for(tmp_path)

    def priced(results: list[RungResult], local: int | None, **cost: Any) -> Any:
        report = run_cost(
            spec_for(tmp_path, **cost) if cost else spec,
            PRICES,
            results,
            train_examples=100,
            answer_tokens=3.0,
            local_params=local,
        )
        assert report is not None
        return report.training

    # The LoRA rung's student, when it ran.
    student = priced([*prompts, _lora(360_000_000)], 135_000_000)
    assert student.target_params == 360_000_000 and student.target_model == "smollm2-135m"
    assert student.params_source == "the measured student"
    # No fine-tune: the local model that was prompted.
    local = priced(prompts, 135_000_000)
    assert local.target_params == 135_000_000 and local.target_model == spec.model
    assert local.params_source == "the measured model"
    # A production model the spec names wins over what was measured.
    named = priced([*prompts, _lora(360_000_000)], 135_000_000, target_params=8e9)
    assert named.target_params == 8e9 and named.params_source == "cost.target_params"
    # A served model of unknown size: an assumption, and the record says so.
    assumed = priced(prompts, None)
    assert assumed.params_source.startswith("assumed") and "cost.target_params" in (
        assumed.params_source
    )
    # A smaller model trains for less.
    assert local.cost_usd < assumed.cost_usd


def test_break_even_is_a_what_if_unless_the_fine_tune_was_measured(tmp_path: Path) -> None:
    prompts = [rung("zero_shot", 0.3, prompt_tokens=80), rung("few_shot", 0.6, prompt_tokens=700)]
    spec = spec_for(tmp_path)
    args: dict[str, Any] = {"train_examples": 100, "answer_tokens": 3.0, "local_params": None}
    unmeasured = run_cost(spec, PRICES, prompts, **args)
    measured = run_cost(spec, PRICES, [*prompts, _lora(135_000_000)], **args)
    assert unmeasured is not None and unmeasured.break_even is not None
    assert measured is not None and measured.break_even is not None
    assert not unmeasured.break_even.measured and measured.break_even.measured
    assert "not measured" in unmeasured.break_even.basis
    assert "what-if" in unmeasured.options["fine_tuned"].served_by
    assert "what-if" not in measured.options["fine_tuned"].served_by


@pytest.mark.parametrize("kind", ["PROMPT", "RAG"])
def test_a_verdict_against_fine_tuning_works_out_no_payback(tmp_path: Path, kind: str) -> None:
    prompts = [rung("zero_shot", 0.3, prompt_tokens=80), rung("few_shot", 0.9, prompt_tokens=700)]
    report = run_cost(
        spec_for(tmp_path),
        PRICES,
        prompts,
        train_examples=100,
        answer_tokens=3.0,
        local_params=None,
        verdict=kind,
    )
    assert report is not None and report.break_even is None
    assert any(f"the verdict is {kind}" in note and "few_shot" in note for note in report.notes)
    other = run_cost(
        spec_for(tmp_path),
        PRICES,
        prompts,
        train_examples=100,
        answer_tokens=3.0,
        local_params=None,
        verdict="INCONCLUSIVE",
    )
    assert other is not None and other.break_even is not None


def test_a_local_model_without_api_prices_is_priced_self_hosted(tmp_path: Path) -> None:
    prompts = [rung("zero_shot", 0.3, prompt_tokens=80), rung("few_shot", 0.6, prompt_tokens=700)]
    args: dict[str, Any] = {"train_examples": 100, "answer_tokens": 3.0}
    local = run_cost(spec_for(tmp_path), PRICES, prompts, local_params=135_000_000, **args)
    assert local is not None and local.prompted_by == "self_hosted"
    assert not local.placeholder_api  # no figure depends on the placeholder API prices
    few = local.options["few_shot"]
    assert few.served_by.startswith(f"self-hosted {local.prompted_model}")
    # Served like the fine-tune: the same model and rates, so only the prompt length differs.
    assert few.monthly_usd > local.options["fine_tuned"].monthly_usd
    served = run_cost(spec_for(tmp_path), PRICES, prompts, local_params=None, **args)
    assert served is not None and served.prompted_by == "api" and served.placeholder_api
    priced = spec_for(tmp_path).model_copy(update={"api": ApiSpec(price_input=1.0)})
    yours = run_cost(priced, PRICES, prompts, local_params=135_000_000, **args)
    assert yours is not None and yours.prompted_by == "api"


def test_usage_figures_are_preferred_to_the_rung_means() -> None:
    totals = rung(
        "few_shot",
        0.5,
        prompt_tokens=700,
        settings={
            "usage": {
                "prompt_tokens": 9000,
                "completion_tokens": 300,
                "requests": 10,
                "source": "server",
            }
        },
    )
    means = rung(
        "few_shot",
        0.5,
        prompt_tokens=700,
        settings={
            "usage": {
                "mean_prompt_tokens": 850.0,
                "mean_completion_tokens": 0.0,
                "source": "tokenizer",
            }
        },
    )
    assert rung_tokens(totals, 3.0) == TokenUse(
        prompt_tokens=900, completion_tokens=30, source="server usage"
    )
    local = rung_tokens(means, 3.0)
    assert local == TokenUse(prompt_tokens=850.0, completion_tokens=3.0, source="measured")
    assert rung_tokens(rung("few_shot", 0.5, prompt_tokens=700), 3.0).prompt_tokens == 700


# --- the price table -----------------------------------------------------------------------------


def test_a_price_table_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text("as_of: '2026-09'\ngpus:\n  H100:\n    usd_per_hour: 2.0\n")
    table = load_price_table(path)
    assert table.as_of == "2026-09"
    assert table.gpus["H100"].usd_per_hour == 2.0
    assert table.gpus["H100"].peak_bf16_tflops == PRICES.gpus["H100"].peak_bf16_tflops
    assert table.gpus["A100"] == PRICES.gpus["A100"]
    cheaper = estimate_training(table, params=7e9, tokens_per_example=800, examples=3000, epochs=3)
    default = estimate_training(PRICES, params=7e9, tokens_per_example=800, examples=3000, epochs=3)
    ratio = 2.0 / PRICES.gpus["H100"].usd_per_hour
    assert cheaper.cost_usd == pytest.approx(default.cost_usd * ratio)


def test_price_table_errors_name_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text('{"gpus": {"H100": {"usd_per_hour": -1}}, "api_inputt": 1}')
    with pytest.raises(SpecError) as error:
        load_price_table(path)
    assert f"{path}:1: gpus.H100.usd_per_hour" in str(error.value)
    assert f"{path}:1: api_inputt: unknown key" in str(error.value)


def test_spec_overrides_apply_on_top_of_the_table() -> None:
    table = prices_for(CostSpec(gpu="A100", gpu_usd_per_hour=1.25), api_input=3.0, api_output=15)
    assert table.training_gpu == "A100"
    assert table.gpus["A100"].usd_per_hour == 1.25
    assert table.api_input_usd_per_mtok == 3.0 and table.api_output_usd_per_mtok == 15
    assert table.api_model == "your prices"
    with pytest.raises(SpecError, match="not in the price table"):
        prices_for(CostSpec(gpu="TPU"))


def test_spec_price_table_path_is_relative_to_the_spec(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    spec_path = tmp_path / "sub" / "task.yaml"
    spec_path.write_text(
        "data: d.jsonl\ncost:\n  price_table: prices.yaml\n  requests_per_month: 7\n"
    )
    spec = load_spec(spec_path)
    assert spec.cost.price_table == tmp_path / "sub" / "prices.yaml"
    assert spec.cost.requests_per_month == 7


def test_a_price_table_with_a_repeated_key_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text("api_input_per_mtok: 1\napi_input_per_mtok: 2\n", encoding="utf-8")
    with pytest.raises(SpecError, match=rf"^{path}:2: duplicate key"):
        load_price_table(path)

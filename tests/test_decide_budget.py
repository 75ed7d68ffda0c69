"""The forgetting budget in the verdict, on scripted rung results (no model)."""

from __future__ import annotations

import pytest

from shouldtune.cost import PriceTable, Serving, two_models
from shouldtune.decide import Verdict, decide, with_second_model
from shouldtune.rung_settings import Forgetting, SweepPoint, SweepRecord
from shouldtune.spec import ForgettingBudget
from tests.test_decide import _cmp, rung

# The bundled FINE_TUNE demo's kind of forgetting: the general probe falls 65% -> 10%.
HEAVY = Forgetting(probe_base=0.65, probe_tuned=0.10, n_probe=20, kl_mean=0.9, summary="heavy")
LIGHT = Forgetting(probe_base=0.65, probe_tuned=0.60, n_probe=20, kl_mean=0.1, summary="light")


def _verdict(forgetting: Forgetting | None, budget: ForgettingBudget | None) -> Verdict:
    lora = rung("lora", 0.94, 0.84, 0.98)
    lora.settings.forgetting = forgetting
    return decide(
        [rung("zero_shot", 0.2, 0.1, 0.3), rung("few_shot", 0.4, 0.3, 0.5), lora],
        bar=0.8,
        prompt_fraction=0.8,
        enough_data=True,
        n_usable=200,
        min_examples=50,
        comparisons=[_cmp("few_shot", "lora", 0.54, 1e-6, 1, 28)],
        budget=budget,
    )


def test_the_budget_turns_a_fine_tune_that_forgets_too_much_into_no_clean_fine_tune() -> None:
    assert _verdict(HEAVY, None).kind == "FINE_TUNE"  # no budget: today's verdict
    v = _verdict(HEAVY, ForgettingBudget(max_probe_drop=10))
    assert v.kind == "INCONCLUSIVE"
    assert v.findings is not None and v.findings.case == "lora_over_budget"
    assert "breaks the forgetting budget" in v.headline
    assert "55 points" in v.headline
    assert "keeping the general model in production beside it" in v.answer
    # No sweep ran: it says only the given settings were measured and how to measure more.
    assert "--sweep" in v.answer
    assert "few_shot" in v.answer  # the option that keeps within the budget, with its score


def test_a_fine_tune_within_the_budget_stays_fine_tune_and_says_so() -> None:
    v = _verdict(LIGHT, ForgettingBudget(max_probe_drop=10, max_kl=0.5))
    assert v.kind == "FINE_TUNE"
    assert v.findings is not None and v.findings.forgetting is not None
    assert v.findings.forgetting.chosen.within
    assert "keeps within your forgetting budget" in v.answer


def test_the_kl_limit_alone_can_break_the_budget() -> None:
    v = _verdict(LIGHT, ForgettingBudget(max_kl=0.05))
    assert v.kind == "INCONCLUSIVE"
    assert "KL 0.100" in v.headline


def test_forgetting_not_measured_cannot_show_it_kept_within_the_budget() -> None:
    v = _verdict(None, ForgettingBudget(max_probe_drop=10))
    assert v.kind == "INCONCLUSIVE"
    assert "not measured" in v.headline


def test_a_swept_over_budget_verdict_counts_the_settings_that_were_tried() -> None:
    lora = rung("lora", 0.94, 0.84, 0.98)
    lora.settings.forgetting = HEAVY
    points = [
        SweepPoint(label=name, overrides={}, val_score=0.9, val_n=10, within_budget=False)
        for name in ("as given", "rank=4")
    ]
    lora.settings.sweep = SweepRecord(val_size=10, chosen=1, rule="r", points=points)
    v = decide(
        [rung("few_shot", 0.4, 0.3, 0.5), lora],
        bar=0.8,
        prompt_fraction=0.8,
        enough_data=True,
        n_usable=200,
        min_examples=50,
        comparisons=[_cmp("few_shot", "lora", 0.54, 1e-6, 1, 28)],
        budget=ForgettingBudget(max_probe_drop=10),
    )
    assert v.kind == "INCONCLUSIVE"
    assert "None of the 2 fine-tune settings" in v.answer
    assert "rank=4" in v.answer  # the reported setting is named


def _serving() -> Serving:
    return Serving(
        per_token_monthly_usd=10.0,
        dedicated_monthly_usd=500.0,
        dedicated_busy_hours=1.0,
        dedicated_gpu="L4",
        chosen="dedicated",
        monthly_usd=500.0,
    )


@pytest.mark.parametrize(
    ("budget", "material"),
    [(None, False), (ForgettingBudget(max_probe_drop=2), True), (ForgettingBudget(), False)],
)
def test_material_follows_the_budget_when_one_is_set(
    budget: ForgettingBudget | None, material: bool
) -> None:
    # A 5-point drop is below the built-in 10% threshold, past a 2-point budget.
    second = two_models(LIGHT, _serving(), PriceTable(), budget)
    assert second is not None and second.material is material
    if material:
        assert second.monthly_usd > 0 and "forgetting budget" in second.reason


def test_the_over_budget_verdict_names_what_the_second_model_costs() -> None:
    v = _verdict(HEAVY, ForgettingBudget(max_probe_drop=10))
    priced = with_second_model(v, 1234.0)
    assert "$1,234 a month" in priced.answer and "$" not in v.answer
    assert priced.kind == v.kind and priced.headline == v.headline
    assert with_second_model(_verdict(HEAVY, None), 1234.0).answer == _verdict(HEAVY, None).answer


def test_a_swept_fine_tune_names_the_setting_it_reports_and_how_it_was_chosen() -> None:
    lora = rung("lora", 0.94, 0.84, 0.98)
    lora.settings.forgetting = LIGHT
    points = [
        SweepPoint(label=name, overrides={}, val_score=0.9, val_n=10, within_budget=True)
        for name in ("as given", "epochs=1")
    ]
    rule = "the best validation score among the settings within the forgetting budget"
    lora.settings.sweep = SweepRecord(val_size=10, chosen=1, rule=rule, points=points)
    v = decide(
        [rung("few_shot", 0.4, 0.3, 0.5), lora],
        bar=0.8,
        prompt_fraction=0.8,
        enough_data=True,
        n_usable=200,
        min_examples=50,
        comparisons=[_cmp("few_shot", "lora", 0.54, 1e-6, 1, 28)],
        budget=ForgettingBudget(max_probe_drop=10),
    )
    assert v.kind == "FINE_TUNE"
    assert "setting epochs=1, one of 2 measured: " + rule in v.answer
    assert "2 of 2 settings measured kept within it" in " ".join(v.reasons)

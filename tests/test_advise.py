"""`shouldtune advise`'s logic: the three answers and the examples in hand -> a verdict, priced."""

from __future__ import annotations

from typing import Any

import pytest

from shouldtune.advise import TYPICAL_TRAIN_EXAMPLES, AdviceInput, advise, parse_params
from shouldtune.cost import PriceTable

PRICES = PriceTable()


def given(**fields: Any) -> AdviceInput:
    return AdviceInput.model_validate({"examples": 200, **fields})


@pytest.mark.parametrize(
    ("answers", "kind"),
    [
        ({"prompt_works": "yes"}, "PROMPT"),
        ({"prompt_works": "yes", "knowledge_gap": "yes", "pattern": "yes"}, "PROMPT"),
        ({"prompt_works": "unsure", "pattern": "yes"}, "PROMPT"),
        ({"prompt_works": "no", "knowledge_gap": "yes"}, "RAG"),
        ({"prompt_works": "no", "knowledge_gap": "yes", "pattern": "yes"}, "RAG"),
        ({"prompt_works": "no", "knowledge_gap": "no", "pattern": "yes"}, "FINE_TUNE"),
        ({"prompt_works": "no", "knowledge_gap": "no", "pattern": "no"}, "INCONCLUSIVE"),
        ({"prompt_works": "no", "knowledge_gap": "unsure", "pattern": "unsure"}, "INCONCLUSIVE"),
    ],
)
def test_the_questions_climb_cheapest_first(answers: dict[str, str], kind: str) -> None:
    assert advise(given(**answers), PRICES).kind == kind


def test_a_pattern_without_50_examples_is_not_enough_data() -> None:
    advice = advise(
        given(prompt_works="no", knowledge_gap="no", pattern="yes", examples=12), PRICES
    )
    assert advice.kind == "NOT_ENOUGH_DATA"
    assert advice.examples_advice is not None
    assert "at least 50" in advice.examples_advice
    assert "shouldtune check" in advice.examples_advice


def test_the_examples_advice_follows_min_examples() -> None:
    assert advise(given(examples=60), PRICES).examples_advice is None
    advice = advise(given(examples=60, min_examples=100), PRICES)
    assert advice.examples_advice is not None and "at least 100" in advice.examples_advice


def test_the_calculator_prices_the_stated_sizes() -> None:
    advice = advise(
        given(
            prompt_works="no",
            knowledge_gap="no",
            pattern="yes",
            requests_per_month=300_000,
            prompt_tokens=2000,
            tuned_prompt_tokens=150,
            answer_tokens=50,
        ),
        PRICES,
    )
    cost = advice.cost
    prompt = cost.options["prompt"]
    assert prompt.monthly_usd == pytest.approx(
        300_000 * (2000 * PRICES.api_input_usd_per_mtok + 50 * PRICES.api_output_usd_per_mtok) / 1e6
    )
    assert cost.options["rag"].monthly_usd > prompt.monthly_usd
    even = cost.break_even
    assert even is not None and even.baseline == "prompt" and even.months is not None
    assert even.months == pytest.approx(even.upfront_usd / even.monthly_savings_usd)
    assert cost.training.train_examples == 200
    assert cost.training.tokens_per_example == 200
    # The answer quotes the same figures as the table.
    assert f"${even.upfront_usd:,.2f}" in advice.answer


def test_a_rag_answer_works_out_no_payback_and_plans_for_rag() -> None:
    advice = advise(given(prompt_works="no", knowledge_gap="yes"), PRICES)
    assert advice.kind == "RAG"
    # Advice against fine-tuning never ends on a fine-tune's payback.
    assert advice.cost.break_even is None
    assert any("the verdict is RAG" in note and "rag's" in note for note in advice.cost.notes)


def test_a_prompt_answer_works_out_no_payback() -> None:
    advice = advise(given(prompt_works="yes"), PRICES)
    assert advice.kind == "PROMPT" and advice.cost.break_even is None


def test_training_is_sized_for_a_typical_dataset_when_there_are_too_few_examples() -> None:
    few = advise(given(examples=5), PRICES)
    assert few.cost.training.train_examples == TYPICAL_TRAIN_EXAMPLES
    assert any("typical first dataset" in note for note in few.cost.notes)
    stated = advise(given(examples=5, train_examples=4000), PRICES)
    assert stated.cost.training.train_examples == 4000
    assert stated.cost.training.cost_usd > few.cost.training.cost_usd


def test_a_fine_tune_that_cannot_pay_back_says_so() -> None:
    # A prompt no longer than the tuned one: nothing to save per request.
    advice = advise(
        given(
            prompt_works="no",
            knowledge_gap="no",
            pattern="yes",
            prompt_tokens=10,
            tuned_prompt_tokens=10,
            answer_tokens=1,
        ),
        PRICES.model_copy(update={"api_input_usd_per_mtok": 0.0, "api_output_usd_per_mtok": 0.0}),
    )
    assert advice.cost.break_even is not None and advice.cost.break_even.months is None
    assert "would not pay for itself" in advice.answer


@pytest.mark.parametrize(
    ("text", "params"),
    [("7B", 7e9), ("135M", 135e6), ("7e9", 7e9), ("1.5b", 1.5e9), ("70_000_000_000", 7e10)],
)
def test_parse_params(text: str, params: float) -> None:
    assert parse_params(text) == pytest.approx(params)


@pytest.mark.parametrize("text", ["seven", "B", "-3B", "0"])
def test_parse_params_rejects_nonsense(text: str) -> None:
    with pytest.raises(ValueError):
        parse_params(text)


def test_figures_at_placeholder_api_prices_say_so() -> None:
    placeholder = advise(given(prompt_works="yes"), PRICES)
    assert "a month at placeholder API prices." in placeholder.answer
    yours = PRICES.model_copy(update={"api_model": "your prices"})
    assert "placeholder" not in advise(given(prompt_works="yes"), yours).answer

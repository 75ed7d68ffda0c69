"""Every branch of the prompt part of the decision, from constructed rung results."""

from __future__ import annotations

from shouldtune.analysis.failures import FailureSummary
from shouldtune.analysis.reproducibility import Reproducibility
from shouldtune.decide import Verdict, decide
from shouldtune.records import Comparison, Interval, RungResult
from shouldtune.rung_settings import Forgetting
from tests.fakes import search_record


def rung(name: str, point: float, low: float, high: float, n: int = 50) -> RungResult:
    return RungResult(
        rung=name,
        n=n,
        score=Interval(point=point, low=low, high=high, method="wilson"),
        pass_rate=point,
        mean_latency_s=0.1,
        mean_prompt_tokens=100,
        mean_completion_tokens=0,
        computed_calls=n,
        cached_calls=0,
        wall_s=1.0,
    )


def verdict(*results: RungResult, enough: bool = True, bar: float = 0.8) -> Verdict:
    return decide(
        list(results),
        bar=bar,
        prompt_fraction=0.8,
        enough_data=enough,
        n_usable=80,
        min_examples=50,
    )


def test_not_enough_data_wins_even_when_the_prompt_looks_good() -> None:
    v = decide(
        [rung("few_shot", 0.95, 0.85, 0.99)],
        bar=0.8,
        prompt_fraction=0.8,
        enough_data=False,
        n_usable=20,
        min_examples=50,
    )
    assert v.kind == "NOT_ENOUGH_DATA"
    assert v.question == "0. pre-check"
    assert "20 usable" in v.headline
    assert "few_shot" in v.answer  # the prompt rungs are still reported


def test_prompt_meets_bar_when_whole_interval_clears_it() -> None:
    v = verdict(rung("zero_shot", 0.5, 0.4, 0.6), rung("few_shot", 0.9, 0.82, 0.95))
    assert v.kind == "PROMPT"
    assert v.best_rung == "few_shot"
    assert "meets the bar" in v.headline
    assert v.gap is not None and abs(v.gap - 0.1) < 1e-9


def test_prompt_within_reach_when_interval_clears_fraction_but_not_bar() -> None:
    # bar 0.8 -> within-reach threshold 0.64; low 0.66 clears it, 0.78 < bar.
    v = verdict(rung("few_shot", 0.75, 0.66, 0.83))
    assert v.kind == "PROMPT"
    assert "within reach" in v.headline
    assert "Iterate on the prompt" in v.answer


def test_point_above_bar_but_interval_below_is_not_meets_bar() -> None:
    v = verdict(rung("few_shot", 0.85, 0.62, 0.95, n=12))
    assert v.kind == "INCONCLUSIVE"
    assert v.examples_needed is not None and v.examples_needed > 0


def test_prompt_falls_short_when_whole_interval_is_below_fraction() -> None:
    v = verdict(rung("zero_shot", 0.2, 0.1, 0.3), rung("few_shot", 0.4, 0.3, 0.5))
    assert v.kind == "INCONCLUSIVE"
    assert "fall short by 24.0 pts" in v.headline  # 0.64 - 0.40
    assert v.best_rung == "few_shot"
    assert "not run" in v.answer


def test_straddling_interval_is_inconclusive_with_examples_needed() -> None:
    v = verdict(rung("few_shot", 0.6, 0.45, 0.74, n=40))
    assert v.kind == "INCONCLUSIVE"
    assert "straddles" in v.headline
    assert v.examples_needed is not None and v.examples_needed > 0
    assert str(v.examples_needed) in v.answer


def test_tie_goes_to_the_cheaper_rung() -> None:
    v = verdict(rung("zero_shot", 0.9, 0.85, 0.95), rung("few_shot", 0.9, 0.85, 0.95))
    assert v.best_rung == "zero_shot"


def test_no_rungs_is_inconclusive() -> None:
    v = verdict()
    assert v.kind == "INCONCLUSIVE"


# --- question 3: the LoRA rung -----------------------------------------------------------


def _cmp(
    a: str, b: str, diff: float, p: float, a_only: int, b_only: int, n: int = 50
) -> Comparison:
    return Comparison(
        a=a, b=b, method="mcnemar", n=n, diff=diff, p_value=p, a_only=a_only, b_only=b_only
    )


def _with_lora(lora: RungResult, comparison: Comparison, bar: float = 0.8) -> Verdict:
    prompts = [rung("zero_shot", 0.2, 0.1, 0.3), rung("few_shot", 0.4, 0.3, 0.5)]
    lora.settings.forgetting = Forgetting(summary="KL 0.050 nats/token")
    return decide(
        [*prompts, lora],
        bar=bar,
        prompt_fraction=0.8,
        enough_data=True,
        n_usable=200,
        min_examples=50,
        comparisons=[comparison],
    )


def test_fine_tune_when_lora_clears_bar_and_beats_prompts() -> None:
    v = _with_lora(rung("lora", 0.94, 0.84, 0.98), _cmp("few_shot", "lora", 0.54, 1e-6, 1, 28))
    assert v.kind == "FINE_TUNE"
    assert v.best_rung == "lora"
    assert v.question == "3. specific failure"
    assert "KL 0.050" in v.answer


def test_lora_clearing_bar_without_a_significant_gain_is_inconclusive() -> None:
    v = _with_lora(rung("lora", 0.9, 0.81, 0.95), _cmp("few_shot", "lora", 0.04, 0.5, 3, 5))
    assert v.kind == "INCONCLUSIVE"
    assert "not shown better" in v.headline
    assert v.examples_needed is not None and v.examples_needed > 0


def test_nothing_reaches_the_bar_names_closest_rung_and_gap() -> None:
    v = _with_lora(rung("lora", 0.6, 0.5, 0.7), _cmp("few_shot", "lora", 0.2, 0.01, 2, 12))
    assert v.kind == "INCONCLUSIVE"
    assert "no rung reaches the bar" in v.headline
    assert v.best_rung == "lora"
    assert "20.0 pts short" in v.headline
    assert "helps, but not enough" in v.answer


def test_lora_straddling_the_bar_is_inconclusive_with_examples_needed() -> None:
    v = _with_lora(rung("lora", 0.82, 0.7, 0.9), _cmp("few_shot", "lora", 0.4, 1e-4, 1, 20))
    assert v.kind == "INCONCLUSIVE"
    assert "straddles" in v.headline
    assert v.examples_needed is not None


def test_prompt_within_reach_wins_over_a_better_lora() -> None:
    prompts = [rung("few_shot", 0.75, 0.67, 0.82)]
    v = decide(
        [*prompts, rung("lora", 0.95, 0.9, 0.98)],
        bar=0.8,
        prompt_fraction=0.8,
        enough_data=True,
        n_usable=200,
        min_examples=50,
    )
    assert v.kind == "PROMPT"


def _evidence(reproducible: int, checked: int) -> tuple[FailureSummary, Reproducibility]:
    from shouldtune.analysis.failures import CategoryCount, Confusion
    from shouldtune.analysis.stats import wilson

    failures = FailureSummary(
        rung="few_shot",
        n=50,
        n_failed=30,
        categories=[
            CategoryCount(category="wrong_label", description="", count=30, share=1.0, examples=[])
        ],
        dominant="wrong_label",
        confusions=[Confusion(expected="billing", predicted="account", count=12)],
    )
    found = Reproducibility(
        rung="few_shot",
        n_failures=30,
        n_checked=checked,
        conditions=["seed 1", "seed 2", "reworded instructions 1"],
        reproducible=reproducible,
        share=wilson(reproducible, checked),
        by_category=[],
        failures=[],
    )
    return failures, found


def _decide_with(
    reproducible: int, checked: int, lora: RungResult, comparison: Comparison
) -> Verdict:
    failures, found = _evidence(reproducible, checked)
    return decide(
        [rung("zero_shot", 0.2, 0.1, 0.3), rung("few_shot", 0.4, 0.3, 0.5), lora],
        bar=0.8,
        prompt_fraction=0.8,
        enough_data=True,
        n_usable=200,
        min_examples=50,
        comparisons=[comparison],
        failures=[failures],
        reproducibility=found,
    )


def test_fine_tune_answer_names_the_reproducible_pattern() -> None:
    v = _decide_with(
        19, 20, rung("lora", 0.94, 0.84, 0.98), _cmp("few_shot", "lora", 0.54, 1e-6, 1, 28)
    )
    assert v.kind == "FINE_TUNE"
    assert "reproducible pattern" in v.answer
    assert "'billing' answered as 'account'" in v.answer
    assert any(r.startswith("reproducibility: few_shot: 19 of 20") for r in v.reasons)


def test_unclear_reproducibility_is_said_as_such() -> None:
    v = _decide_with(5, 10, rung("lora", 0.6, 0.5, 0.7), _cmp("few_shot", "lora", 0.2, 0.01, 2, 12))
    assert v.kind == "INCONCLUSIVE"
    assert "not clearly reproducible or not" in v.answer


def test_prompt_verdict_keeps_its_answer_and_lists_the_failures() -> None:
    failures, found = _evidence(1, 10)
    v = decide(
        [rung("few_shot", 0.9, 0.82, 0.95)],
        bar=0.8,
        prompt_fraction=0.8,
        enough_data=True,
        n_usable=80,
        min_examples=50,
        failures=[failures],
        reproducibility=found,
    )
    assert v.kind == "PROMPT"
    assert "reproducible" not in v.answer
    assert any(r.startswith("failures: few_shot: 30 of 50 failed") for r in v.reasons)


def test_fine_tune_says_what_prompt_search_tried_or_that_none_ran() -> None:
    v = _with_lora(rung("lora", 0.94, 0.84, 0.98), _cmp("few_shot", "lora", 0.54, 1e-6, 1, 28))
    assert "prompt search was not run" in v.answer.lower()
    searched = rung("prompt_search", 0.5, 0.36, 0.64)
    searched.settings.search = search_record(tried=24, calls=600, val_size=40)
    w = decide(
        [
            rung("zero_shot", 0.2, 0.1, 0.3),
            rung("few_shot", 0.4, 0.3, 0.5),
            searched,
            rung("lora", 0.94, 0.84, 0.98),
        ],
        bar=0.8,
        prompt_fraction=0.8,
        enough_data=True,
        n_usable=200,
        min_examples=50,
        comparisons=[_cmp("prompt_search", "lora", 0.44, 1e-6, 1, 23)],
    )
    assert w.kind == "FINE_TUNE"
    assert "tried 24 prompts within 600 calls" in w.answer
    # ...and the fine-tune had to beat the searched prompt, the best cheaper rung.
    assert "over prompt_search" in w.headline


def test_fine_tune_says_when_the_search_kept_few_shots_prompt() -> None:
    few = rung("few_shot", 0.4, 0.3, 0.5)
    kept = rung("prompt_search", 0.4, 0.3, 0.5)
    kept.settings.search = search_record(kept_baseline=True, winner="chat/given/balanced-4@0")
    v = decide(
        [few, kept, rung("lora", 0.94, 0.84, 0.98)],
        bar=0.8,
        prompt_fraction=0.8,
        enough_data=True,
        n_usable=200,
        min_examples=50,
        comparisons=[_cmp("few_shot", "lora", 0.54, 1e-6, 1, 28)],
    )
    assert v.kind == "FINE_TUNE"
    assert "none beat few-shot's prompt by a paired test there" in v.answer
    # The same score as few-shot's: the tie goes to the cheaper rung, few-shot.
    assert "over few_shot" in v.headline


def test_a_prompt_verdict_names_the_prompt_file() -> None:
    best = rung("prompt_search", 0.95, 0.88, 0.98)
    best.settings.prompt_file = "artifacts/prompt_search/prompt.txt"
    v = verdict(rung("few_shot", 0.5, 0.4, 0.6), best)
    assert v.kind == "PROMPT" and v.best_rung == "prompt_search"
    assert "artifacts/prompt_search/prompt.txt" in v.answer

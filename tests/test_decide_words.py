"""The verdict's words: the model named first, differences in points, p-values in the reasons."""

from __future__ import annotations

import re

from shouldtune.decide import Verdict, with_model
from shouldtune.findings import ModelFinding
from tests.test_decide import _cmp, _with_lora, rung, verdict


def _prompt() -> Verdict:
    return verdict(rung("zero_shot", 0.5, 0.4, 0.6), rung("few_shot", 0.9, 0.82, 0.95))


def test_the_first_sentence_names_the_model_measured() -> None:
    named = with_model(_prompt(), ModelFinding(name="qwen2.5-7b", backend="llama.cpp"))
    first = named.answer.split(". ")[0]
    assert "qwen2.5-7b" in first
    assert "--model" not in named.answer  # the user's own model: no pointer to measure it
    assert named.findings is not None and named.findings.measured_model is not None
    assert named.kind == "PROMPT" and "Use a prompt." in named.answer


def test_the_built_in_demo_model_says_so_and_how_to_measure_yours() -> None:
    demo = ModelFinding(name="smollm2-135m", backend="llama.cpp", builtin=True)
    named = with_model(_prompt(), demo)
    first = named.answer.split(". ")[0]
    assert "smollm2-135m" in first and "built-in demo model" in first
    assert "not your own model" in named.answer
    # Every reference form models.registry reads: served, Hub name, GGUF file, folder.
    tail = named.answer[named.answer.index("To decide for your own model") :]
    for form in ("--model", "openai:", "http://", "org/name", ".gguf", "folder"):
        assert form in tail


def test_without_a_model_finding_the_answer_is_unchanged() -> None:
    plain = _prompt()
    assert plain.answer.startswith("Use a prompt.")


def test_a_fine_tune_headline_gives_points_and_keeps_the_p_value_for_the_reasons() -> None:
    v = _with_lora(rung("lora", 0.94, 0.84, 0.98), _cmp("few_shot", "lora", 0.54, 1e-6, 1, 28))
    assert v.kind == "FINE_TUNE"
    assert "+54.0 pts" in v.headline
    assert "p=" not in v.headline and not re.search(r"[+-]\d+%", v.headline)
    assert any("p=1e-06" in reason for reason in v.reasons)
    assert "+54.0 pts" in v.answer and not re.search(r"[+-]\d+% over", v.answer)


def test_within_reach_is_said_only_of_a_score_below_the_bar() -> None:
    below = verdict(rung("few_shot", 0.75, 0.66, 0.82))
    assert below.kind == "PROMPT" and "within reach of the bar" in below.headline
    above = verdict(rung("few_shot", 0.85, 0.70, 0.94))
    assert above.kind == "PROMPT" and above.findings is not None
    assert above.findings.case == "prompt_within_reach"
    assert "within reach" not in above.headline
    assert "not shown to reach it" in above.headline and "70%" in above.headline


def test_shortfalls_are_points_not_percentages() -> None:
    v = verdict(rung("zero_shot", 0.2, 0.1, 0.3), rung("few_shot", 0.4, 0.3, 0.5))
    assert "24.0 pts" in v.headline and "24.0 pts short" in v.answer
    assert "24%" not in v.headline


def test_inconclusive_says_prompting_is_ruled_out_and_the_fine_tune_is_left() -> None:
    # The held-out extraction task's shape: the searched prompt's whole interval below the
    # prompt threshold, the fine-tune +22 points over it and 3 points short of the bar.
    v = _with_lora(rung("lora", 0.77, 0.66, 0.79), _cmp("few_shot", "lora", 0.22, 0.001, 2, 13))
    assert v.kind == "INCONCLUSIVE" and v.findings is not None
    states = {r.route: r.state for r in v.findings.routes}
    assert states == {"prompt": "ruled_out", "fine_tune": "short"}
    assert "Ruled out: prompting (few_shot's whole interval" in v.answer
    assert "fine-tuning, the only route left (lora 77.0%" in v.answer
    assert "3.0 pts below the bar, +22.0 pts over few_shot" in v.answer
    assert "near your bar" not in v.answer  # its whole interval is below the bar


def test_a_fine_tune_whose_interval_reaches_the_bar_is_the_only_route_near_it() -> None:
    v = _with_lora(rung("lora", 0.78, 0.68, 0.86), _cmp("few_shot", "lora", 0.22, 0.001, 2, 13))
    assert v.kind == "INCONCLUSIVE"
    assert "Ruled out: prompting" in v.answer
    assert "fine-tuning, the only route left near your bar (lora 78.0%" in v.answer
    assert "its interval containing 80%, +22.0 pts over few_shot" in v.answer
    assert any(reason.startswith("ruled out: prompting") for reason in v.reasons)
    assert any(reason.startswith("still open: fine-tuning") for reason in v.reasons)


def test_a_straddling_prompt_is_open_and_nothing_ruled_out() -> None:
    v = verdict(rung("few_shot", 0.64, 0.5, 0.76))
    assert v.kind == "INCONCLUSIVE" and v.findings is not None
    assert [(r.route, r.state) for r in v.findings.routes] == [
        ("prompt", "open"),
        ("rag", "not_run"),
        ("fine_tune", "not_run"),
    ]
    assert "Nothing is ruled out yet. Still open: prompting (few_shot 64.0%" in v.answer
    assert "fine-tuning (not measured)." in v.answer


def test_a_shortfall_with_rag_and_lora_not_climbed_says_they_are_not_measured() -> None:
    v = verdict(rung("zero_shot", 0.2, 0.1, 0.3), rung("few_shot", 0.4, 0.3, 0.5))
    assert v.kind == "INCONCLUSIVE" and v.findings is not None
    assert [r.state for r in v.findings.routes] == ["ruled_out", "not_run", "not_run"]
    assert "Ruled out: prompting (few_shot's whole interval 40.0% [30.0%, 50.0%] is below 64%)" in (
        v.answer
    )
    assert "Still open: retrieval (RAG) (not measured); fine-tuning (not measured)." in v.answer


def test_a_settled_verdict_lists_no_routes_in_words() -> None:
    v = _prompt()
    assert v.findings is not None and v.findings.routes  # the data is recorded
    assert "Ruled out" not in v.answer and "Still open" not in v.answer

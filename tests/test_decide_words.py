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

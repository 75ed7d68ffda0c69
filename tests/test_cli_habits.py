"""The CLI habits users expect: --version, flags named in errors with a suggestion, did-you-mean
for keys, grouped data errors, the served-model spelling, check --json, help in panels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shouldtune import __version__
from shouldtune.models.hub import _served_hint
from tests.hostile import assert_clean_exit, invoke, use_scripted_model

DATA = "".join(
    json.dumps({"input": f"question {i}", "expected": ["yes", "no"][i % 2]}) + "\n"
    for i in range(60)
)


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_scripted_model(monkeypatch)
    path = tmp_path / "d.jsonl"
    path.write_text(DATA)
    return path


def test_version() -> None:
    outcome = invoke(["--version"])
    assert_clean_exit(outcome, 0)
    assert outcome.output.strip() == f"shouldtune {__version__}"


def test_max_test_all_is_accepted_as_its_help_offers(data: Path) -> None:
    outcome = invoke(["check", str(data), "--max-test", "all", "--json"])
    assert_clean_exit(outcome, 0)
    assert json.loads(outcome.output)["split"]["note"] is None
    refused = invoke(["check", str(data), "--max-test", "zero"])
    assert_clean_exit(refused, 2)
    assert "Invalid value for '--max-test'" in refused.output


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--bar", "80"], "--bar: 80 reads as a percentage: write 0.8"),
        (["--bar", "1.5"], "--bar: Input should be less than or equal to 1"),
        (["--test-fraction", "0"], "--test-fraction: Input should be greater than 0"),
    ],
)
def test_a_bad_flag_value_names_the_flag(data: Path, flags: list[str], message: str) -> None:
    outcome = invoke(
        ["check", str(data), *flags] if "--bar" not in flags else ["run", str(data), *flags]
    )
    assert_clean_exit(outcome, 2)
    assert message in outcome.output


def test_a_flag_over_a_spec_names_the_flag_and_the_spec_its_line(data: Path) -> None:
    spec = data.parent / "task.yaml"
    spec.write_text("data: d.jsonl\nbar: 70\n")
    outcome = invoke(["run", str(spec), "--bar", "90"])
    assert_clean_exit(outcome, 2)
    assert "--bar: 90 reads as a percentage: write 0.9" in outcome.output
    outcome = invoke(["run", str(spec)])
    assert f"{spec}:2: bar: 70 reads as a percentage: write 0.7" in outcome.output


def test_a_misspelled_key_suggests_the_key(data: Path) -> None:
    spec = data.parent / "task.yaml"
    spec.write_text("data: d.jsonl\nexpectd: label\nsplit:\n  sed: 3\n")
    outcome = invoke(["check", str(spec)])
    assert_clean_exit(outcome, 2)
    assert f"{spec}:2: expectd: unknown key (did you mean expected?)" in outcome.output
    assert f"{spec}:4: split.sed: unknown key (did you mean seed?)" in outcome.output


def test_yaml_booleans_as_labels_are_explained(data: Path) -> None:
    spec = data.parent / "task.yaml"
    spec.write_text("data: d.jsonl\nlabels: [yes, no]\n")
    outcome = invoke(["check", str(spec)])
    assert_clean_exit(outcome, 2)
    assert "YAML reads yes/no/on/off/true/false as booleans" in outcome.output


def test_a_label_typo_is_one_line_with_a_suggestion(data: Path) -> None:
    outcome = invoke(["check", str(data), "--labels", "yes,nope"])
    assert_clean_exit(outcome, 2)
    lines = [line for line in outcome.output.splitlines() if "is not one of the labels" in line]
    assert len(lines) == 1, outcome.output
    assert lines[0].startswith(f"{data}:2: expected: 'no' is not one of the labels")
    assert "did you mean 'nope'?" in lines[0]
    assert "(also lines 4, 6, 8, 10 and 25 more)" in lines[0]


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("openai/gpt-4o-mini", "write openai:gpt-4o-mini"),
        ("ollama/llama3", "write ollama:llama3"),
        ("anthropic/claude", "http://HOST/v1:claude"),
        ("HuggingFaceTB/SmolLM2-135M", ""),
    ],
)
def test_a_provider_spelling_suggests_the_served_form(name: str, hint: str) -> None:
    assert (hint in _served_hint(name)) and (bool(hint) == bool(_served_hint(name)))


def test_check_warns_when_no_instructions_are_given(data: Path) -> None:
    outcome = invoke(["check", str(data)])
    assert_clean_exit(outcome, 0)
    assert "No instructions given" in " ".join(outcome.output.split())
    told = invoke(["check", str(data), "--instructions", "Answer yes or no."])
    assert_clean_exit(told, 0)
    assert "No instructions given" not in told.output


def test_check_json_is_the_precheck_split_and_plan(data: Path) -> None:
    outcome = invoke(["check", str(data), "--json"])
    assert_clean_exit(outcome, 0)
    found = json.loads(outcome.output)
    assert found["scorer"] == "label" and found["labels"] == ["no", "yes"]
    assert found["precheck"]["n_usable"] == 60
    assert found["split"]["n_train"] + found["split"]["n_test"] == 60
    assert [r["rung"] for r in found["plan"]["rungs"]][:2] == ["zero_shot", "few_shot"]


def test_run_help_is_grouped_into_panels() -> None:
    outcome = invoke(["run", "--help"])
    assert_clean_exit(outcome, 0)
    for panel in ("Data", "Model", "Rungs", "Budget and cost", "CI gates", "Served models"):
        assert f"─ {panel}" in outcome.output, panel


def test_models_shows_the_extra_in_brackets() -> None:
    from shouldtune.models.registry import BUILTINS

    missing = [m for m in BUILTINS.values() if not m.installed()]
    if not missing:
        pytest.skip("every built-in model is installed: no install hint to show")
    outcome = invoke(["models"])
    assert_clean_exit(outcome, 0)
    assert f"'shouldtune[{missing[0].extra}]'" in "".join(outcome.output.split())


def test_the_plan_warns_when_no_instructions_are_given(data: Path) -> None:
    plain = json.loads(invoke(["check", str(data), "--json"]).output)["plan"]
    assert "no instructions given" in plain["instructions"]
    told = invoke(["check", str(data), "--json", "--instructions", "Answer yes or no."])
    assert json.loads(told.output)["plan"]["instructions"] is None

from __future__ import annotations

from pathlib import Path

import pytest

from shouldtune.spec import SpecError, TaskSpec, load_spec, spec_from_dict, spec_reference


def test_cli_style_spec_needs_only_data() -> None:
    spec = spec_from_dict({"data": "examples.jsonl", "expected": "label"})
    assert spec.expected == "label"
    assert spec.rungs == ["zero_shot", "few_shot", "prompt_search", "lora"]
    assert spec.task_name == "examples"


def test_unknown_key_is_named(tmp_path: Path) -> None:
    path = tmp_path / "task.yaml"
    path.write_text("data: d.jsonl\nbarr: 0.9\nsplit:\n  seeed: 3\n")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    message = str(info.value)
    assert f"{path}:2: barr: unknown key" in message
    assert f"{path}:4: split.seeed: unknown key" in message


def test_bad_values_are_named(tmp_path: Path) -> None:
    path = tmp_path / "task.yaml"
    path.write_text("data: d.jsonl\nbar: 1.5\nrungs: [zero_shot, magic]\n")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert f"{path}:2: bar:" in str(info.value)
    assert f"{path}:3: rungs.1:" in str(info.value)


def test_invalid_yaml_gives_line(tmp_path: Path) -> None:
    path = tmp_path / "task.yaml"
    path.write_text("data: d.jsonl\nbar: [0.9\n")
    with pytest.raises(SpecError, match=r"task\.yaml:\d+: invalid YAML"):
        load_spec(path)


def test_yaml_paths_are_relative_to_the_spec(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "task.yaml"
    path.write_text("data: data.jsonl\n")
    assert load_spec(path).data == tmp_path / "sub" / "data.jsonl"


def test_overrides_merge_into_nested_sections(tmp_path: Path) -> None:
    path = tmp_path / "task.yaml"
    path.write_text("data: d.jsonl\nsplit:\n  seed: 3\n  test_fraction: 0.5\n")
    spec = load_spec(path, {"split": {"seed": 9}, "bar": 0.7})
    assert spec.split.seed == 9
    assert spec.split.test_fraction == 0.5
    assert spec.bar == 0.7


def test_labels_must_be_distinct() -> None:
    with pytest.raises(SpecError, match="labels"):
        spec_from_dict({"data": "d.jsonl", "labels": ["a", "a"]})


def test_python_scorer_needs_a_function() -> None:
    with pytest.raises(SpecError, match=r"scorer_options\.function"):
        spec_from_dict({"data": "d.jsonl", "scorer": "python"})


def test_reference_lists_every_field() -> None:
    table = spec_reference()
    for name in TaskSpec.model_fields:
        assert f"`{name}`" in table
    assert "`split.test_fraction`" in table
    assert "`few_shot.k`" in table


def test_docs_reference_is_current() -> None:
    page = (Path(__file__).parents[1] / "docs" / "spec.md").read_text()
    assert spec_reference() in page, "docs/spec.md table is stale: run scripts/update_docs.py"


def test_student_is_local_and_defaults_to_a_local_model() -> None:
    from shouldtune.spec import SpecError, spec_from_dict

    served = spec_from_dict({"data": "x.jsonl", "model": "openai:gpt-4o-mini"})
    assert served.student_model is None  # nothing local to fine-tune
    pair = spec_from_dict({"data": "x.jsonl", "model": "ollama:llama3", "student": "smollm2-135m"})
    assert pair.student_model == "smollm2-135m"
    assert spec_from_dict({"data": "x.jsonl"}).student_model == "smollm2-135m"
    older = spec_from_dict({"data": "x.jsonl", "lora": {"student": "gemma3-270m"}})
    assert older.student_model == "gemma3-270m"
    for bad in (
        {"student": "http://127.0.0.1:8080/v1:m"},
        {"student": "smollm2-135m", "lora": {"student": "gemma3-270m"}},
    ):
        with pytest.raises(SpecError):
            spec_from_dict({"data": "x.jsonl", **bad})


@pytest.mark.parametrize("replay", [0, 0.25, 0.9, 1, 40])
def test_lora_replay_is_a_share_or_a_count(replay: float) -> None:
    from shouldtune.spec import LoraSpec

    assert LoraSpec(replay=replay).replay == replay


@pytest.mark.parametrize("replay", [-0.1, 2.5])
def test_lora_replay_rejects_negatives_and_fractional_counts(replay: float) -> None:
    from pydantic import ValidationError

    from shouldtune.spec import LoraSpec

    with pytest.raises(ValidationError):
        LoraSpec(replay=replay)


def test_the_allow_list_path_is_relative_to_the_spec(tmp_path: Path) -> None:
    path = tmp_path / "task.yaml"
    path.write_text("data: d.jsonl\npii:\n  allow_list: allow.txt\n  allow: true\n")
    spec = load_spec(path)
    assert spec.pii.allow_list == tmp_path / "allow.txt"
    assert spec.pii.allow is True

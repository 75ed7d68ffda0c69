"""Settings that ask for nothing, or for numbers no setting can take, refused by `check`.

Each case is a task spec (or a price table, or a flag) run through the CLI in-process: exit 2,
the file and key named, no traceback, before any model call (the model is scripted and
records whether it was asked anything).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from shouldtune.settings_model import check_numbers
from tests.hostile import assert_clean_exit, invoke, use_scripted_model

DATA = "".join(
    json.dumps({"input": f"question {i}", "expected": ["yes", "no"][i % 2]}) + "\n"
    for i in range(40)
)

# (case id, the spec's lines after `data:`, text the error must contain)
SPECS = [
    ("bar-yes", "bar: yes", "bar: true is a boolean"),
    ("bar-true", "bar: true", "bar: true is a boolean"),
    ("max-test-true", "split:\n  max_test: true", "split.max_test: true is a boolean"),
    ("test-fraction-on", "split:\n  test_fraction: on", "split.test_fraction: true is a boolean"),
    ("seed-false", "split:\n  seed: false", "split.seed: false is a boolean"),
    ("k-yes", "few_shot:\n  k: yes", "few_shot.k: true is a boolean"),
    ("rank-true", "lora:\n  rank: true", "lora.rank: true is a boolean"),
    ("max-minutes-inf", "max_minutes: .inf", "max_minutes"),
    ("max-usd-nan", "max_usd: .nan", "max_usd"),
    ("max-usd-negative-inf", "max_usd: -.inf", "max_usd"),
    ("bar-1e999", "bar: 1e999", "bar"),
    ("requests-huge-int", "cost:\n  requests_per_month: " + "9" * 400, "out of range"),
    ("epochs-huge", "lora:\n  epochs: 1e300", "lora.epochs: 1e+300 is out of range"),
    ("target-params-inf", "cost:\n  target_params: .inf", "cost.target_params"),
    ("rungs-empty", "rungs: []", "rungs: name at least one rung"),
    ("rungs-twice", "rungs: [zero_shot, few_shot, zero_shot]", "rung named more than once"),
    ("layouts-empty", "prompt_search:\n  layouts: []", "give at least one layout"),
    ("layouts-twice", "prompt_search:\n  layouts: [chat, chat]", "layout named more than once"),
    ("modules-empty", "lora:\n  target_modules: []", "name at least one linear layer"),
    ("modules-blank", "lora:\n  target_modules: ['']", "no blanks"),
    ("sweep-bool-rank", "lora:\n  sweep: [{rank: true}]", "true is a boolean"),
]


@pytest.mark.parametrize(("lines", "message"), [s[1:] for s in SPECS], ids=[s[0] for s in SPECS])
def test_a_spec_that_asks_for_nothing_is_refused(
    lines: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "d.jsonl").write_text(DATA)
    (tmp_path / "task.yaml").write_text(f"data: d.jsonl\n{lines}\n")
    use_scripted_model(monkeypatch, _no_call)
    outcome = invoke(["check", str(tmp_path / "task.yaml")])
    assert_clean_exit(outcome, 2)
    # The key's line: the spec's second line, or the nested key's own line below it.
    assert f"{tmp_path / 'task.yaml'}:" in outcome.output
    assert re.search(r"task\.yaml:[23]: ", outcome.output), outcome.output
    assert message in " ".join(outcome.output.split()), outcome.output


PRICE_TABLES = [
    ("gpu-price-inf", "gpus:\n  H100:\n    usd_per_hour: .inf", "gpus.H100.usd_per_hour"),
    ("gpu-price-bool", "gpus:\n  H100:\n    usd_per_hour: yes", "true is a boolean"),
    ("api-price-negative", "api_input_usd_per_mtok: -1", "api_input_usd_per_mtok"),
    ("mfu-above-one", "mfu:\n  lora: 3", "mfu.lora: 3.0 must be above 0 and at most 1"),
    ("mfu-unknown-method", "mfu:\n  qlora: 0.2", "mfu.qlora: unknown method"),
    ("bytes-zero", "bytes_per_param:\n  full: 0", "bytes_per_param.full: 0.0 must be above 0"),
    ("training-gpu-unknown", "training_gpu: B300", "training_gpu: 'B300' is not in gpus"),
    ("overhead-huge", "overhead_hours: 1e20", "overhead_hours: 1e+20 is out of range"),
]


@pytest.mark.parametrize(
    ("table", "message"), [t[1:] for t in PRICE_TABLES], ids=[t[0] for t in PRICE_TABLES]
)
def test_a_price_table_that_prints_nonsense_is_refused(
    table: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "d.jsonl").write_text(DATA)
    (tmp_path / "prices.yaml").write_text(table + "\n")
    (tmp_path / "task.yaml").write_text("data: d.jsonl\ncost:\n  price_table: prices.yaml\n")
    use_scripted_model(monkeypatch, _no_call)
    outcome = invoke(["check", str(tmp_path / "task.yaml")])
    assert_clean_exit(outcome, 2)
    assert str(tmp_path / "prices.yaml") in outcome.output, outcome.output
    assert message in " ".join(outcome.output.split()), outcome.output


@pytest.mark.parametrize("flag", [["--bar", "inf"], ["--bar", "nan"], ["--max-test", "9" * 30]])
def test_a_flag_at_the_edges_is_refused(
    flag: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "d.jsonl").write_text(DATA)
    use_scripted_model(monkeypatch, _no_call)
    outcome = invoke(["check", str(tmp_path / "d.jsonl"), *flag])
    assert_clean_exit(outcome, 2)


def test_booleans_stay_booleans_where_they_belong(tmp_path: Path) -> None:
    (tmp_path / "d.jsonl").write_text(DATA)
    spec = tmp_path / "task.yaml"
    spec.write_text("data: d.jsonl\nall_rungs: yes\nprompt_search:\n  similar: no\n")
    from shouldtune.spec import load_spec

    loaded = load_spec(spec)
    assert loaded.all_rungs is True
    assert loaded.prompt_search.similar is False


def test_the_number_check_walks_lists_and_mappings() -> None:
    check_numbers({"a": [1, 2.5, {"b": 3}]}, booleans_allowed=False)
    with pytest.raises(ValueError, match="boolean"):
        check_numbers({"a": [1, {"b": True}]}, booleans_allowed=False)
    with pytest.raises(ValueError, match="finite"):
        check_numbers([float("inf")], booleans_allowed=True)


def _no_call(prompt: str) -> str:
    raise AssertionError("check asked the model before refusing the settings")


def test_a_spec_named_in_capitals_is_read_as_a_spec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "d.jsonl").write_text(DATA)
    (tmp_path / "TASK.YAML").write_text("data: d.jsonl\nbar: yes\n")
    use_scripted_model(monkeypatch, _no_call)
    outcome = invoke(["check", str(tmp_path / "TASK.YAML")])
    assert_clean_exit(outcome, 2)
    assert "TASK.YAML:2: bar: true is a boolean" in outcome.output


def test_run_refuses_a_bad_scorer_before_it_times_a_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "d.jsonl").write_text(DATA)
    (tmp_path / "task.yaml").write_text(
        "data: d.jsonl\nscorer: regex\nscorer_options:\n  pattern: '(unclosed'\n"
    )
    use_scripted_model(monkeypatch, _no_call)
    outcome = invoke(["run", str(tmp_path / "task.yaml"), "--runs-dir", str(tmp_path / "runs")])
    assert_clean_exit(outcome, 2)
    assert "pattern" in outcome.output


def test_an_empty_section_means_its_defaults(tmp_path: Path) -> None:
    from shouldtune.spec import load_spec

    (tmp_path / "d.jsonl").write_text(DATA)
    spec = tmp_path / "task.yaml"
    spec.write_text("data: d.jsonl\nlora:\nsplit:\n")
    loaded = load_spec(spec)
    assert loaded.lora.rank == 16 and loaded.split.seed == 0


def test_home_in_spec_paths_is_the_users_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shouldtune.spec import load_spec, spec_from_dict

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    spec = tmp_path / "elsewhere" / "task.yaml"
    spec.parent.mkdir()
    spec.write_text("data: ~/d.jsonl\ndocs: ~/docs\n")
    loaded = load_spec(spec)
    assert loaded.data == tmp_path / "home" / "d.jsonl"
    assert loaded.docs == tmp_path / "home" / "docs"
    assert spec_from_dict({"data": "~/d.jsonl"}).data == tmp_path / "home" / "d.jsonl"


def test_a_flag_path_stays_relative_to_where_the_command_runs(tmp_path: Path) -> None:
    from shouldtune.spec import load_spec

    spec = tmp_path / "specs" / "task.yaml"
    spec.parent.mkdir()
    spec.write_text("data: d.jsonl\n")
    loaded = load_spec(spec, {"data": "mine/d.jsonl"})
    assert loaded.data == Path("mine/d.jsonl")


@pytest.mark.parametrize("option", ["--runs-dir", "--cache-dir"])
def test_a_file_where_a_folder_belongs_is_named(
    option: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "d.jsonl").write_text(DATA)
    (tmp_path / "afile").write_text("x")
    use_scripted_model(monkeypatch, _no_call)
    outcome = invoke(["run", str(tmp_path / "d.jsonl"), option, str(tmp_path / "afile" / "x")])
    assert_clean_exit(outcome, 2)
    assert f"{tmp_path / 'afile'} is a file, not a folder" in outcome.output


def test_spreadsheet_trailing_empty_columns_are_not_columns(tmp_path: Path) -> None:
    from shouldtune.data import load_examples
    from shouldtune.spec import spec_from_dict

    rows = "".join(f"q {i},{['yes', 'no'][i % 2]},,\n" for i in range(10))
    (tmp_path / "d.csv").write_text("input,expected,,\n" + rows)
    examples = load_examples(spec_from_dict({"data": str(tmp_path / "d.csv")}))
    assert [e.expected for e in examples[:2]] == ["yes", "no"]


def test_a_column_without_a_name_between_named_ones_is_named(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("input,,expected\n" + "q,x,yes\n" * 4)
    outcome = invoke(["check", str(tmp_path / "d.csv")])
    assert_clean_exit(outcome, 2)
    assert f"{tmp_path / 'd.csv'}:1: a column has no name in the header" in outcome.output


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"config.json": '{"model_type": "llama", "hidden'}, "not a readable JSON config"),
        ({"config.json": "[]"}, "no model_type"),
        ({"config.json": '{"model_type": "llama"}'}, "no tokenizer"),
        (
            {"config.json": '{"model_type": "llama"}', "tokenizer.json": "{}"},
            "no weights",
        ),
    ],
    ids=["config-truncated", "config-a-list", "no-tokenizer", "no-weights"],
)
def test_a_model_folder_half_there_is_named(
    files: dict[str, str], message: str, tmp_path: Path
) -> None:
    (tmp_path / "d.jsonl").write_text(DATA)
    folder = tmp_path / "model"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    outcome = invoke(["check", str(tmp_path / "d.jsonl"), "--model", str(folder)])
    assert_clean_exit(outcome, 2)
    assert message in outcome.output, outcome.output


def test_a_spending_cap_on_a_model_without_prices_is_refused(tmp_path: Path) -> None:
    (tmp_path / "d.jsonl").write_text(DATA)
    (tmp_path / "task.yaml").write_text(
        "data: d.jsonl\nmodel: http://127.0.0.1:9/v1:m\nmax_usd: 5\n"
    )
    outcome = invoke(["check", str(tmp_path / "task.yaml")])
    assert_clean_exit(outcome, 2)
    assert "max_usd is set but model" in " ".join(outcome.output.split())
    priced = "data: d.jsonl\nmodel: http://127.0.0.1:9/v1:m\nmax_usd: 5\napi:\n  price_input: 1\n"
    from shouldtune.spec import load_spec

    (tmp_path / "task.yaml").write_text(priced)
    assert load_spec(tmp_path / "task.yaml").max_usd == 5


@pytest.mark.parametrize(
    "lines",
    ["student: smollm2-135n", "prompt_search:\n  proposer: ./no-such-model.gguf"],
    ids=["student-typo", "proposer-typo"],
)
@pytest.mark.parametrize("command", ["check", "run"])
def test_a_misspelled_model_in_a_later_setting_fails_first(
    lines: str, command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "d.jsonl").write_text(DATA)
    rungs = "rungs: [zero_shot, prompt_search, lora]\n"
    (tmp_path / "task.yaml").write_text(f"data: d.jsonl\nmodel: mock\n{rungs}{lines}\n")
    use_scripted_model(monkeypatch, _no_call)
    args = [command, str(tmp_path / "task.yaml")]
    outcome = invoke(args + (["--runs-dir", str(tmp_path / "runs")] if command == "run" else []))
    assert_clean_exit(outcome, 2)
    assert "no such file or directory" in outcome.output, outcome.output
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("command", ["check", "run"])
def test_a_docs_folder_with_nothing_readable_fails_first(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "d.jsonl").write_text(DATA)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_bytes(b"\xff\xfe")
    use_scripted_model(monkeypatch, _no_call)
    args = [command, str(tmp_path / "d.jsonl"), "--docs", str(tmp_path / "docs")]
    outcome = invoke(args + (["--runs-dir", str(tmp_path / "runs")] if command == "run" else []))
    assert_clean_exit(outcome, 2)
    assert "no readable documents (a.md: not UTF-8 text" in outcome.output, outcome.output
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("command", ["check", "run"])
def test_a_data_error_comes_before_the_model_loads(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def load(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model was loaded before the data was checked")

    monkeypatch.setattr("shouldtune.ladder.load_model", load)
    monkeypatch.setattr("shouldtune.models.registry.load_model", load)
    (tmp_path / "d.jsonl").write_text(DATA + '{"input": "x"}\n')
    args = [command, str(tmp_path / "d.jsonl")]
    outcome = invoke(args + (["--runs-dir", str(tmp_path / "runs")] if command == "run" else []))
    assert_clean_exit(outcome, 2)
    assert f"{tmp_path / 'd.jsonl'}:41: expected: missing" in outcome.output, outcome.output

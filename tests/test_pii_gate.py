"""The personal-data gate: exit 2 before any model call when examples would leave the machine
or be trained in; a local prompt-only run goes on warned, and no run file or report quotes a
found value in full."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shouldtune.api import check_and_plan
from shouldtune.cache import CallCache
from shouldtune.cli import app
from shouldtune.ladder import run_ladder
from shouldtune.pii import Finding
from shouldtune.pii_gate import PiiGateError, check_gate, remote_destinations
from shouldtune.spec import TaskSpec
from tests.fakes import ScriptedModel, last_input
from tests.pii_corpus import card, email

runner = CliRunner(env={"COLUMNS": "400"})  # one finding a line, unwrapped


def write_pii_data(tmp_path: Path, n: int = 60) -> tuple[Path, dict[int, str]]:
    """n labelled rows; rows 5, 17 and 40 carry a generated e-mail or card number (their
    file lines are the keys of the planted values returned)."""
    rng = random.Random(11)
    planted = {6: email(rng), 18: card(rng), 41: email(rng)}
    rows = []
    for i in range(n):
        text = f"item number {i} is {'odd' if i % 2 else 'even'}"
        if i + 1 in planted:
            text += f" (contact {planted[i + 1]})"
        rows.append({"text": text, "label": "odd" if i % 2 else "even"})
    path = tmp_path / "data.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path, planted


def _spec(data: Path, **changes: object) -> TaskSpec:
    fields: dict[str, object] = {
        "data": data,
        "input": "text",
        "expected": "label",
        "rungs": ["zero_shot", "few_shot"],
        "all_rungs": True,
    }
    return TaskSpec.model_validate({**fields, **changes})


def _finding() -> list[Finding]:
    return [Finding(line=3, field="text", kind="email", masked="an*****io")]


class CountingModel(ScriptedModel):
    """The scripted oracle, counting every prompt it is asked."""

    def __init__(self) -> None:
        self.calls = 0

        def answer(prompt: str) -> str:
            self.calls += 1
            return last_input(prompt).split(" (contact")[0].rsplit(" ", 1)[-1]

        super().__init__(answer)


# --- which runs are stopped ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "remote"),
    [
        ("openai:gpt-4o-mini", True),
        ("http://203.0.113.9:8000/v1:served", True),
        ("https://llm.corp.example.net/v1:served", True),
        ("http://localhost:8080/v1:served", False),
        ("http://127.0.0.1:8080/v1:served", False),
        ("http://[::1]:8080/v1:served", False),
        ("ollama:llama3", False),  # the default Ollama host is this machine
        ("mock", False),
    ],
)
def test_remote_means_not_on_loopback(tmp_path: Path, model: str, remote: bool) -> None:
    spec = _spec(tmp_path / "d.jsonl", model=model)
    assert bool(remote_destinations(spec)) is remote


def test_the_judge_and_the_proposer_count_as_destinations(tmp_path: Path) -> None:
    spec = _spec(
        tmp_path / "d.jsonl",
        scorer="judge",
        scorer_options={"judge_model": "openai:gpt-4o"},
        rungs=["zero_shot", "prompt_search"],
        prompt_search={"proposer": "https://api.example.org/v1:writer"},
    )
    assert [d.split()[0] for d in remote_destinations(spec)] == ["judge", "proposer"]


def test_gate_raises_for_remote_or_training_and_names_counts_and_flag(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    with pytest.raises(PiiGateError) as remote:
        check_gate(_spec(data, model="openai:gpt-4o-mini"), _finding(), training=True)
    message = str(remote.value)
    assert f"{data}:3: text: email (an*****io)" in message
    assert "(email: 1)" in message and "--allow-pii" in message and "Nothing was sent" in message
    with pytest.raises(PiiGateError, match="train an adapter"):
        check_gate(_spec(data, rungs=["zero_shot", "lora"]), _finding(), training=True)


def test_gate_lets_local_prompt_runs_and_allowed_runs_through_with_a_warning(
    tmp_path: Path,
) -> None:
    data = tmp_path / "d.jsonl"
    local = check_gate(_spec(data), _finding(), training=True)
    assert local is not None and "keeps them on this machine" in local
    # Too few examples for the lora rung: nothing will be trained.
    assert check_gate(_spec(data, rungs=["zero_shot", "lora"]), _finding(), training=False)
    allowed = _spec(data, model="openai:gpt-4o-mini", pii={"allow": True})
    warning = check_gate(allowed, _finding(), training=True)
    assert warning is not None and "--allow-pii" in warning
    assert check_gate(_spec(data, model="openai:gpt-4o-mini"), [], training=True) is None


# --- in the ladder: before any model call ----------------------------------------------------


def test_ladder_stops_before_any_call_when_the_examples_would_be_sent(
    tmp_path: Path, cache: CallCache
) -> None:
    data, _ = write_pii_data(tmp_path)
    model = CountingModel()
    spec = _spec(data, model="openai:gpt-4o-mini")  # the scripted model stands in for it
    with pytest.raises(PiiGateError, match=r"email: 2"):
        run_ladder(spec, cache=cache, runs_dir=tmp_path / "runs", model=model)
    assert model.calls == 0
    assert not (tmp_path / "runs").exists()


def test_ladder_stops_before_any_call_when_lora_would_train(
    tmp_path: Path, cache: CallCache
) -> None:
    data, _ = write_pii_data(tmp_path)
    model = CountingModel()
    spec = _spec(data, rungs=["zero_shot", "lora"], all_rungs=False)
    with pytest.raises(PiiGateError, match="card_number: 1, email: 2"):
        run_ladder(spec, cache=cache, runs_dir=tmp_path / "runs", model=model)
    assert model.calls == 0


def test_allowed_run_records_the_flag_in_the_manifest(tmp_path: Path, cache: CallCache) -> None:
    data, planted = write_pii_data(tmp_path)
    model = CountingModel()
    spec = _spec(data, model="openai:gpt-4o-mini", pii={"allow": True})
    result = run_ladder(spec, cache=cache, runs_dir=tmp_path / "runs", model=model)
    assert model.calls > 0
    run_dir = Path(result.run_dir or "")
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["spec"]["pii"]["allow"] is True
    assert result.precheck.pii == {"card_number": 1, "email": 2}
    _assert_nothing_in_full(run_dir, planted.values())


def _assert_nothing_in_full(folder: Path, values: object) -> None:
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for value in values:  # type: ignore[attr-defined]
            assert value not in text, f"{value!r} in {path}"


# --- on the command line ---------------------------------------------------------------------


def test_cli_exit_2_names_lines_counts_and_flag_for_a_remote_model(tmp_path: Path) -> None:
    data, planted = write_pii_data(tmp_path)
    # A documentation address nothing answers on: had a call been made, it would error.
    args = ["run", str(data), "--input", "text", "--expected", "label", "--rungs", "zero_shot"]
    args += ["--model", "http://203.0.113.9:8000/v1:served", "--runs-dir", str(tmp_path / "r")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert f"{data}:6: text: email (" in result.output
    assert f"{data}:18: text: card_number (" in result.output
    assert "card_number: 1, email: 2" in result.output and "--allow-pii" in result.output
    assert "Traceback" not in result.output
    assert not any(value in result.output for value in planted.values())
    assert not (tmp_path / "r").exists()


def test_cli_local_prompt_run_warns_and_masks_every_file_and_report(tmp_path: Path) -> None:
    data, planted = write_pii_data(tmp_path)
    runs = tmp_path / "runs"
    # The mock model echoes its input: the planted values come back in its answers too.
    args = ["run", str(data), "--input", "text", "--expected", "label", "--model", "mock"]
    args += ["--rungs", "zero_shot,few_shot", "--all-rungs", "--runs-dir", str(runs)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "keeps them on this machine" in result.output
    assert f"{data}:41: text: email (" in result.output
    assert not any(value in result.output for value in planted.values())
    (run_dir,) = runs.iterdir()
    assert {"report.md", "report.html", "results.json", "predictions.jsonl"} <= {
        p.name for p in run_dir.iterdir()
    }
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    assert results["precheck"]["pii"] == {"card_number": 1, "email": 2}
    report = (run_dir / "report.md").read_text(encoding="utf-8")
    assert "(card\\_number: 1, email: 2)" in report  # Markdown-escaped
    _assert_nothing_in_full(run_dir, planted.values())
    # The findings themselves (where each value is) are never written: counts only.
    for path in run_dir.rglob("*"):
        if path.is_file():
            assert ": email (" not in path.read_text(encoding="utf-8", errors="replace")


def test_cli_allow_pii_lets_a_lora_run_through_the_gate(tmp_path: Path) -> None:
    data, _ = write_pii_data(tmp_path)
    args = ["run", str(data), "--input", "text", "--expected", "label", "--model", "mock"]
    args += ["--rungs", "zero_shot,lora", "--runs-dir", str(tmp_path / "runs")]
    stopped = runner.invoke(app, args)
    assert stopped.exit_code == 2 and "Nothing was sent" in stopped.output
    # With the flag the gate opens; a tiny time limit then stops the run at the plan, so
    # nothing is trained here either.
    allowed = runner.invoke(app, [*args, "--allow-pii", "--max-minutes", "0.0001"])
    assert allowed.exit_code == 2, allowed.output
    assert "--allow-pii (pii.allow) given" in allowed.output
    assert "Nothing was sent" not in allowed.output
    # --plan trains nothing and sends nothing to a local model: it is not gated.
    planned = runner.invoke(app, [*args, "--plan"])
    assert planned.exit_code == 0, planned.output


def test_check_lists_findings_masked_with_file_and_line(tmp_path: Path) -> None:
    data, planted = write_pii_data(tmp_path)
    result = runner.invoke(app, ["check", str(data), "--input", "text", "--expected", "label"])
    assert result.exit_code == 0, result.output
    assert "look like personal data or secrets" in result.output
    # The default ladder ends in lora: check says a run would stop, and why.
    assert "stops before any model call: it would train an adapter" in result.output
    for line in planted:
        assert f"{data}:{line}: text:" in result.output
    assert not any(value in result.output for value in planted.values())


def test_allow_list_beside_the_data_clears_the_gate(tmp_path: Path, cache: CallCache) -> None:
    data, planted = write_pii_data(tmp_path)
    (tmp_path / ".shouldtune-allow").write_text(
        "\n".join(planted.values()) + "\n", encoding="utf-8"
    )
    model = CountingModel()
    spec = _spec(data, model="openai:gpt-4o-mini")
    result = run_ladder(spec, cache=cache, runs_dir=tmp_path / "runs", model=model)
    assert result.precheck.pii == {}


def test_a_bad_allow_list_exits_2_with_file_and_line(tmp_path: Path) -> None:
    data, _ = write_pii_data(tmp_path)
    allow = tmp_path / "allow.txt"
    allow.write_text("re:(\n", encoding="utf-8")
    spec = tmp_path / "task.yaml"
    spec.write_text(
        f"data: {data.name}\ninput: text\nexpected: label\npii:\n  allow_list: allow.txt\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["check", str(spec)])
    assert result.exit_code == 2
    assert f"{allow}:1: not a valid regex" in result.output
    assert "Traceback" not in result.output


def test_a_timed_plan_is_gated_when_its_probe_would_reach_a_remote_model(
    tmp_path: Path,
) -> None:
    data, _ = write_pii_data(tmp_path)
    spec = _spec(data, model="openai:gpt-4o-mini")
    model = CountingModel()
    with pytest.raises(PiiGateError):
        check_and_plan(spec, cache_dir=tmp_path / "cache", model=model, probe=True)
    assert model.calls == 0
    # The untimed plan (shouldtune check) sends nothing: it lists the findings instead.
    prepared, _ = check_and_plan(spec, cache_dir=tmp_path / "cache", model=model, probe=False)
    assert len(prepared.pii) == 3 and model.calls == 0


def test_check_names_the_csv_line_of_each_finding(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    rows = ["text,label", *[f"row {i} is fine,ok" for i in range(6)]]
    rows[4] = '"write to omar.rossi@gmail.com, please",ok'  # file line 5
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["check", str(data), "--input", "text", "--expected", "label"])
    assert result.exit_code == 0, result.output
    assert f"{data}:5: text: email (om" in result.output


def test_run_json_prints_results_masked_like_the_file(tmp_path: Path) -> None:
    data, planted = write_pii_data(tmp_path)
    args = ["run", str(data), "--input", "text", "--expected", "label", "--model", "mock"]
    args += ["--rungs", "zero_shot", "--runs-dir", str(tmp_path / "runs"), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert '"card_number": 1' in result.output  # precheck.pii
    assert not any(value in result.output for value in planted.values())

"""Two runs side by side: paired where the test examples are the same, and said so when not."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from shouldtune.analysis.stats import mcnemar
from shouldtune.report.compare import compare_runs
from shouldtune.report.load import load_run
from shouldtune.spec import TaskSpec
from tests.fakes import last_input
from tests.report.conftest import RUNGS, color_task, make_run, shaky


def oracle(prompt: str) -> str:
    return last_input(prompt).rsplit(" ", 1)[-1]


def _passes(run_dir: Path, rung: str) -> dict[str, bool]:
    rows = [json.loads(x) for x in (run_dir / "predictions.jsonl").read_text().splitlines()]
    return {r["example_id"]: r["passed"] for r in rows if r["rung"] == rung}


def test_another_model_on_the_same_test_set_is_paired(tmp_path: Path) -> None:
    # Every rung, although the oracle's zero-shot is good enough: few-shot is compared too.
    spec = color_task(tmp_path).model_copy(update={"all_rungs": True})
    a = Path(make_run(tmp_path, shaky, spec=spec, model_name="shaky").run_dir or "")
    b = Path(make_run(tmp_path, oracle, spec=spec, model_name="oracle").run_dir or "")
    comparison = compare_runs(load_run(a), load_run(b))
    sets = comparison.test_sets
    assert sets.same and sets.overlap == sets.n_a == sets.n_b == 27
    assert comparison.note.startswith("Same 27 test examples")
    assert comparison.changed == ["model file: mock-shaky -> mock-oracle"]
    few = next(r for r in comparison.rungs if r.rung == "few_shot")
    pa, pb = _passes(a, "few_shot"), _passes(b, "few_shot")
    expected = mcnemar([pa[i] for i in pa], [pb[i] for i in pa])
    assert few.paired == expected
    assert few.paired is not None and few.paired.b_only == 5 and few.paired.a_only == 0
    assert few.diff == pytest.approx(5 / 27)


def test_another_dataset_version_says_how_many_ids_overlap(tmp_path: Path) -> None:
    a = Path(make_run(tmp_path).run_dir or "")
    bigger = color_task(tmp_path, n=120, name="colors-v2")
    b = Path(make_run(tmp_path, spec=bigger).run_dir or "")
    ra, rb = load_run(a), load_run(b)
    shared = set(ra.result.split.test_ids) & set(rb.result.split.test_ids)
    assert 0 < len(shared) < 27  # the fixture really overlaps only in part
    comparison = compare_runs(ra, rb)
    assert not comparison.test_sets.same
    assert comparison.test_sets.overlap == len(shared)
    assert comparison.note.startswith("The test sets differ: A has 27 examples, B has 36, ")
    assert f"{len(shared)} ids in common" in comparison.note
    assert any(change.startswith("data: ") for change in comparison.changed)
    for rung in comparison.rungs:
        assert rung.paired is not None and rung.paired.n == len(shared)


def test_a_changed_expected_value_is_left_out_of_the_pairs(label_run: Path, tmp_path: Path) -> None:
    other = tmp_path / "edited"
    shutil.copytree(label_run, other)
    rows = [json.loads(x) for x in (other / "predictions.jsonl").read_text().splitlines()]
    victim = rows[0]["example_id"]
    for row in rows:
        if row["example_id"] == victim:
            row["expected"] = "purple"
    (other / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    comparison = compare_runs(load_run(label_run), load_run(other))
    assert comparison.test_sets.expected_changed == 1
    assert not comparison.test_sets.same
    assert "1 with a changed expected value, left out" in comparison.note
    assert all(r.paired is not None and r.paired.n == 26 for r in comparison.rungs)


def test_graded_scores_use_the_paired_bootstrap(tmp_path: Path) -> None:
    path = tmp_path / "words.jsonl"
    rows = [{"input": f"words {i}", "expected": f"alpha beta gamma {i}"} for i in range(60)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    # all_rungs: both runs climb both rungs, whatever their zero-shot interval says.
    spec = TaskSpec(name="words", data=path, scorer="f1", rungs=RUNGS, all_rungs=True)

    def half(prompt: str) -> str:
        return "alpha beta"

    def most(prompt: str) -> str:
        return f"alpha beta gamma {last_input(prompt).split()[-1]}"

    a = Path(make_run(tmp_path, half, spec=spec, model_name="half").run_dir or "")
    b = Path(make_run(tmp_path, most, spec=spec, model_name="most").run_dir or "")
    comparison = compare_runs(load_run(a), load_run(b))
    for rung in comparison.rungs:
        assert rung.paired is not None and rung.paired.method == "paired_bootstrap"
        assert rung.paired.low is not None and rung.paired.low > 0


def test_a_rung_only_one_run_has_is_listed_unpaired(label_run: Path, tmp_path: Path) -> None:
    other = tmp_path / "one-rung"
    shutil.copytree(label_run, other)
    results = json.loads((other / "results.json").read_text())
    results["rungs"] = results["rungs"][:1]
    (other / "results.json").write_text(json.dumps(results))
    comparison = compare_runs(load_run(label_run), load_run(other))
    few = next(r for r in comparison.rungs if r.rung == "few_shot")
    assert few.b is None and few.diff is None and few.paired is None

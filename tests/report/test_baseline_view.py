"""The constant answer in the reports: first in every table and chart, and the second figure.

An entity-extraction-like json task whose fields are mostly empty: a model that always
answers the empty object scores well per field and no better than the constant.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from shouldtune.report.html import render_html
from shouldtune.report.load import load_run
from shouldtune.report.markdown import render_markdown
from shouldtune.report.terminal import render_result
from shouldtune.spec import TaskSpec
from tests.fakes import last_input, present
from tests.report.conftest import make_run

EMPTY: dict[str, list[str]] = {"PER": [], "ORG": [], "LOC": [], "MISC": []}


def entity_task(tmp_path: Path) -> TaskSpec:
    """One sentence in three names a person; the other fields are always empty."""
    path = tmp_path / "entities.jsonl"
    rows = []
    for i in range(90):
        answer = {**EMPTY, "PER": [f"Person{i}"]} if i % 3 == 0 else EMPTY
        rows.append({"input": f"sentence {i} about Person{i}", "expected": json.dumps(answer)})
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return TaskSpec(name="entities", data=path, scorer="json", bar=0.8, rungs=["zero_shot"])


def empties(prompt: str) -> str:
    """Always the empty object: what the constant answers, from a model."""
    return json.dumps(EMPTY)


def finder(prompt: str) -> str:
    """Finds the person in every sentence numbered 0 mod 3 (and leaves the rest empty)."""
    number = int(last_input(prompt).split()[1])
    return json.dumps({**EMPTY, "PER": [f"Person{number}"]} if number % 3 == 0 else EMPTY)


def test_a_model_that_answers_the_constant_is_called_no_better_in_every_report(
    tmp_path: Path,
) -> None:
    result = make_run(tmp_path, empties, spec=entity_task(tmp_path))
    base = present(result.baseline)
    assert json.loads(base.constant) == EMPTY
    found = present(result.verdict.findings)
    assert found.case == "baseline_matches" and result.verdict.best_rung is None
    assert "no better than answering" in result.verdict.headline
    part = present(base.nontrivial)
    assert part.unit == "fields" and part.scores["zero_shot"].point == 0.0
    # The always-empty fields are named, the ones the constant always gets right first.
    assert {p.name for p in part.parts[:3]} == {"ORG", "LOC", "MISC"}

    run = load_run(Path(present(result.run_dir)))
    page = render_markdown(run)
    assert "| prompt tokens | on the non-trivial part |" in page
    row = next(line for line in page.splitlines() if line.startswith("| `zero_shot` |"))
    assert row.removesuffix(" |").rsplit("| ", 1)[-1].startswith("0.0% [")
    assert "MISC (100%)" in page

    html = render_html(run)
    # The baseline row and its chart row come before every rung's.
    assert html.index('id="baseline-row"') < html.index("<td><b>zero_shot</b>")
    chart = html[html.index('data-chart="scores"') :]
    assert chart.index("baseline: always") < chart.index('data-rung="zero_shot"')
    assert 'data-threshold="baseline ' in chart
    assert 'id="nontrivial-scores"' in html and 'id="baseline-pairs"' in html

    console = Console(record=True, width=200)
    render_result(console, result)
    text = console.export_text()
    assert "on the non-trivial part" in text
    assert text.index("baseline: always") < text.index("zero_shot")


def test_a_model_that_finds_the_entities_beats_the_constant_on_the_non_trivial_part(
    tmp_path: Path,
) -> None:
    result = make_run(tmp_path, finder, spec=entity_task(tmp_path))
    base = present(result.baseline)
    assert base.score.point >= 0.75  # three of four fields are empty every time
    part = present(base.nontrivial)
    assert part.scores["zero_shot"].point == 1.0
    assert present(result.verdict.findings).baseline is not None
    assert result.verdict.kind == "PROMPT" and result.verdict.best_rung == "zero_shot"
    assert "above answering" in result.verdict.answer


def test_a_judge_scored_run_says_why_it_has_no_constant(label_run: Path) -> None:
    from dataclasses import replace

    run = load_run(label_run)
    judged = replace(
        run, result=run.result.model_copy(update={"baseline": None, "scorer": "judge"})
    )
    console = Console(width=100, record=True)
    render_result(console, judged.result)
    for text in (render_markdown(judged), render_html(judged), console.export_text()):
        assert "No constant baseline: the judge scorer grades answers with a model" in " ".join(
            text.split()
        )
    # A run that has its constant never says so.
    assert "No constant baseline" not in render_markdown(run)

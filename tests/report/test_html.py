"""report.html's content: verdict first, untrusted text escaped, no network, sections that
appear exactly when their data exists."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from shouldtune.report.html import MAX_CONFUSION_LABELS, render_html
from shouldtune.report.load import RunData, load_run
from shouldtune.spec import TaskSpec
from tests.report.conftest import RUNGS, make_run


def sections(page: str) -> list[str]:
    return re.findall(r'<section[^>]*id="([^"]+)"', page)


def test_verdict_comes_first_and_carries_its_colour(label_run: Path) -> None:
    page = (label_run / "report.html").read_text()
    run = load_run(label_run)
    found = sections(page)
    assert found[:2] == ["verdict", "scores"]
    assert "confusion" in found and "failures" in found and "examples-section" in found
    assert f'class="verdict v-{run.result.verdict.kind}"' in page
    assert run.result.verdict.answer.split(".")[0] in page


def test_untrusted_text_is_escaped(label_run: Path) -> None:
    page = (label_run / "report.html").read_text()
    assert "<b>tag</b>" not in page
    assert "&lt;b&gt;tag&lt;/b&gt;" in page


def test_a_hostile_task_name_cannot_inject_markup(label_run: Path) -> None:
    run = load_run(label_run)
    hostile = '<img src=x onerror="alert(1)">'
    run = replace(run, result=run.result.model_copy(update={"task": hostile}))
    page = render_html(run)
    assert "<img" not in page
    assert "&lt;img src=x" in page


def test_page_is_self_contained(label_run: Path) -> None:
    page = (label_run / "report.html").read_text()
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
    assert "<link" not in page
    assert not re.search(r"@import|url\(", page)


def test_examples_table_lists_failures_first(label_run: Path) -> None:
    page = (label_run / "report.html").read_text()
    run = load_run(label_run)
    failed = re.findall(r'<tr data-fail="([^"]*)"', page)
    assert len(failed) == run.result.split.n_test
    counts = [len(value.split()) for value in failed]
    assert counts == sorted(counts, reverse=True)
    assert counts[0] == 2 and counts[-1] == 0


def test_generated_task_has_no_confusion_section(generated_run: Path) -> None:
    page = (generated_run / "report.html").read_text()
    assert "confusion" not in sections(page)
    assert 'data-chart="confusion' not in page
    assert "<code>empty</code>" in page  # its failure category, listed by name


def _with_raw(run: RunData, **extra: Any) -> RunData:
    return replace(run, raw={**run.raw, **extra})


def test_cost_and_forgetting_appear_only_when_measured(label_run: Path) -> None:
    measured = load_run(label_run)
    # Every run prices its rungs now; a results.json without `cost` (an older run) has none.
    assert "cost" in sections(render_html(measured))
    run = replace(
        measured,
        raw={k: v for k, v in measured.raw.items() if k != "cost"},
        result=measured.result.model_copy(update={"cost": None}),
    )
    plain = render_html(run)
    assert "cost" not in sections(plain) and "forgetting" not in sections(plain)
    rungs = [dict(r) for r in run.raw["rungs"]]
    rungs[-1] = {
        **rungs[-1],
        "settings": {"forgetting": {"kl_divergence": 0.021, "general_accuracy_drop": 0.04}},
    }
    assert measured.result.cost is not None
    page = render_html(replace(_with_raw(run, rungs=rungs), result=measured.result))
    assert sections(page).count("cost") == 1 and sections(page).count("forgetting") == 1
    assert 'data-chart="break-even"' in page
    # Figures under their names in words; a field this reader does not know, spaced out.
    assert "few_shot: general accuracy drop" in page and "few_shot.kl_divergence" not in page


def test_too_many_labels_list_the_top_confusions_instead_of_a_matrix(tmp_path: Path) -> None:
    labels = [f"intent{i:02d}" for i in range(MAX_CONFUSION_LABELS + 2)]
    path = tmp_path / "intents.jsonl"
    rows = [
        {"text": f"case {i} of {labels[i % len(labels)]}", "label": labels[i % len(labels)]}
        for i in range(3 * len(labels))
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    spec = TaskSpec(name="intents", data=path, input="text", expected="label", rungs=RUNGS)
    result = make_run(tmp_path, lambda prompt: "intent00", spec=spec)
    page = (Path(result.run_dir or "") / "report.html").read_text()
    assert "confusion" in sections(page)
    assert 'data-chart="confusion' not in page
    assert "Too many labels for a readable matrix" in page
    assert re.search(r"intent\d\d → intent00 \(\d+\)", page)


def test_every_chart_of_several_series_has_a_legend_entry_for_each(label_run: Path) -> None:
    page = (label_run / "report.html").read_text()
    charts = re.findall(r"<svg [^>]*data-chart=\"([^\"]+)\"(.*?)</svg>", page, re.S)
    several = 0
    for name, body in charts:
        head = re.search(rf'data-chart="{re.escape(name)}"[^>]*', page)
        series = re.search(r'data-series="(\d+)"', head.group(0) if head else "")
        if series is None:
            continue
        several += 1
        assert body.count('data-legend="1"') >= int(series.group(1)), name
    assert several >= 3  # failures, tokens, break-even

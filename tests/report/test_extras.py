"""Report sections written for a person: a search that found nothing says so once; the
comparisons that decide come first, the rest folded."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from shouldtune.records import Comparison
from shouldtune.report.extras import nothing_better
from shouldtune.report.html import render_html
from shouldtune.report.load import load_run
from shouldtune.report.markdown import render_markdown
from tests.fakes import search_record


def test_a_search_that_found_nothing_better_says_so_in_one_line() -> None:
    assert nothing_better(search_record()) is None  # the winner beat few-shot's prompt
    kept = search_record(kept_baseline=True, winner="chat/given/balanced-4@0")
    line = nothing_better(kept)
    assert line is not None and "none of the 24 prompts tried" in line
    assert "few-shot's prompt stands" in line


def _comparisons(label_run: Path) -> tuple[str, str]:
    run = load_run(label_run)
    deciding = Comparison(a="zero_shot", b="few_shot", method="mcnemar", n=27, diff=0.48)
    deciding = deciding.model_copy(update={"p_value": 0.001, "a_only": 0, "b_only": 13})
    other = Comparison(
        a="zero_shot", b="prompt_search", method="mcnemar", n=27, diff=0.1, p_value=0.3
    )
    result = run.result.model_copy(update={"comparisons": [other, deciding]})
    assert result.verdict.best_rung == "few_shot"
    changed = replace(run, result=result)
    return render_html(changed), render_markdown(changed)


def test_the_deciding_comparison_comes_first_and_the_rest_are_folded(label_run: Path) -> None:
    page, markdown = _comparisons(label_run)
    first = re.search(r'<table id="comparisons">(.*?)</table>', page, re.S)
    folded = re.search(r"<details class=\"more\">(.*?)</details>", page, re.S)
    assert first is not None and folded is not None
    assert "few_shot vs zero_shot" in first.group(1)
    assert "prompt_search" not in first.group(1)
    assert "1 other paired comparison<" in folded.group(1)
    assert "prompt_search vs zero_shot" in folded.group(1)
    # McNemar gives no interval: no column of dashes.
    assert '95% interval</th><th class="num">p-value' not in page
    head, _, tail = markdown.partition("<details>")
    assert "`few_shot` vs `zero_shot`: +48.0 pts" in head and "`prompt_search`" not in head
    assert "`prompt_search` vs `zero_shot`" in tail

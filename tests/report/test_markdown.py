"""report.md: short, link-free, the verdict and the rung table with intervals."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from shouldtune.report.load import load_run
from shouldtune.report.markdown import md, render_markdown
from tests.fakes import last_input
from tests.report.conftest import make_run


def test_summary_has_verdict_table_and_failures(label_run: Path) -> None:
    text = (label_run / "report.md").read_text()
    run = load_run(label_run)
    assert f"**{run.result.verdict.kind}**" in text.splitlines()[0]
    for rung in run.result.rungs:
        s = rung.score
        assert f"| `{rung.rung}` | {s.point:.1%} | [{s.low:.1%}, {s.high:.1%}] |" in text
    assert "**Top failure categories**" in text
    assert "- `zero_shot`: `wrong_label` " in text
    assert "few_shot` vs `zero_shot`" in text
    assert len(text.splitlines()) < 40


def test_no_links_even_from_hostile_text(label_run: Path) -> None:
    run = load_run(label_run)
    hostile = "[click](http://e.vil) | <b>x</b>\n# heading"
    run = replace(run, result=run.result.model_copy(update={"task": hostile}))
    text = render_markdown(run)
    assert not re.search(r"(?<!\\)\]\(", text)  # no unescaped link syntax
    assert "<b>" not in text
    assert "\\| " in text and "\n# heading" not in text


def test_md_escapes_markup_and_folds_lines() -> None:
    assert md("a_b *c* [d]\n|e|") == "a\\_b \\*c\\* \\[d\\] \\|e\\|"


def test_rungs_not_climbed_are_listed_with_the_reason(tmp_path: Path) -> None:
    def oracle(prompt: str) -> str:
        return last_input(prompt).rsplit(" ", 1)[-1]

    result = make_run(tmp_path, oracle)
    assert list(result.skipped) == ["few_shot"]  # zero-shot was good enough
    run_dir = Path(result.run_dir or "")
    reason = md(result.skipped["few_shot"])
    assert f"| `few_shot` | | | not climbed: {reason} |" in (run_dir / "report.md").read_text()
    page = (run_dir / "report.html").read_text()
    assert re.search(r'<tr class="skipped"><td><b>few_shot</b>.*not climbed', page)

"""Report sections that exist only when a run measured them: cost, forgetting, and later more.

The sections in EXTRAS read the raw results.json rather than the typed RunResult, so numbers
a newer shouldtune records (or a rung this reader does not know) are still listed. Each is one
function `(raw results) -> Extra | None`; adding a section is adding a function. The prompt
search section reads the typed record (`settings.search`, rung_settings.SearchRecord).

Every section is written for a person: figures under words, never a flattened record key.
The cost section reads the typed record (`cost`, cost.CostReport): the short option table and
the break-even in words that the terminal and report.md show too (cost_view), and the
break-even chart only where a payback was worked out.

The raw fields listed:
- `forgetting` (top level) or `rungs[].settings.forgetting`: objects whose numbers are listed
  under their names in words (FORGETTING_WORDS; a field this reader does not know, by its
  name with spaces).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from shouldtune.report.charts import TradeoffPoint, break_even_chart, tradeoff_chart
from shouldtune.report.cost_view import OPTION_HEAD, heading, option_rows, summary_lines
from shouldtune.report.sweep_view import budget_text, interval_text, sweep_rows
from shouldtune.results import RunResult
from shouldtune.rung_settings import SearchRecord


@dataclass(frozen=True)
class Extra:
    id: str
    title: str
    intro: str
    rows: list[tuple[str, str]]
    chart: Markup | None = None
    text: str | None = None  # shown as preformatted text (a prompt), escaped
    head: tuple[str, ...] = ()  # a table with these columns, its rows in `table`
    table: list[tuple[str, ...]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # sentences under the table


def fmt_value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        if key.endswith("_usd"):
            return f"${value:,.2f}"
        if key.endswith("_s"):
            return f"{value:,.3g} s"
        return f"{value:,}" if isinstance(value, int) else f"{value:,.4g}"
    return str(value)


# Forgetting's fields in words; a share is shown as a percentage, a change in points.
FORGETTING_WORDS: dict[str, str] = {
    "summary": "in words",
    "kl_mean": "KL divergence, adapter on against off (nats per token)",
    "ppl_base": "perplexity on general text, base model",
    "ppl_tuned": "perplexity on general text, tuned",
    "ppl_change": "perplexity change",
    "probe_base": "general-skills probe, base model",
    "probe_tuned": "general-skills probe, tuned",
    "probe_drop": "general-skills probe, points lost",
    "n_probe": "probe questions",
    "n_general_tokens": "general-text tokens compared",
}
_SHARES = ("probe_base", "probe_tuned", "ppl_change")
# Interval ends are shown beside their point, not as rows of their own.
_ENDS = ("_low", "_high")


def _forgetting_value(key: str, value: Any, found: Mapping[str, Any]) -> str:
    low, high = _number(found.get(f"{key}_low")), _number(found.get(f"{key}_high"))
    if key in _SHARES and _number(value) is not None:
        shown = f"{value:+.1%}" if key == "ppl_change" else f"{value:.1%}"
        if low is not None and high is not None:
            shown += f" [{low:.1%}, {high:.1%}]"
        return shown
    if key == "probe_drop" and _number(value) is not None:
        shown = f"{value:+.1f}"
        if low is not None and high is not None:
            shown += f" [{low:+.1f}, {high:+.1f}]"
        return shown
    return fmt_value(key, value)


def forgetting_rows(found: Mapping[str, Any], rung: str | None = None) -> list[tuple[str, str]]:
    """A forgetting record's figures under their names in words (nested ones left out)."""
    rows: list[tuple[str, str]] = []
    for key, value in found.items():
        skip = value is None or isinstance(value, list | Mapping) or key.endswith(_ENDS)
        if skip:
            continue
        words = FORGETTING_WORDS.get(key, key.replace("_", " "))
        label = f"{rung}: {words}" if rung else words
        rows.append((label, _forgetting_value(key, value, found)))
    return rows


def _number(value: Any) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else None


def cost(result: RunResult) -> Extra | None:
    """The option table, the fine-tune and break-even in words, the chart when it pays back."""
    found = result.cost
    if found is None:
        return None
    chart = None
    even = found.break_even
    if even is not None and even.upfront_usd >= 0:
        upfront, monthly = even.upfront_usd, even.monthly_savings_usd
        months = 12 if monthly <= 0 else max(6, min(36, int(2 * upfront / monthly) + 1))
        chart = break_even_chart(upfront, monthly, months, what_if=not even.measured)
    return Extra(
        "cost",
        "Cost and break-even",
        heading(found) + ".",
        [],
        chart,
        head=OPTION_HEAD,
        table=list(option_rows(found)),
        lines=summary_lines(found),
    )


def forgetting(raw: Mapping[str, Any]) -> Extra | None:
    rows: list[tuple[str, str]] = []
    top = raw.get("forgetting")
    if isinstance(top, Mapping):
        rows.extend(forgetting_rows(top))
    for rung in raw.get("rungs") or []:
        settings = rung.get("settings") if isinstance(rung, Mapping) else None
        measured = settings.get("forgetting") if isinstance(settings, Mapping) else None
        if isinstance(measured, Mapping):
            rows.extend(forgetting_rows(measured, str(rung.get("rung"))))
    if not rows:
        return None
    return Extra(
        "forgetting",
        "Forgetting",
        "General capability before and after tuning: the price of a second, specialised model.",
        rows,
    )


def reproducibility(raw: Mapping[str, Any]) -> Extra | None:
    found = raw.get("reproducibility")
    if not isinstance(found, Mapping) or not found.get("n_checked"):
        return None
    share = found.get("share") or {}
    rows = [
        ("rung", str(found.get("rung"))),
        ("failures on the test set", fmt_value("n", found.get("n_failures"))),
        ("failures re-run", fmt_value("n", found.get("n_checked"))),
        ("re-runs per failure", "; ".join(str(c) for c in found.get("conditions") or [])),
        (
            "reproducible (fail in most re-runs)",
            f"{found.get('reproducible')} = {share.get('point', 0):.0%} "
            f"[{share.get('low', 0):.0%}, {share.get('high', 0):.0%}]",
        ),
    ]
    for item in found.get("by_category") or []:
        if isinstance(item, Mapping):
            rows.append(
                (
                    f"  {item.get('category')}",
                    f"{item.get('reproducible')} of {item.get('checked')}",
                )
            )
    return Extra(
        "reproducibility",
        "Are the failures reproducible?",
        "The best prompt rung's failures re-run at a sampling temperature with other seeds and "
        "under prompt variants. Failures that recur are a pattern (question 3); failures that "
        "come and go are prompt sensitivity.",
        rows,
    )


def search_outcome(search: SearchRecord) -> str:
    """One line: did the search replace few-shot's prompt?"""
    if search.kept_baseline:
        return "no prompt found that beats few-shot: few-shot's prompt kept"
    return "a prompt that beats few-shot's on validation (paired test)"


def val_text(value: float, passed: float | None, n: int | None, signal: str) -> str:
    """A validation standing: the selection signal, and the pass rate when it is another."""
    on = f" on {n}" if n is not None else ""
    if signal == "pass/fail" or passed is None:
        return f"{value:.1%}{on}"
    return f"{signal} {value:.3f}, pass {passed:.1%}{on}"


def prompt_search(result: RunResult, folder: Path | None = None) -> Extra | None:
    """The search: what was tried, the winner's validation and test scores, its prompt."""
    rung = next((r for r in result.rungs if r.rung == "prompt_search"), None)
    search = rung.settings.search if rung is not None else None
    if rung is None or search is None:
        return None
    score = rung.score
    rows = [
        ("outcome", search_outcome(search)),
        ("winner", search.winner),
        (
            "winner on validation (train)",
            val_text(
                search.winner_val_score, search.winner_val_pass, search.winner_val_n, search.signal
            ),
        ),
        ("winner on the test split", f"{score.point:.1%} [{score.low:.1%}, {score.high:.1%}]"),
        ("baseline (few-shot's own prompt)", search.baseline),
    ]
    if search.baseline_val_score is not None:
        rows.append(
            (
                "baseline on validation (train)",
                val_text(search.baseline_val_score, search.baseline_val_pass, None, search.signal),
            )
        )
    versus = search.versus_baseline
    if versus is not None:
        rows.append(
            (
                f"best other ({search.best}) against the baseline",
                f"{versus.diff:+.3f} on {versus.n} paired examples ({versus.method}, "
                f"p = {versus.p_value:.3g}, needs < {versus.alpha:g}); pass rate "
                f"{versus.pass_diff:+.1%}",
            )
        )
    rows += [
        ("prompts tried / in the space", f"{search.tried} / {search.space}"),
        ("calls (budget)", f"{search.calls} ({search.budget})"),
        (
            "validation examples / demonstration pool",
            f"{search.val_size} in {search.folds} fold(s) / {search.pool_size}",
        ),
    ]
    lines: list[str] = []
    nothing = nothing_better(search)
    if nothing is not None:
        # A search that could not help says so once, rather than list every candidate.
        lines.append(nothing)
    else:
        for tried in search.candidates[:12]:
            rows.append(
                (
                    f"  {tried.key}",
                    val_text(tried.val_score, tried.val_pass, tried.val_n, search.signal),
                )
            )
    text = None
    path = rung.settings.prompt_file
    if folder is not None and path is not None:
        found = (folder / path).resolve()
        if found.is_relative_to(folder.resolve()) and found.is_file():
            text = found.read_text(encoding="utf-8", errors="replace")
    return Extra(
        "prompt-search",
        "Prompt search",
        "Prompts tried on a validation slice of train (never the test split), weak ones "
        "dropped by successive halving (never on fewer than 16 examples); the best replaces "
        "few-shot's prompt only when a paired test on the same examples says it is better, "
        "and only then is it scored on the test split. "
        "Candidates: layout/instructions/demonstrations-k@seed(+cal = calibrated).",
        rows,
        text=text,
        lines=lines,
    )


def nothing_better(search: SearchRecord) -> str | None:
    """One line when the search kept few-shot's prompt (no candidate beat it); else None."""
    if not search.kept_baseline:
        return None
    return (
        f"The search found nothing better: none of the {search.tried} prompts tried beat "
        "few-shot's prompt on a paired test on validation, so few-shot's prompt stands (and "
        "its test answers are reused, not asked again)."
    )


def sweep(result: RunResult) -> Extra | None:
    """The LoRA sweep: each setting's task and general-probe scores, the chosen one marked."""
    rows = sweep_rows(result)
    if not rows:
        return None
    drawn = [
        TradeoffPoint(r.label, r.task, r.probe, r.chosen, r.within)
        for r in rows
        if r.task is not None and r.probe is not None
    ]
    base = next((r.probe_base for r in rows if r.probe_base is not None), None)
    chart = tradeoff_chart(drawn, result.bar, base) if drawn else None
    table = [
        (
            r.label + (" (chosen)" if r.chosen else ""),
            f"task {interval_text(r.task)} · general probe {interval_text(r.probe)} · "
            f"validation {r.val_score:.1%} on {r.val_n}"
            + (f" · {budget_text(r)} budget" if r.within is not None else ""),
        )
        for r in rows
    ]
    return Extra(
        "sweep",
        "Fine-tune settings: task score against forgetting",
        "One adapter per setting, each trained on train less a validation slice. The setting "
        "reported was chosen on that validation slice (within the forgetting budget when one "
        "is set), never on the test split; the test scores and the general probe are shown "
        "for every setting, with 95% intervals.",
        table,
        chart,
    )


Build = Callable[[Mapping[str, Any]], Extra | None]
EXTRAS: list[Build] = [forgetting, reproducibility]


def extras(raw: Mapping[str, Any], result: RunResult, folder: Path | None = None) -> list[Extra]:
    found = [extra for build in EXTRAS if (extra := build(raw)) is not None]
    typed = [prompt_search(result, folder), sweep(result), cost(result)]
    return [*(extra for extra in typed if extra is not None), *found]

"""The cost table in words and tables: the terminal, report.md and `shouldtune advise` share it."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.table import Table

from shouldtune.cost import CostReport
from shouldtune.terminal_text import escape, visible

DAYS_PER_MONTH = 30.44


def usd(value: float) -> str:
    return f"${value:,.2f}" if abs(value) < 100 else f"${value:,.0f}"


def payback(months: float | None) -> str:
    if months is None:
        return "never at this volume"
    if months >= 1:
        return f"{months:.1f} months"
    days = months * DAYS_PER_MONTH
    if days < 1:
        return "less than a day"
    return f"{days:.0f} day" + ("" if round(days) == 1 else "s")


def params_text(params: float) -> str:
    return f"{params / 1e9:g}B" if params >= 1e9 else f"{params / 1e6:,.0f}M"


def tokens_text(tokens: float) -> str:
    return f"{tokens / 1e6:,.1f}M tokens" if tokens >= 1e6 else f"{tokens:,.0f} tokens"


def hours_text(hours: float) -> str:
    if hours * 60 < 0.5:
        return "under a minute"  # a small model's compute: "0 min" would read as nothing
    return f"{hours:,.1f} h" if hours >= 1 else f"{hours * 60:.0f} min"


def heading(cost: CostReport) -> str:
    if cost.prompted_by == "self_hosted":
        api = (
            f"the prompted options self-host {cost.prompted_model}, served like the fine-tune; "
            "api.price_input and api.price_output price an API instead"
        )
    elif cost.placeholder_api:
        api = (
            f"API figures use placeholder prices, ${cost.api_input_usd_per_mtok:g} in / "
            f"${cost.api_output_usd_per_mtok:g} out per million tokens: set api.price_input "
            "and api.price_output for yours"
        )
    else:
        api = (
            f"API: {cost.api_model}, ${cost.api_input_usd_per_mtok:g} in / "
            f"${cost.api_output_usd_per_mtok:g} out per million tokens"
        )
    return f"Cost at {cost.requests_per_month:,} requests/month, prices as of {cost.as_of} ({api})"


def served_text(cost: CostReport, served_by: str) -> str:
    """Who serves an option; an API figure at placeholder prices says so in its own row."""
    if cost.placeholder_api and served_by.startswith("api"):
        return served_by.replace("api", "API (placeholder prices)", 1)
    return served_by.replace("api", "API", 1) if served_by.startswith("api") else served_by


def option_rows(cost: CostReport) -> list[tuple[str, str, str, str]]:
    """The short table every format shows: option, $/1k requests, $/month, served by."""
    return [
        (
            name,
            f"${option.usd_per_1k_requests:,.3f}",
            usd(option.monthly_usd),
            served_text(cost, option.served_by),
        )
        for name, option in cost.options.items()
    ]


OPTION_HEAD = ("option", "$/1k requests", "$/month", "served by")


def sources_line(cost: CostReport) -> str:
    """Where each option's tokens per request came from, grouped by source."""
    groups: dict[str, list[str]] = {}
    for name, option in cost.options.items():
        groups.setdefault(option.source, []).append(name)
    parts = [f"{', '.join(names)} {source}" for source, names in groups.items()]
    return "Tokens per request: " + "; ".join(parts) + "."


def model_words(cost: CostReport) -> tuple[str, str, str]:
    """The model the fine-tune is priced for, where its size came from (for the parenthesis
    after it), and a sentence when the size was assumed."""
    t = cost.training
    size = params_text(t.target_params)
    if t.params_source.startswith("assumed"):
        why = t.params_source.removeprefix("assumed: ")
        return f"a {size}-parameter model", "", f" The {size} size is assumed: {why}."
    if t.target_model:
        return t.target_model, f"{size} parameters, {t.params_source}; ", ""
    return f"a {size}-parameter model", f"{t.params_source}; ", ""


def at_prices(cost: CostReport) -> str:
    """Words for a figure that depends on the API price: empty unless it is a placeholder."""
    return " at placeholder API prices" if cost.placeholder_api else ""


def break_even_line(cost: CostReport) -> str | None:
    """Break-even in words: a measured fine-tune's, or a what-if with its assumption."""
    even = cost.break_even
    if even is None:
        return None
    if even.measured:
        start = f"Break-even against {even.baseline}"
    else:
        start = f"What-if break-even against {even.baseline} ({even.basis})"
    if even.months is None:
        return (
            f"{start}: never at this volume{at_prices(cost)}; the fine-tuned model costs "
            f"{usd(-even.monthly_savings_usd)}/month more to run (upfront {usd(even.upfront_usd)})."
        )
    tail = f" ({even.basis})" if even.measured else ""
    return (
        f"{start}: {usd(even.upfront_usd)} upfront, {usd(even.monthly_savings_usd)}/month saved"
        f"{at_prices(cost)}, pays back in {payback(even.months)}{tail}."
    )


def summary_lines(cost: CostReport) -> list[str]:
    """The fine-tune's one-off cost, what serving it costs, and when it pays for itself."""
    t = cost.training
    model, source, assumed = model_words(cost)
    lines = [
        sources_line(cost),
        f"Fine-tuning {model} ({source}{t.method}, {t.gpus}x {t.gpu}) on "
        f"{t.train_examples:,} examples x {t.epochs:g} epochs ({tokens_text(t.train_tokens)}): "
        f"{hours_text(t.hours)} ({hours_text(t.compute_hours)} of compute at MFU {t.mfu:.0%}, "
        f"{t.mfu_source}, + {hours_text(t.overhead_hours)} overhead) = {usd(t.cost_usd)}."
        + assumed,
    ]
    if t.calibration is not None:
        lines.append(f"Calibration: {t.calibration.note}.")
    s = cost.serving
    chosen = "per-token hosting" if s.chosen == "per_token" else f"a dedicated {s.dedicated_gpu}"
    lines.append(
        f"Serving it: per-token hosting {usd(s.per_token_monthly_usd)}/month, a dedicated "
        f"{s.dedicated_gpu} {usd(s.dedicated_monthly_usd)}/month "
        f"({s.dedicated_busy_hours:,.1f} GPU-hours busy); the cheaper is {chosen}."
    )
    if cost.two_models is not None:
        extra = f" (+{usd(cost.two_models.monthly_usd)}/month)" if cost.two_models.material else ""
        lines.append(f"Two models in production: {cost.two_models.reason}{extra}.")
    even = break_even_line(cost)
    if even is not None:
        lines.append(even)
    lines.extend(f"Note: {note}." for note in cost.notes)
    return lines


def cost_table(cost: CostReport) -> Table:
    table = Table()
    # Tokens per request are in the rung table; where they came from is one line below.
    table.add_column("option", no_wrap=True)
    for column in OPTION_HEAD[1:3]:
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column(OPTION_HEAD[3], overflow="fold")
    for row in option_rows(cost):
        table.add_row(*row[:3], escape(row[3]))
    return table


def render_cost(console: Console, cost: CostReport) -> None:
    """The heading, the table of options, then the fine-tune's cost and break-even in words."""
    console.print(f"[bold]{escape(heading(cost))}[/bold]")
    console.print(cost_table(cost))
    for line in summary_lines(cost):
        console.print(visible(line), markup=False, highlight=False)


def cost_markdown(cost: CostReport, md: Callable[[str], str]) -> list[str]:
    """Markdown lines; `md` escapes text that can come from a user's price table."""
    lines = [
        f"**{md(heading(cost))}**",
        "",
        "| option | $ / 1k requests | $ / month | served by |",
        "| --- | ---: | ---: | --- |",
    ]
    for name, per_1k, monthly, served in option_rows(cost):
        lines.append(f"| `{name}` | {md(per_1k)} | {md(monthly)} | {md(served)} |")
    lines.append("")
    lines.extend(f"- {md(line)}" for line in summary_lines(cost))
    return lines

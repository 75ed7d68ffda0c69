"""`shouldtune advise` on the terminal: the answer, the cost table and break-even figures."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel

from shouldtune.advise import Advice
from shouldtune.report.cost_view import render_cost
from shouldtune.terminal_text import escape

_COLORS = {
    "PROMPT": "green",
    "RAG": "cyan",
    "FINE_TUNE": "magenta",
    "NOT_ENOUGH_DATA": "yellow",
    "INCONCLUSIVE": "yellow",
}


def render_advice(console: Console, advice: Advice) -> None:
    color = _COLORS[advice.kind]
    body = (
        f"[bold]{escape(advice.headline)}[/bold]\n\n{escape(advice.answer)}\n\n"
        f"[dim]Decided by question {escape(advice.question)}, from your answers: a prior, "
        "not a measurement.[/dim]"
    )
    title = f"[bold {color}]{advice.kind}[/bold {color}]"
    console.print(Panel(body, title=title, border_style=color))
    render_cost(console, advice.cost)
    if advice.examples_advice:
        console.print(f"\n[yellow]First:[/yellow] {escape(advice.examples_advice)}")

"""Every `shouldtune ...` command the README and the docs show is one the CLI accepts.

Each command inside a ```bash block is parsed by the real CLI (click's parser, with the
options' own types and checks) without running it: a renamed flag, a removed subcommand or a
value the flag refuses fails here, not in a reader's terminal.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer

from shouldtune.cli import app

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"```(?:bash|sh|console)\n(.*?)```", re.S)


def _commands() -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        for block in _BLOCK.findall(page.read_text(encoding="utf-8")):
            joined = block.replace("\\\n", " ")
            for line in joined.splitlines():
                line = line.strip().removeprefix("$ ")
                if line.startswith("shouldtune "):
                    command = line.split(" #", 1)[0].split(" > ", 1)[0].split(" | ", 1)[0]
                    found.append((f"{page.name}: {command.strip()}", command.strip()))
    return found


COMMANDS = _commands()


def test_the_docs_show_commands() -> None:
    assert len(COMMANDS) >= 20


@pytest.mark.parametrize("command", [c for _, c in COMMANDS], ids=[i for i, _ in COMMANDS])
def test_a_documented_command_parses(command: str) -> None:
    args = shlex.split(command)[1:]
    group = typer.main.get_command(app)
    # typer ships its own copy of click: its classes are reached through the group, by name.
    try:
        group.make_context("shouldtune", list(args))
    except Exception as error:  # click's Exit or UsageError, told apart below
        names = {cls.__name__ for cls in type(error).__mro__}
        if "UsageError" in names:
            pytest.fail(f"{command}: {error}")
        assert "Exit" in names, repr(error)  # --help, --version: printed and exited
        return
    name, *rest = args
    commands = getattr(group, "commands", {})
    assert name in commands, f"{command}: no subcommand {name!r}"
    sub = commands[name]
    try:
        sub.make_context(name, list(rest))
    except Exception as error:
        names = {cls.__name__ for cls in type(error).__mro__}
        if "UsageError" in names:
            pytest.fail(f"{command}: {error.format_message()}")  # type: ignore[attr-defined]
        assert "Exit" in names, repr(error)

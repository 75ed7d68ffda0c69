"""The prompt file a rung writes: what it sent, with personal data in it masked."""

from __future__ import annotations

import json
from pathlib import Path

from shouldtune.models.base import Message
from shouldtune.prompt_file import write_prompt_file
from shouldtune.records import Example


def test_demonstrations_and_messages_are_written_masked(tmp_path: Path) -> None:
    value = "omar.rossi@gmail.com"
    demo = Example(id="d1", input=f"mail {value} about it", expected="account", line=3)
    messages = [
        Message(role="system", content=f"Example: mail {value} about it -> account"),
        Message(role="user", content="{input}"),
    ]
    text = write_prompt_file(tmp_path, "few_shot", messages, demonstrations=[demo])
    record = json.loads((text.parent / "prompt.json").read_text(encoding="utf-8"))
    assert record["demonstrations"][0]["input"] == "mail om****************om about it"
    assert record["messages"][1]["content"] == "{input}"
    for path in (text, text.parent / "prompt.json"):
        assert value not in path.read_text(encoding="utf-8")

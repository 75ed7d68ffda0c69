"""The exact prompt a rung used, written where a user can take it away.

Every prompt rung writes `artifacts/<rung>/prompt.json` (the messages with an `{input}`
placeholder, and the demonstrations) and `prompt.txt` (the same, as text to paste into code
or a provider's console). Rungs whose prompt changes per input (demonstrations nearest each
input, retrieved passages) say so and give the placeholder for what varies.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from shouldtune.models.base import Message
from shouldtune.pii import mask_quoted
from shouldtune.records import Example

INPUT_PLACEHOLDER = "{input}"


class Demonstration(BaseModel):
    id: str
    input: str
    expected: str


class PromptFile(BaseModel):
    """prompt.json: what the rung sent, with the input left as a placeholder."""

    rung: str
    layout: str = "chat"
    messages: list[dict[str, str]] = Field(
        description="role and content; {input} stands for the input text."
    )
    demonstrations: list[Demonstration] = Field(default_factory=list)
    varies: str | None = Field(
        None, description="What changes per input, when something does (and its placeholder)."
    )
    labels: list[str] | None = None
    calibrated: bool = False


def placeholder_example() -> Example:
    return Example(id="{input}", input=INPUT_PLACEHOLDER, expected="", line=0)


def write_prompt_file(
    folder: Path,
    rung: str,
    messages: Sequence[Message],
    *,
    demonstrations: Sequence[Example] = (),
    layout: str = "chat",
    varies: str | None = None,
    labels: Sequence[str] | None = None,
    calibrated: bool = False,
) -> Path:
    """Write prompt.json and prompt.txt under folder/artifacts/<rung>/; returns prompt.txt."""
    target = folder / "artifacts" / rung
    target.mkdir(parents=True, exist_ok=True)
    record = PromptFile(
        rung=rung,
        layout=layout,
        messages=[{"role": m.role, "content": m.content} for m in messages],
        demonstrations=[
            Demonstration(id=d.id, input=d.input, expected=d.expected) for d in demonstrations
        ],
        varies=varies,
        labels=list(labels) if labels else None,
        calibrated=calibrated,
    )
    # Demonstrations are train examples: personal data in them is masked here too (pii), so
    # the prompt to take away never carries a customer's card number.
    record = PromptFile.model_validate(mask_quoted(record.model_dump()))
    (target / "prompt.json").write_text(
        json.dumps(record.model_dump(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    text = target / "prompt.txt"
    text.write_text(render_text(record), encoding="utf-8")
    return text


def render_text(record: PromptFile) -> str:
    lines = [
        f"# The {record.rung} prompt, as shouldtune sent it. {INPUT_PLACEHOLDER} is your input.",
    ]
    if record.varies:
        lines.append(f"# Per input: {record.varies}")
    if record.calibrated:
        lines.append(
            "# Scored with contextual calibration (label probabilities divided by those the "
            "prompt gives on content-free inputs): see prompt.json and docs/rungs.md."
        )
    for message in record.messages:
        lines += ["", f"=== {message['role']} ===", message["content"]]
    return "\n".join(lines) + "\n"


def saved(
    run_dir: Path | None,
    rung: str,
    messages: Sequence[Message],
    *,
    demonstrations: Sequence[Example] = (),
    layout: str = "chat",
    varies: str | None = None,
    labels: Sequence[str] | None = None,
    calibrated: bool = False,
) -> dict[str, str]:
    """Write the prompt file when there is a run directory; the settings entry naming it."""
    if run_dir is None:
        return {}
    path = write_prompt_file(
        run_dir,
        rung,
        messages,
        demonstrations=demonstrations,
        layout=layout,
        varies=varies,
        labels=labels,
        calibrated=calibrated,
    )
    return {"prompt_file": path.relative_to(run_dir).as_posix()}

"""Rung 1a: the instructions alone, no examples."""

from __future__ import annotations

from collections.abc import Sequence

from shouldtune.evaluate import EvalContext, evaluate
from shouldtune.prompts import messages_for, probe_examples, system_prompt
from shouldtune.records import Example, Prediction, RungResult

NAME = "zero_shot"


def run(
    ctx: EvalContext, train: Sequence[Example], test: Sequence[Example]
) -> tuple[RungResult, list[Prediction]]:
    system = system_prompt(ctx.spec, ctx.labels)
    items = [(example, messages_for(system, [], example)) for example in test]
    probe = [(example, messages_for(system, [], example)) for example in probe_examples(train)]
    return evaluate(ctx, NAME, items, settings={"system_prompt": system}, probe=probe)

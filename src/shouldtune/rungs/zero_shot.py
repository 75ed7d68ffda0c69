"""Rung 1a: the instructions alone, no examples."""

from __future__ import annotations

from collections.abc import Sequence

from shouldtune.evaluate import EvalContext, evaluate
from shouldtune.prompt_file import placeholder_example, saved
from shouldtune.prompts import messages_for, probe_examples, system_prompt
from shouldtune.records import Example, Prediction, RungResult

NAME = "zero_shot"


def run(
    ctx: EvalContext, train: Sequence[Example], test: Sequence[Example]
) -> tuple[RungResult, list[Prediction]]:
    system = system_prompt(ctx.spec, ctx.labels)
    items = [(example, messages_for(system, [], example)) for example in test]
    probe = [(example, messages_for(system, [], example)) for example in probe_examples(train)]
    template = messages_for(system, [], placeholder_example())
    settings = {"system_prompt": system, **saved(ctx.run_dir, NAME, template, labels=ctx.labels)}
    return evaluate(ctx, NAME, items, settings=settings, probe=probe)

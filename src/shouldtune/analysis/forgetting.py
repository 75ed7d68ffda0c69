"""General-capability loss of a fine-tuned model, measured rather than assumed.

Three figures, each comparing the student with the adapter off (base) and on (tuned), in
the same process and engine: the mean per-token KL divergence KL(base || tuned) and the
perplexity change on general text that ships with Python itself (module docstrings of the
standard library), and accuracy on a seeded sample of the general-skills probe
(general_probe.py), with 95% intervals for each rate and a paired one for the drop.
"""

from __future__ import annotations

import importlib
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, Field

from shouldtune.analysis.general_probe import POOL_VERSION, ProbeItem, probe_items
from shouldtune.analysis.stats import paired_difference, wilson
from shouldtune.models.base import Message

# Prose-heavy standard-library docstrings: general English the task data never touches.
_GENERAL_MODULES = ("json", "argparse", "difflib", "heapq", "textwrap", "calendar", "fractions")
_MAX_GENERAL_TOKENS = 1024
_PROBE_NEW_TOKENS = 16  # one number, word or letter; a chatty "The answer is ..." still fits
_BATCH = 32
DEFAULT_PROBE_N = 150


class Forgetting(BaseModel):
    kl_mean: float = Field(description="Mean per-token KL(base || tuned) on general text, nats.")
    ppl_base: float
    ppl_tuned: float
    probe_base: float = Field(description="General-skills probe accuracy, adapter off.")
    probe_tuned: float
    n_probe: int
    n_general_tokens: int
    # Added with the larger probe; None in figures recorded before it.
    probe_base_low: float | None = Field(None, description="95% Wilson interval, adapter off.")
    probe_base_high: float | None = None
    probe_tuned_low: float | None = Field(None, description="95% Wilson interval, adapter on.")
    probe_tuned_high: float | None = None
    probe_drop: float | None = Field(None, description="probe_base - probe_tuned, same items.")
    probe_drop_low: float | None = Field(None, description="95% paired interval (Newcombe).")
    probe_drop_high: float | None = None
    probe_families: dict[str, list[int]] | None = Field(
        None, description="Per family: [items, passed adapter off, passed adapter on]."
    )
    probe_pool_version: int | None = None
    probe_s: float | None = Field(None, description="Seconds the probe's generation took.")

    @property
    def ppl_change(self) -> float:
        return self.ppl_tuned / self.ppl_base - 1.0

    def summary(self) -> str:
        head = (
            f"KL {self.kl_mean:.3f} nats/token, perplexity {self.ppl_base:.1f} -> "
            f"{self.ppl_tuned:.1f} ({self.ppl_change:+.0%}), general probe "
        )
        if self.probe_drop_low is None or self.probe_drop_high is None:
            return head + f"{self.probe_base:.0%} -> {self.probe_tuned:.0%} (n={self.n_probe})"
        return head + (
            f"{self.probe_base:.0%} [{self.probe_base_low:.0%}, {self.probe_base_high:.0%}] -> "
            f"{self.probe_tuned:.0%} [{self.probe_tuned_low:.0%}, {self.probe_tuned_high:.0%}], "
            f"drop {100 * (self.probe_drop or 0.0):+.0f} points "
            f"[{100 * self.probe_drop_low:+.0f}, {100 * self.probe_drop_high:+.0f}] "
            f"(n={self.n_probe} items, paired)"
        )


def general_text() -> str:
    parts = []
    for name in _GENERAL_MODULES:
        doc = importlib.import_module(name).__doc__
        if doc:
            parts.append(doc.strip())
    return "\n\n".join(parts)


def measure(
    model: Any,
    tokenizer: Any,
    render: Callable[[Sequence[Message]], str],
    *,
    probe_n: int = DEFAULT_PROBE_N,
    seed: int = 0,
) -> Forgetting:
    """`model` is a peft model; its adapter is switched off for the base figures."""
    import torch

    ids = tokenizer(general_text(), add_special_tokens=False)["input_ids"][:_MAX_GENERAL_TOKENS]
    batch = torch.tensor([ids])
    model.train(False)
    with torch.no_grad():
        tuned_logp = torch.log_softmax(model(batch).logits[0, :-1].double(), dim=-1)
        with model.disable_adapter():
            base_logp = torch.log_softmax(model(batch).logits[0, :-1].double(), dim=-1)
    targets = batch[0, 1:]
    kl = (base_logp.exp() * (base_logp - tuned_logp)).sum(-1).mean().item()
    nll_base = -base_logp.gather(1, targets[:, None]).mean().item()
    nll_tuned = -tuned_logp.gather(1, targets[:, None]).mean().item()

    items = probe_items(probe_n, seed)
    prompts = [render([Message("user", item.question)]) for item in items]
    start = time.perf_counter()
    tuned_out = generate_batched(model, tokenizer, prompts)
    with model.disable_adapter():
        base_out = generate_batched(model, tokenizer, prompts)
    probe_s = time.perf_counter() - start
    base_pass = [item.passed(out) for item, out in zip(items, base_out, strict=True)]
    tuned_pass = [item.passed(out) for item, out in zip(items, tuned_out, strict=True)]
    return probe_figures(
        items,
        base_pass,
        tuned_pass,
        kl_mean=kl,
        ppl_base=math.exp(nll_base),
        ppl_tuned=math.exp(nll_tuned),
        n_general_tokens=len(ids),
        probe_s=probe_s,
    )


def probe_figures(
    items: Sequence[ProbeItem],
    base_pass: Sequence[bool],
    tuned_pass: Sequence[bool],
    **measured: Any,
) -> Forgetting:
    """The probe's rates, their intervals and the paired drop, from per-item outcomes."""
    n = len(items)
    base, tuned = wilson(sum(base_pass), n), wilson(sum(tuned_pass), n)
    drop = paired_difference(base_pass, tuned_pass)
    families: dict[str, list[int]] = {}
    for item, was, now in zip(items, base_pass, tuned_pass, strict=True):
        row = families.setdefault(item.family, [0, 0, 0])
        row[0] += 1
        row[1] += int(was)
        row[2] += int(now)
    return Forgetting(
        probe_base=base.point,
        probe_tuned=tuned.point,
        n_probe=n,
        probe_base_low=base.low,
        probe_base_high=base.high,
        probe_tuned_low=tuned.low,
        probe_tuned_high=tuned.high,
        probe_drop=drop.point,
        probe_drop_low=drop.low,
        probe_drop_high=drop.high,
        probe_families=dict(sorted(families.items())),
        probe_pool_version=POOL_VERSION,
        **measured,
    )


def generate_batched(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    *,
    max_new_tokens: int = _PROBE_NEW_TOKENS,
    batch_size: int = _BATCH,
) -> list[str]:
    """Greedy answers, several prompts per forward pass (left-padded, so all end together).

    Prompts are sorted by length first, so a batch pads little; answers come back in the
    prompts' order.
    """
    import torch

    encoded = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
    order = sorted(range(len(prompts)), key=lambda i: len(encoded[i]))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    outputs: list[str] = [""] * len(prompts)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        width = max(len(encoded[i]) for i in chunk)
        gaps = [width - len(encoded[i]) for i in chunk]
        ids = torch.tensor([[pad] * gap + encoded[i] for gap, i in zip(gaps, chunk, strict=True)])
        mask = torch.tensor([[0] * gap + [1] * (width - gap) for gap in gaps])
        with torch.no_grad():
            out = model.generate(
                input_ids=ids,
                attention_mask=mask,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                pad_token_id=pad,
            )
        for row, i in enumerate(chunk):
            outputs[i] = tokenizer.decode(out[row, width:], skip_special_tokens=True)
    return outputs

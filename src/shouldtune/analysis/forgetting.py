"""General-capability loss of a fine-tuned model, measured rather than assumed.

Three figures, each comparing the student with the adapter off (base) and on (tuned), in
the same process and engine: the mean per-token KL divergence KL(base || tuned) and the
perplexity change on general text that ships with Python itself (module docstrings of the
standard library), and accuracy on a small general-skills probe this module generates
(arithmetic, format following, simple instructions).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, Field

from shouldtune.models.base import Message

# Prose-heavy standard-library docstrings: general English the task data never touches.
_GENERAL_MODULES = ("json", "argparse", "difflib", "heapq", "textwrap", "calendar", "fractions")
_MAX_GENERAL_TOKENS = 1024


class Forgetting(BaseModel):
    kl_mean: float = Field(description="Mean per-token KL(base || tuned) on general text, nats.")
    ppl_base: float
    ppl_tuned: float
    probe_base: float = Field(description="General-skills probe accuracy, adapter off.")
    probe_tuned: float
    n_probe: int
    n_general_tokens: int

    @property
    def ppl_change(self) -> float:
        return self.ppl_tuned / self.ppl_base - 1.0

    def summary(self) -> str:
        return (
            f"KL {self.kl_mean:.3f} nats/token, perplexity {self.ppl_base:.1f} -> "
            f"{self.ppl_tuned:.1f} ({self.ppl_change:+.0%}), general probe "
            f"{self.probe_base:.0%} -> {self.probe_tuned:.0%} (n={self.n_probe})"
        )


def general_text() -> str:
    parts = []
    for name in _GENERAL_MODULES:
        doc = importlib.import_module(name).__doc__
        if doc:
            parts.append(doc.strip())
    return "\n\n".join(parts)


def probe_items() -> list[tuple[str, str]]:
    """(question, expected substring): deterministic, generated, no data files needed."""
    items: list[tuple[str, str]] = []
    for a, b in ((2, 3), (4, 5), (7, 1), (6, 2), (3, 3), (8, 1)):
        items.append((f"What is {a}+{b}? Answer with the number only.", str(a + b)))
    words = ("apple", "river", "yellow", "window", "garden", "music")
    items.extend((f"Repeat this word exactly: {w}", w) for w in words)
    items.extend((f"Write the word {w} in capital letters.", w.upper()) for w in words[:4])
    items.extend(
        (f"What is the first letter of the word {w}? Answer with the letter only.", w[0])
        for w in words[2:6]
    )
    return items


def _probe_score(outputs: Sequence[str], items: Sequence[tuple[str, str]]) -> float:
    hits = sum(expected in out for out, (_, expected) in zip(outputs, items, strict=True))
    return hits / len(items)


def measure(
    model: Any,
    tokenizer: Any,
    render: Callable[[Sequence[Message]], str],
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

    items = probe_items()
    prompts = [render([Message("user", question)]) for question, _ in items]
    tuned_out = _generate_all(model, tokenizer, prompts)
    with model.disable_adapter():
        base_out = _generate_all(model, tokenizer, prompts)
    return Forgetting(
        kl_mean=kl,
        ppl_base=math.exp(nll_base),
        ppl_tuned=math.exp(nll_tuned),
        probe_base=_probe_score(base_out, items),
        probe_tuned=_probe_score(tuned_out, items),
        n_probe=len(items),
        n_general_tokens=len(ids),
    )


def _generate_all(model: Any, tokenizer: Any, prompts: Sequence[str]) -> list[str]:
    import torch

    outputs = []
    for prompt in prompts:
        ids = torch.tensor([tokenizer(prompt, add_special_tokens=False)["input_ids"]])
        with torch.no_grad():
            out = model.generate(
                input_ids=ids,
                attention_mask=torch.ones_like(ids),
                max_new_tokens=12,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
            )
        outputs.append(tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True))
    return outputs

"""How a training batch is laid out and its loss computed, so that no compute is wasted.

Two savings, both exact (the loss and the gradients are those of the plain padded batch):

- **Answer-only logits.** Batches are left-padded, so every answer ends at the last position
  and the model needs logits for the last K positions only (K = longest answer + 1, for the
  shift). On a small model with a big vocabulary the projection onto the vocabulary and its
  softmax cost about a tenth of a step, and on prompt tokens that work was thrown away.
- **Shared prefix.** Every training prompt starts with the same system prompt. The tokens the
  whole batch shares are run once, and their keys and values are repeated for each row; the
  rows run only their own tokens on top (the gradient flows back through the shared part).
  On the bundled tasks that prefix is a third to a half of every example.

A model whose forward cannot skip logits or take a cache falls back to the plain layout.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from shouldtune.token_ids import common_prefix

IGNORE = -100


def cache_argument(model: Any) -> str | None:
    """The name the model's forward gives its key/value cache (transformers renamed it)."""
    params = inspect.signature(model.forward).parameters
    for name in ("cache", "past_key_values"):
        if name in params:
            return name
    return None


def supports_answer_only(model: Any) -> bool:
    """Whether the model's forward can skip logits (`logits_to_keep`) and takes position ids."""
    params = inspect.signature(model.forward).parameters
    return "logits_to_keep" in params and "position_ids" in params


class AnswerOnlyCollator:
    """Left-padded batches with answer-only labels, `logits_to_keep`, and a shared prefix.

    With `share_prefix`, the tokens every row starts with (up to the position before the
    first answer token, whose logit is needed) move to `prefix_ids`, and the rows keep the
    rest. Explicit position ids keep every row's positions as they were unpadded.
    """

    def __init__(self, pad_token_id: int, *, share_prefix: bool = True) -> None:
        self.pad_token_id = pad_token_id
        self.share_prefix = share_prefix

    def __call__(self, records: Sequence[dict[str, list[int]]]) -> dict[str, Any]:
        import torch

        shared = self._shared_length(records) if self.share_prefix else 0
        rows = [r["input_ids"][shared:] for r in records]
        row_labels = [r["labels"][shared:] for r in records]
        longest = max(len(row) for row in rows)
        keep = min(longest, 1 + max(_answer_length(labels) for labels in row_labels))
        input_ids, attention, positions, labels = [], [], [], []
        for row, row_label in zip(rows, row_labels, strict=True):
            n, pad = len(row), longest - len(row)
            input_ids.append([self.pad_token_id] * pad + row)
            attention.append([1] * shared + [0] * pad + [1] * n)
            positions.append([shared] * pad + list(range(shared, shared + n)))
            labels.append(([IGNORE] * pad + row_label)[-keep:])
        batch: dict[str, Any] = {
            "input_ids": torch.tensor(input_ids),
            "attention_mask": torch.tensor(attention),
            "position_ids": torch.tensor(positions),
            "labels": torch.tensor(labels),
            "logits_to_keep": keep,
        }
        if shared:
            batch["prefix_ids"] = torch.tensor([records[0]["input_ids"][:shared]])
        return batch

    @staticmethod
    def _shared_length(records: Sequence[dict[str, list[int]]]) -> int:
        if len(records) < 2:
            return 0
        first = records[0]["input_ids"]
        n = min(len(r["input_ids"]) for r in records) - 1  # every row keeps a token
        for record in records:
            ids, labels = record["input_ids"], record["labels"]
            # The logit that predicts the first answer token must stay with the row.
            n = min(n, _first_answer_index(labels) - 1, common_prefix(ids, first))
        return max(0, n)


def batch_loss(model: Any, batch: dict[str, Any], cache_name: str | None, **kwargs: Any) -> Any:
    """The model's output for a batch from `AnswerOnlyCollator` (runs the shared prefix once)."""
    inputs = dict(batch)
    prefix = inputs.pop("prefix_ids", None)
    if prefix is not None:
        if cache_name is None:
            raise ValueError("a shared-prefix batch needs a model that takes a cache")
        out = model(input_ids=prefix, use_cache=True)
        cache = getattr(out, "cache", None) or out.past_key_values
        cache.batch_repeat_interleave(inputs["input_ids"].shape[0])
        inputs[cache_name] = cache
    return model(**inputs, **kwargs)


def _answer_length(labels: Sequence[int]) -> int:
    """Positions from the first supervised label to the end (the answer sits at the end)."""
    return len(labels) - _first_answer_index(labels)


def _first_answer_index(labels: Sequence[int]) -> int:
    for i, label in enumerate(labels):
        if label != IGNORE:
            return i
    return len(labels)

"""Batch layout for training: answer-only logits and a shared prefix, exact against plain."""

from __future__ import annotations

from typing import Any

import pytest

from shouldtune.cache import CallCache
from shouldtune.training.batching import (
    IGNORE,
    AnswerOnlyCollator,
    batch_loss,
    cache_argument,
    supports_answer_only,
)
from shouldtune.training.student import student_dir


def record(ids: list[int], answer: int) -> dict[str, list[int]]:
    return {
        "input_ids": ids,
        "attention_mask": [1] * len(ids),
        "labels": [IGNORE] * (len(ids) - answer) + ids[len(ids) - answer :],
    }


def test_shared_prefix_moves_out_and_rows_are_left_padded() -> None:
    batch = AnswerOnlyCollator(0)(
        [record([5, 6, 7, 8, 9, 10], 2), record([5, 6, 7, 11, 12], 1), record([5, 6, 7, 14], 1)]
    )
    # The third row's answer (14) is predicted from its 7, so the 7 stays with the rows.
    assert batch["prefix_ids"].tolist() == [[5, 6]]
    assert batch["input_ids"].tolist() == [[7, 8, 9, 10], [0, 7, 11, 12], [0, 0, 7, 14]]
    mask = [[1, 1, 1, 1, 1, 1], [1, 1, 0, 1, 1, 1], [1, 1, 0, 0, 1, 1]]
    assert batch["attention_mask"].tolist() == mask
    assert batch["position_ids"].tolist() == [[2, 3, 4, 5], [2, 2, 3, 4], [2, 2, 2, 3]]
    # Longest answer 2, plus the position that predicts its first token.
    assert batch["logits_to_keep"] == 3
    assert batch["labels"].tolist() == [[IGNORE, 9, 10], [IGNORE, IGNORE, 12], [IGNORE, IGNORE, 14]]


def test_prefix_stops_before_the_logit_that_predicts_the_answer() -> None:
    assert "prefix_ids" not in AnswerOnlyCollator(0)([record([5, 6, 7], 1)])  # one row
    # The rows share [5, 6, 7], but both answers start at index 2 and the logit at index 1
    # predicts them: only index 0 may be shared.
    batch = AnswerOnlyCollator(0)([record([5, 6, 7], 1), record([5, 6, 7, 8], 2)])
    assert batch["prefix_ids"].tolist() == [[5]]


def test_no_prefix_when_rows_differ_or_sharing_is_off() -> None:
    rows = [record([1, 2, 3], 1), record([4, 2, 3], 1)]
    assert "prefix_ids" not in AnswerOnlyCollator(0)(rows)
    same = [record([1, 2, 3], 1), record([1, 2, 4], 1)]
    plain = AnswerOnlyCollator(0, share_prefix=False)(same)
    assert "prefix_ids" not in plain
    assert plain["input_ids"].tolist() == [[1, 2, 3], [1, 2, 4]]


@pytest.mark.slow
def test_loss_and_gradients_match_the_plain_padded_batch(model_cache: CallCache) -> None:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, DataCollatorForSeq2Seq

    folder, _ = student_dir("smollm2-135m", model_cache)
    base: Any = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    assert supports_answer_only(base)
    cache_name = cache_argument(base)
    config = LoraConfig(
        r=4, target_modules=["q_proj", "v_proj"], lora_dropout=0.0, init_lora_weights=False
    )
    model: Any = get_peft_model(base, config)
    generator = torch.Generator().manual_seed(0)
    prefix = torch.randint(100, 20000, (12,), generator=generator).tolist()
    records = [
        record(prefix + torch.randint(100, 20000, (n,), generator=generator).tolist(), answer)
        for n, answer in [(9, 3), (5, 2), (14, 4), (7, 1)]
    ]

    def loss_and_grads(batch: dict[str, Any], shared: bool) -> tuple[float, list[Any]]:
        model.zero_grad()
        out = batch_loss(model, batch, cache_name) if shared else model(**batch)
        out.loss.backward()
        grads = [p.grad.clone() for p in model.parameters() if p.requires_grad]
        return float(out.loss.detach()), grads

    tokenizer = AutoTokenizer.from_pretrained(folder)
    plain = DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=IGNORE)
    plain_batch = plain([dict(r) for r in records])
    shared_batch = AnswerOnlyCollator(0)(records)
    assert shared_batch["prefix_ids"].shape[1] == 12
    want_loss, want_grads = loss_and_grads(plain_batch, shared=False)
    got_loss, got_grads = loss_and_grads(shared_batch, shared=True)
    assert got_loss == pytest.approx(want_loss, rel=1e-5)
    for want, got in zip(want_grads, got_grads, strict=True):
        # Float sums run in another order: compare against the tensor's scale, not per element.
        assert float((want - got).abs().max()) <= 1e-3 * float(want.abs().max())

"""The llama.cpp backend on the real embedded model (SmolLM2-135M, 98 MB GGUF)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from shouldtune.models.base import ContextOverflow, Message, prompt_for
from shouldtune.models.llamacpp import LlamaCppModel, _log_softmax

LABELS = ["billing", "technical", "account", "shipping", "bill"]


def _messages(text: str) -> list[Message]:
    return [
        Message("system", "Route the email. Answer with one of: " + ", ".join(LABELS)),
        Message("user", text),
    ]


def _sequential_loglik(model: LlamaCppModel, prompt: str, cont: str) -> float:
    """Reference: extend sequence 0 one token at a time and read each next-token logit."""
    prompt_tokens = model._tokenize(prompt)
    full = model._tokenize(prompt + cont)
    total = 0.0
    for i in range(len(prompt_tokens), len(full)):
        logits = model._extend_seq0(full[:i])
        total += float(_log_softmax(logits)[full[i]])
    return total


def test_info_and_template(smollm: Any) -> None:
    assert smollm.info.backend == "llama.cpp"
    assert smollm.info.chat_template is True
    assert len(smollm.info.file_sha256) == 64
    prompt = smollm.render(_messages("hi"))
    assert prompt.rstrip().endswith("<|im_start|>assistant")
    assert smollm.answer_suffix(_messages("hi"), "bill").startswith("bill<|im_end|>")


def test_batched_label_scores_match_token_by_token_reference(smollm: Any) -> None:
    msgs = _messages("I was charged twice for order 4411, please refund one payment.")
    prompt = prompt_for(smollm, msgs)
    conts = [smollm.answer_suffix(msgs, label) for label in LABELS]
    batched = [s.logprob for s in smollm.loglik(prompt, conts)]
    reference = [_sequential_loglik(smollm, prompt.text, c) for c in conts]
    np.testing.assert_allclose(batched, reference, atol=0.05)
    # a label that is a prefix of another ("bill" / "billing") is still a distinct answer
    assert batched[0] != batched[4]


def test_prefix_reuse_does_not_change_scores(smollm: Any) -> None:
    a = _messages("My parcel never arrived and tracking is stuck.")
    b = _messages("The app crashes when I open the cart.")
    pa, pb = prompt_for(smollm, a), prompt_for(smollm, b)
    ca = [smollm.answer_suffix(a, label) for label in LABELS]
    first = [s.logprob for s in smollm.loglik(pa, ca)]
    smollm.loglik(pb, [smollm.answer_suffix(b, label) for label in LABELS])
    again = [s.logprob for s in smollm.loglik(pa, ca)]
    np.testing.assert_allclose(first, again, atol=1e-3)


def test_many_labels_are_chunked(smollm: Any) -> None:
    msgs = _messages("hello")
    prompt = prompt_for(smollm, msgs)
    labels = [f"label_{i}" for i in range(70)]
    scores = smollm.loglik(prompt, [smollm.answer_suffix(msgs, x) for x in labels])
    assert len(scores) == 70
    assert all(s.logprob < 0 for s in scores)


def test_greedy_generation_is_deterministic_and_stops(smollm: Any) -> None:
    prompt = prompt_for(smollm, [Message("user", "What is 2+2?")])
    one = smollm.generate(prompt, max_tokens=24)
    two = smollm.generate(prompt, max_tokens=24)
    assert one == two
    assert "4" in one.text
    assert one.finish_reason == "stop"  # the end-of-turn token ended it
    assert "<|im_end|>" not in one.text
    assert 0 < one.completion_tokens < 24
    capped = smollm.generate(prompt, max_tokens=3)
    assert capped.finish_reason == "length" and capped.completion_tokens == 3


def test_sampling_is_seeded(smollm: Any) -> None:
    prompt = prompt_for(smollm, [Message("user", "Write one word about the sea.")])
    a = smollm.generate(prompt, max_tokens=8, temperature=1.0, seed=1)
    b = smollm.generate(prompt, max_tokens=8, temperature=1.0, seed=1)
    assert a == b


def test_prompt_over_context_is_a_clear_error(smollm: Any) -> None:
    prompt = prompt_for(smollm, [Message("user", "word " * 3000)])
    with pytest.raises(ContextOverflow, match="context holds 2048"):
        smollm.generate(prompt, max_tokens=4)


# llama.cpp's CPU kernels round differently with the shape of the batch a token is decoded
# in: the same label scores up to ~0.6 nats apart alone or among others (both paths are
# ~0.4 from transformers on the same weights, measured 2026-12-01). Top-only and exact
# scoring decode in different batches, so they agree to that precision, not to the bit.
_BATCH_NOISE = 1.0


def test_top_only_keeps_the_winner_and_bounds_the_rest(smollm: Any) -> None:
    # Intent-like labels that share their first tokens, as many label sets do.
    labels = [
        "card_arrival", "card_linking", "card_payment_fee_charged", "card_not_working",
        "cash_withdrawal_charge", "cash_withdrawal_not_recognised", "top_up_failed",
        "top_up_reverted", "exchange_rate", "lost_or_stolen_card",
    ]  # fmt: skip
    pruned = 0
    for text in ("My new card still has not come in the post.", "Why was I charged for cash?"):
        # Two demonstrations, as a few-shot prompt has: the model answers with a label.
        msgs = [
            Message("system", "Intent of the query, one of: " + ", ".join(labels)),
            Message("user", "I lost my card yesterday."),
            Message("assistant", "lost_or_stolen_card"),
            Message("user", "What rate do you use for euros?"),
            Message("assistant", "exchange_rate"),
            Message("user", "My card has still not arrived."),
            Message("assistant", "card_arrival"),
            Message("user", "I was charged a fee for withdrawing cash."),
            Message("assistant", "cash_withdrawal_charge"),
            Message("user", text),
        ]
        prompt = prompt_for(smollm, msgs)
        conts = [smollm.answer_suffix(msgs, label) for label in labels]
        exact = np.array([s.logprob for s in smollm.loglik(prompt, conts)])
        top = smollm.loglik(prompt, conts, top_only=True)
        winner = int(np.argmax(exact))
        assert top[winner].exact
        assert abs(top[winner].logprob - exact[winner]) < _BATCH_NOISE
        runner_up = np.sort(exact)[-2]
        if exact[winner] - runner_up > 2 * _BATCH_NOISE:  # a clear winner: the same one
            assert int(np.argmax([s.logprob for s in top])) == winner
        for s, value in zip(top, exact, strict=True):
            assert s.logprob > value - _BATCH_NOISE  # exact, or an upper bound
        pruned += sum(not s.exact for s in top)
    assert pruned > 0


QUESTIONS = [
    "What is the capital of France?",
    "Name three colours.",
    "Write a haiku about rain.",
    "What is 2+2?",
    "List the days of the week.",
    "Who wrote Hamlet?",
    "Translate 'hello' to Spanish.",
    "Describe a cat.",
    "What is Python?",
    "Give a word that rhymes with light.",
]


def test_batched_generation_gives_the_answers_of_one_at_a_time(smollm: Any) -> None:
    system = Message("system", "You are a helpful assistant. Answer briefly.")
    prompts = [prompt_for(smollm, [system, Message("user", q)]) for q in QUESTIONS]
    one = [smollm.generate(p, max_tokens=40) for p in prompts]
    # Ten prompts: a full batch of eight and a second of two, answers of different lengths.
    many = smollm.generate_batch(prompts, max_tokens=40)
    assert many == one
    assert len({g.completion_tokens for g in one}) > 1
    assert {g.finish_reason for g in one} == {"stop", "length"}


def test_batched_reruns_under_seeds_are_the_seeded_answers(smollm: Any) -> None:
    prompt = prompt_for(smollm, [Message("user", "Write one sentence about the sea.")])
    one = [smollm.generate(prompt, max_tokens=24, temperature=0.8, seed=s) for s in range(6)]
    many = smollm.generate_batch([prompt] * 6, max_tokens=24, temperature=0.8, seeds=range(6))
    assert many == one
    assert len({g.text for g in one}) > 1  # the seeds do sample different answers


def test_batched_generation_refuses_a_prompt_over_the_context(smollm: Any) -> None:
    long = prompt_for(smollm, [Message("user", "word " * 3000)])
    short = prompt_for(smollm, [Message("user", "hi")])
    with pytest.raises(ContextOverflow):
        smollm.generate_batch([short, long], max_tokens=8)

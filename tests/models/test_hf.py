"""The transformers backend on the embedded GGUF, checked against llama.cpp (parity)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from shouldtune.cache import CallCache
from shouldtune.models.base import Message, prompt_for
from shouldtune.models.registry import load_model

pytestmark = pytest.mark.slow
LABELS = ["billing", "technical", "account", "shipping"]
TEXTS = [
    "I was charged twice for one order.",
    "The app crashes as soon as I open it.",
    "Please change the email address on my profile.",
    "Where is my parcel? Tracking has not moved in a week.",
]


@pytest.fixture(scope="module")
def hf_model(model_cache: CallCache) -> Iterator[Any]:
    model = load_model("hf:smollm2-135m", model_cache)
    yield model
    model.close()


def test_transformers_agrees_with_llamacpp_on_the_same_weights(hf_model: Any, smollm: Any) -> None:
    assert hf_model.info.backend == "transformers"
    assert hf_model.info.file_sha256 == smollm.info.file_sha256  # the same file
    for text in TEXTS:
        msgs = [Message("system", "Route the email: " + ", ".join(LABELS)), Message("user", text)]
        prompt = prompt_for(hf_model, msgs)
        assert prompt.text == smollm.render(msgs)
        a = [
            s.logprob
            for s in hf_model.loglik(prompt, [hf_model.answer_suffix(msgs, x) for x in LABELS])
        ]
        b = [
            s.logprob
            for s in smollm.loglik(prompt, [smollm.answer_suffix(msgs, x) for x in LABELS])
        ]
        assert a.index(max(a)) == b.index(max(b))
        assert max(abs(x - y) for x, y in zip(a, b, strict=True)) < 1.5


def test_transformers_greedy_generation_matches(hf_model: Any, smollm: Any) -> None:
    prompt = prompt_for(smollm, [Message("user", "What is 2+2?")])
    a = hf_model.generate(prompt, max_tokens=20)
    b = smollm.generate(prompt, max_tokens=20)
    assert a.text == b.text
    assert a.finish_reason == b.finish_reason == "stop"
    assert a.completion_tokens == b.completion_tokens

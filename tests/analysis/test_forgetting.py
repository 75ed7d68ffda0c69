"""Forgetting figures: the probe's intervals on known counts, batched generation, the summary."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from shouldtune.analysis.forgetting import Forgetting, generate_batched, measure, probe_figures
from shouldtune.analysis.general_probe import ProbeItem
from shouldtune.analysis.stats import paired_difference, wilson
from shouldtune.models.base import Message
from shouldtune.rung_settings import Forgetting as RecordedForgetting

WORDS = [f"w{i}" for i in range(40)]
MEASURED = {"kl_mean": 0.1, "ppl_base": 10.0, "ppl_tuned": 11.0, "n_general_tokens": 100}


def _items(n: int) -> list[ProbeItem]:
    return [ProbeItem("add" if i % 2 else "repeat", f"q{i}", "x", "word") for i in range(n)]


def test_probe_figures_on_known_counts() -> None:
    # 100 items: 65 passed before; 40 of those still pass after, 5 others now pass.
    base = [True] * 65 + [False] * 35
    tuned = [True] * 40 + [False] * 25 + [True] * 5 + [False] * 30
    figures = probe_figures(_items(100), base, tuned, **MEASURED)
    assert (figures.probe_base, figures.probe_tuned, figures.n_probe) == (0.65, 0.45, 100)
    assert (figures.probe_base_low, figures.probe_base_high) == pytest.approx(
        (wilson(65, 100).low, wilson(65, 100).high)
    )
    assert (figures.probe_tuned_low, figures.probe_tuned_high) == pytest.approx(
        (wilson(45, 100).low, wilson(45, 100).high)
    )
    drop = paired_difference(base, tuned)
    assert figures.probe_drop == pytest.approx(0.20)
    assert (figures.probe_drop_low, figures.probe_drop_high) == pytest.approx((drop.low, drop.high))
    assert 0.0 < drop.low < 0.20 < drop.high
    assert figures.probe_families == {
        "add": [50, sum(base[1::2]), sum(tuned[1::2])],
        "repeat": [50, sum(base[::2]), sum(tuned[::2])],
    }


def test_summary_shows_the_intervals() -> None:
    base = [True] * 65 + [False] * 35
    tuned = [True] * 40 + [False] * 25 + [True] * 5 + [False] * 30
    text = probe_figures(_items(100), base, tuned, **MEASURED).summary()
    assert "general probe 65% [55%, 74%] -> 45% [36%, 55%]" in text
    assert "drop +20 points [+" in text and "(n=100 items, paired)" in text


def test_figures_recorded_before_the_intervals_still_read() -> None:
    old = {"probe_base": 0.65, "probe_tuned": 0.35, "n_probe": 20, **MEASURED}
    assert Forgetting(**old).summary().endswith("general probe 65% -> 35% (n=20)")
    recorded = RecordedForgetting.model_validate({"probe_base": 0.65, "probe_tuned": 0.35})
    assert recorded.probe_drop_low is None
    new = probe_figures(_items(10), [True] * 10, [False] * 10, **MEASURED)
    read = RecordedForgetting.model_validate(new.model_dump())
    assert read.probe_drop_low == new.probe_drop_low and read.probe_families is not None


def _tiny_model() -> tuple[Any, Any]:
    """A tiny random Llama whose logits are peaked (large init), so greedy choices are stable."""
    import torch
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate(["[UNK]", "[PAD]", "[EOS]", *WORDS])}
    core = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    core.pre_tokenizer = Whitespace()
    tokenizer = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=core, unk_token="[UNK]", pad_token="[PAD]", eos_token="[EOS]"
    )
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=128,
        pad_token_id=1,
        eos_token_id=2,
        initializer_range=0.5,
    )
    model = LlamaForCausalLM(config)
    model.train(False)
    return model, tokenizer


def _render(messages: Sequence[Message]) -> str:
    return " ".join(WORDS[len(m.content) % 40] for m in messages) + " w1 w2"


def test_batched_generation_answers_as_one_at_a_time() -> None:
    model, tokenizer = _tiny_model()
    prompts = [" ".join(WORDS[(i * 7 + j) % 40] for j in range(1 + i % 9)) for i in range(20)]
    single = generate_batched(model, tokenizer, prompts, batch_size=1)
    batched = generate_batched(model, tokenizer, prompts, batch_size=8)
    assert batched == single
    assert len(set(single)) > 1  # the prompts do get different answers


def test_measure_on_a_fresh_adapter_finds_no_forgetting() -> None:
    from peft import LoraConfig, get_peft_model

    model, tokenizer = _tiny_model()
    peft_model = get_peft_model(model, LoraConfig(r=2, target_modules=["q_proj", "v_proj"]))
    figures = measure(peft_model, tokenizer, _render, probe_n=24, seed=1)
    assert figures.n_probe == 24
    assert figures.kl_mean == pytest.approx(0.0, abs=1e-9)  # LoRA's B starts at zero
    assert figures.probe_base == figures.probe_tuned and figures.probe_drop == 0.0
    assert figures.probe_drop_low is not None and figures.probe_drop_low < 0.0
    assert sum(row[0] for row in (figures.probe_families or {}).values()) == 24

"""How many train examples the LoRA rung learns from, and that the cut is always said."""

from __future__ import annotations

from collections import Counter

import pytest

from shouldtune.records import Example
from shouldtune.spec import LoraSpec
from shouldtune.train_size import CPU_CAP, subsample, train_size


def _examples(counts: dict[str, int]) -> list[Example]:
    return [
        Example(id=f"{label}-{i}", input=f"{label} query {i}", expected=label, line=i + 1)
        for label, n in counts.items()
        for i in range(n)
    ]


def test_auto_keeps_everything_on_a_gpu_and_caps_a_cpu() -> None:
    auto = LoraSpec()
    assert not train_size(9618, auto, cuda=True).cut
    cpu = train_size(9618, auto, cuda=False)
    assert (cpu.n, cpu.pool, cpu.cut) == (CPU_CAP, 9618, True)
    assert cpu.reason is not None and "lora.max_train: all" in cpu.reason
    assert not train_size(CPU_CAP, auto, cuda=False).cut  # small enough: all of it


def test_a_number_caps_anywhere_and_all_never() -> None:
    assert train_size(1000, LoraSpec(max_train=100), cuda=True).n == 100
    assert not train_size(50, LoraSpec(max_train=100), cuda=False).cut
    assert not train_size(10**6, LoraSpec(max_train="all"), cuda=False).cut
    with pytest.raises(ValueError):
        LoraSpec(max_train=2)


def test_the_subsample_keeps_each_labels_share_and_is_seeded() -> None:
    train = _examples({"a": 600, "b": 300, "c": 90, "rare": 10})
    size = train_size(len(train), LoraSpec(max_train=100), cuda=False)
    picked = subsample(train, size, seed=0, labeled=True)
    assert len(picked) == 100
    counts = Counter(e.expected for e in picked)
    assert counts["a"] == pytest.approx(60, abs=1) and counts["b"] == pytest.approx(30, abs=1)
    assert counts["rare"] >= 1
    assert picked == subsample(train, size, seed=0, labeled=True)
    assert picked != subsample(train, size, seed=1, labeled=True)
    free = subsample(train, size, seed=0, labeled=False)
    assert len(free) == 100 and len({e.id for e in free}) == 100


def test_nothing_cut_keeps_the_train_split_as_is() -> None:
    train = _examples({"a": 5, "b": 5})
    size = train_size(len(train), LoraSpec(), cuda=False)
    assert subsample(train, size, seed=0, labeled=True) == train


def test_a_fine_tune_on_part_of_the_train_split_says_so_in_the_verdict() -> None:
    from shouldtune.decide import decide
    from tests.test_decide import _cmp, rung

    def verdict(n_train: int, pool: int, note: str | None = "cut") -> str:
        lora = rung("lora", 0.5, 0.4, 0.6)
        lora.settings.train_examples, lora.settings.train_pool = n_train, pool
        lora.settings.train_note = note
        found = decide(
            [rung("zero_shot", 0.2, 0.1, 0.3), rung("few_shot", 0.4, 0.3, 0.5), lora],
            bar=0.8,
            prompt_fraction=0.8,
            enough_data=True,
            n_usable=10_000,
            min_examples=50,
            comparisons=[_cmp("few_shot", "lora", 0.1, 0.2, 5, 8)],
        )
        return found.answer

    assert "learned from 512 of 9618 train examples" in verdict(512, 9618)
    assert "learned from" not in verdict(9618, 9618, None)
    # A sweep trains on train less its validation slice: that is no cut.
    assert "learned from" not in verdict(67, 84, None)

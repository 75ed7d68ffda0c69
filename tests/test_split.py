from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from shouldtune.records import Example
from shouldtune.spec import SplitSpec
from shouldtune.split import Split, make_split


def examples_with(labels: dict[str, int]) -> list[Example]:
    made = []
    for label, count in labels.items():
        for i in range(count):
            made.append(
                Example(id=f"{label}-{i:03d}", input=f"{label} {i}", expected=label, line=1)
            )
    return made


def ids(examples: list[Example]) -> list[str]:
    return [ex.id for ex in examples]


def label_counts(examples: list[Example]) -> Counter[str]:
    return Counter(ex.expected for ex in examples)


def assert_partition(split: Split, examples: list[Example]) -> None:
    assert not set(ids(split.train)) & set(ids(split.test))
    assert sorted(ids(split.train) + ids(split.test)) == sorted(ids(examples))


def test_same_seed_same_split_whatever_the_input_order() -> None:
    examples = examples_with({"a": 40, "b": 25, "c": 7})
    spec = SplitSpec(seed=3)
    first = make_split(examples, spec, label_task=True)
    shuffled = examples[:]
    random.Random(99).shuffle(shuffled)
    assert make_split(shuffled, spec, label_task=True) == first
    assert ids(first.test) == sorted(ids(first.test))


def test_seeds_change_the_split() -> None:
    examples = examples_with({"a": 30, "b": 30})
    tests = {
        tuple(ids(make_split(examples, SplitSpec(seed=s), label_task=True).test)) for s in range(5)
    }
    assert len(tests) == 5


@pytest.mark.parametrize("label_task", [True, False])
def test_every_example_lands_on_exactly_one_side(label_task: bool) -> None:
    examples = examples_with({"a": 17, "b": 5, "c": 2, "d": 1})
    for seed in range(25):
        for fraction in (0.1, 0.3, 0.5, 0.9):
            spec = SplitSpec(seed=seed, test_fraction=fraction)
            assert_partition(make_split(examples, spec, label_task=label_task), examples)


def test_stratified_counts_per_label() -> None:
    examples = examples_with({"a": 40, "b": 10, "c": 3, "d": 2, "e": 1})
    for seed in range(10):
        split = make_split(examples, SplitSpec(seed=seed, test_fraction=0.3), label_task=True)
        assert label_counts(split.test) == {"a": 12, "b": 3, "c": 1, "d": 1}
        assert label_counts(split.train) == {"a": 28, "b": 7, "c": 2, "d": 1, "e": 1}
        assert split.stratified
        assert split.test_fraction == 0.3
        assert split.seed == seed


def test_high_fraction_still_leaves_one_of_each_label_to_train() -> None:
    examples = examples_with({"a": 4, "b": 2})
    split = make_split(examples, SplitSpec(test_fraction=0.95), label_task=True)
    assert label_counts(split.train) == {"a": 1, "b": 1}
    assert label_counts(split.test) == {"a": 3, "b": 1}


def test_unstratified_split_size() -> None:
    examples = examples_with({"a": 90, "b": 10})
    split = make_split(examples, SplitSpec(test_fraction=0.25), label_task=False)
    assert (len(split.train), len(split.test)) == (75, 25)
    assert not split.stratified


def test_tiny_inputs() -> None:
    assert make_split([], SplitSpec(), label_task=True) == Split(
        train=[], test=[], seed=0, stratified=True, test_fraction=0.3
    )
    (one,) = examples_with({"a": 1})
    split = make_split([one], SplitSpec(), label_task=False)
    assert (split.train, split.test) == ([one], [])


def test_near_duplicate_groups_stay_on_one_side() -> None:
    examples = examples_with({"a": 30, "b": 30})
    groups = [["a-000", "a-001", "a-002"], ["a-010", "b-010"], ["b-020", "b-021"], ["zz-gone"]]
    sides: Counter[Any] = Counter()
    for seed in range(40):
        split = make_split(examples, SplitSpec(seed=seed), label_task=True, groups=groups)
        assert_partition(split, examples)
        test_ids = set(ids(split.test))
        for group in groups[:3]:
            in_test = {i in test_ids for i in group}
            assert len(in_test) == 1, (seed, group)
            sides[in_test.pop()] += 1
        assert all(count <= 9 for count in label_counts(split.test).values())
    assert sides[True] and sides[False]


def test_overlapping_groups_merge() -> None:
    examples = examples_with({"a": 20})
    groups = [["a-000", "a-001"], ["a-001", "a-002"]]
    for seed in range(30):
        split = make_split(examples, SplitSpec(seed=seed), label_task=False, groups=groups)
        test_ids = set(ids(split.test))
        assert len({i in test_ids for i in ("a-000", "a-001", "a-002")}) == 1


def test_max_test_caps_and_keeps_every_label() -> None:
    examples = examples_with({"a": 100, "b": 50, "c": 10, "d": 4})
    split = make_split(examples, SplitSpec(test_fraction=0.5, max_test=20), label_task=True)
    assert label_counts(split.test) == {"a": 11, "b": 6, "c": 2, "d": 1}
    assert_partition(split, examples)


def test_max_test_below_the_number_of_labels_takes_the_largest() -> None:
    examples = examples_with({"a": 10, "b": 8, "c": 6})
    split = make_split(examples, SplitSpec(max_test=2), label_task=True)
    assert label_counts(split.test) == {"a": 1, "b": 1}


def test_max_test_without_labels() -> None:
    examples = examples_with({"a": 100})
    split = make_split(examples, SplitSpec(test_fraction=0.5, max_test=7), label_task=False)
    assert len(split.test) == 7


def test_repeated_ids_are_refused() -> None:
    (one,) = examples_with({"a": 1})
    with pytest.raises(ValueError, match="unique; repeated: a-000"):
        make_split([one, one], SplitSpec(), label_task=False)

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
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


def test_default_cap_sizes_the_test_set_by_the_interval_it_gives() -> None:
    from shouldtune.analysis.stats import sample_size_for, wilson_half_width

    examples = examples_with({"a": 1500, "b": 500})  # 600 held out uncapped
    split = make_split(examples, SplitSpec(), label_task=True)
    cap = sample_size_for(0.05)
    assert len(split.test) == cap
    assert wilson_half_width(0.5, cap) <= 0.05 < wilson_half_width(0.5, cap - 1)
    # Stratified: the 3:1 label ratio survives the cap.
    assert label_counts(split.test)["a"] == pytest.approx(3 * label_counts(split.test)["b"], abs=2)
    assert split.note is not None and f"capped at {cap} of 600" in split.note
    assert len(split.train) + len(split.test) == len(examples)


def test_target_half_width_moves_the_cap() -> None:
    examples = examples_with({"": 2000})
    wide = make_split(examples, SplitSpec(target_half_width=0.1), label_task=False)
    narrow = make_split(examples, SplitSpec(target_half_width=0.04), label_task=False)
    assert len(wide.test) < len(narrow.test) < 600


def test_max_test_all_keeps_every_held_out_example() -> None:
    examples = examples_with({"a": 1500, "b": 500})
    split = make_split(examples, SplitSpec(max_test="all"), label_task=True)
    assert len(split.test) == 600
    assert split.note is None


def test_an_explicit_max_test_is_not_a_statistics_cap() -> None:
    split = make_split(examples_with({"": 2000}), SplitSpec(max_test=50), label_task=False)
    assert len(split.test) == 50
    assert split.note is None


def test_max_test_rejects_zero_and_other_words() -> None:
    from pydantic import ValidationError

    for bad in (0, "some"):
        with pytest.raises(ValidationError):
            SplitSpec(max_test=bad)


@pytest.mark.parametrize(
    "name",
    ["docs-qa", "order-messages", "order-numbers", "product-help", "sentiment", "support-triage"],
)
def test_bundled_examples_are_below_the_cap_so_their_splits_are_unchanged(
    name: str, tmp_path: Path
) -> None:
    from shouldtune.api import check
    from shouldtune.models.mock import MockModel
    from shouldtune.spec import load_spec

    spec = load_spec(Path(__file__).parents[1] / "examples" / name / "task.yaml")
    no_cap = spec.split.model_copy(update={"max_test": "all"})
    everything = spec.model_copy(update={"split": no_cap})
    capped = check(spec, cache_dir=tmp_path, model=MockModel()).split
    uncapped = check(everything, cache_dir=tmp_path, model=MockModel()).split
    assert ids(capped.test) == ids(uncapped.test)
    assert capped.note is None

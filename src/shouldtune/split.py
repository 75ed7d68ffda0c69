"""The seeded train/test split every rung shares.

Deterministic for a seed whatever the input order, stratified by label for label tasks, and
leak-free: near-duplicate groups stay wholly on one side and no id is ever on both.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from pydantic import BaseModel

from shouldtune.analysis.stats import sample_size_for
from shouldtune.records import Example
from shouldtune.spec import SplitSpec


class Split(BaseModel):
    train: list[Example]
    test: list[Example]
    seed: int
    stratified: bool
    test_fraction: float
    # Set when the default cap (split.target_half_width) trimmed the test set: why, in words.
    note: str | None = None


def default_cap(split: SplitSpec) -> int | None:
    """The test cap in force: max_test as given, none for 'all', else the statistics' size."""
    if split.max_test == "all":
        return None
    if isinstance(split.max_test, int):
        return split.max_test
    return sample_size_for(split.target_half_width)


def make_split(
    examples: list[Example],
    split: SplitSpec,
    *,
    label_task: bool,
    groups: list[list[str]] | None = None,
) -> Split:
    """Split `examples` (unique ids) into train and test; both lists come back sorted by id.

    Each stratum (a label, or everything when not a label task) sends round(test_fraction * n)
    examples to test, at least one to each side when it has two or more, and a lone example
    to train. The cap (`split.max_test`, or by default the size `split.target_half_width`
    asks for; see `default_cap`) scales the per-stratum shares down, keeping every stratum in the
    test set while the cap allows. A near-duplicate group only goes to test if it fits the
    remaining share of every stratum in it, so groups can leave a stratum a little short.
    """
    by_id = {example.id: example for example in examples}
    if len(by_id) != len(examples):
        repeated = sorted(i for i, n in Counter(ex.id for ex in examples).items() if n > 1)
        raise ValueError(f"example ids must be unique; repeated: {', '.join(repeated[:10])}")

    stratum: Callable[[Example], str] = (lambda ex: ex.expected) if label_task else (lambda _: "")
    targets = _test_targets(Counter(stratum(ex) for ex in examples), split.test_fraction)
    cap = default_cap(split)
    uncapped = sum(targets.values())
    targets = _cap(targets, cap)
    note = None
    if split.max_test is None and cap is not None and uncapped > cap:
        note = (
            f"test capped at {cap} of {uncapped} held-out examples: enough for a 95% interval "
            f"of +/-{split.target_half_width:.0%} at p=0.5"
            f"{', stratified by label' if label_task else ''}; the rest join train. "
            "split.max_test: all (or --all-test) scores every one"
        )

    units = _units(sorted(by_id), groups or [])
    random.Random(split.seed).shuffle(units)
    taken: Counter[str] = Counter()
    test_ids: set[str] = set()
    for unit in units:
        need = Counter(stratum(by_id[i]) for i in unit)
        if all(taken[key] + n <= targets[key] for key, n in need.items()):
            taken.update(need)
            test_ids.update(unit)

    train = [by_id[i] for i in sorted(by_id) if i not in test_ids]
    test = [by_id[i] for i in sorted(test_ids)]
    assert not {ex.id for ex in train} & test_ids, "an example is in both train and test"
    assert len(train) + len(test) == len(examples)
    return Split(
        train=train,
        test=test,
        seed=split.seed,
        stratified=label_task,
        test_fraction=split.test_fraction,
        note=note,
    )


def _test_targets(counts: Mapping[str, int], fraction: float) -> dict[str, int]:
    # A stratum of one cannot be both trained on and tested, and training matters more.
    return {
        key: 0 if n < 2 else min(max(round(fraction * n), 1), n - 1) for key, n in counts.items()
    }


def _cap(targets: dict[str, int], max_test: int | None) -> dict[str, int]:
    """Scale the per-stratum test counts down to max_test, one each first, then in proportion."""
    total = sum(targets.values())
    if max_test is None or total <= max_test:
        return targets
    present = sorted((key for key, n in targets.items() if n > 0), key=lambda k: (-targets[k], k))
    capped = dict.fromkeys(targets, 0)
    for key in present[:max_test]:
        capped[key] = 1
    room = max_test - min(len(present), max_test)
    extra = {key: targets[key] - 1 for key in present}
    extra_total = sum(extra.values())
    if room and extra_total:
        shares = {key: room * extra[key] / extra_total for key in present}
        whole = {key: int(share) for key, share in shares.items()}
        # Largest remainders take the seats the floors left over.
        by_remainder = sorted(present, key=lambda k: (-(shares[k] - whole[k]), k))
        for key in by_remainder[: room - sum(whole.values())]:
            whole[key] += 1
        for key in present:
            capped[key] += whole[key]
    return capped


def proportional_counts(counts: Mapping[str, int], total: int) -> dict[str, int]:
    """`total` items shared among the strata in proportion, each present stratum first one."""
    return _cap(dict(counts), total)


def _units(ids: Sequence[str], groups: Sequence[Sequence[str]]) -> list[list[str]]:
    """The ids bundled into groups that must stay together (overlapping groups merge)."""
    parent = {i: i for i in ids}

    def root(i: str) -> str:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for group in groups:
        present = [i for i in group if i in parent]
        for other in present[1:]:
            parent[root(other)] = root(present[0])
    units: dict[str, list[str]] = {}
    for i in ids:
        units.setdefault(root(i), []).append(i)
    # Sorted so that the shuffle, not the input order or the grouping, decides the outcome.
    return sorted(units.values())

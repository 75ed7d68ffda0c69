"""The general-skills pool: deterministic, split into disjoint probe and replay parts."""

from __future__ import annotations

from collections import Counter

import pytest

from shouldtune.analysis.general_probe import (
    ProbeItem,
    in_probe_part,
    pool,
    probe_items,
    probe_part,
    replay_part,
)
from shouldtune.spec import LoraSpec


def test_the_pool_is_several_hundred_items_over_many_families() -> None:
    items = pool()
    families = Counter(item.family for item in items)
    assert len(items) >= 500
    assert len(families) >= 8 and min(families.values()) >= 30
    assert len({item.question for item in items}) == len(items)


def test_probe_and_replay_parts_are_disjoint_and_cover_the_pool() -> None:
    probe = {item.question for item in probe_part()}
    replay = {item.question for item in replay_part()}
    assert not probe & replay
    assert probe | replay == {item.question for item in pool()}
    assert all(in_probe_part(q) for q in probe) and not any(in_probe_part(q) for q in replay)
    # Both parts are large enough for their use; the spec's probe_n limit fits the probe part.
    assert len(replay) >= 250
    assert len(probe) >= LoraSpec.model_fields["probe_n"].metadata[-1].le


def test_the_probe_is_deterministic_and_of_the_asked_size() -> None:
    first = probe_items(150, seed=3)
    assert len(first) == 150 and len(set(first)) == 150
    assert first == probe_items(150, seed=3)
    assert first != probe_items(150, seed=4)
    assert set(first) <= set(probe_part())
    assert probe_items(10_000) == probe_part()


@pytest.mark.parametrize(
    ("item", "output", "passed"),
    [
        (ProbeItem("add", "q", "7", "number"), "3 + 4 = 7", True),
        (ProbeItem("add", "q", "7", "number"), "17", False),
        (ProbeItem("larger", "q", "829", "first_number"), "829", True),
        (ProbeItem("larger", "q", "829", "first_number"), "232 or 829", False),
        (ProbeItem("repeat", "q", "apple", "word"), "Apple", True),
        (ProbeItem("repeat", "q", "apple", "word"), "apples", False),
        (ProbeItem("upper", "q", "APPLE", "word_exact"), "APPLE", True),
        (ProbeItem("upper", "q", "APPLE", "word_exact"), "apple", False),
        (ProbeItem("first_letter", "q", "p", "letter"), "P.", True),
        (ProbeItem("first_letter", "q", "p", "letter"), 'The first letter is "P".', True),
        (ProbeItem("first_letter", "q", "a", "letter"), "It is a fruit", False),
        (ProbeItem("yes_no", "q", "no", "yes_no"), "No, 33 is odd.", True),
        (ProbeItem("yes_no", "q", "no", "yes_no"), "Yes, and no.", False),
        (ProbeItem("yes_no", "q", "yes", "yes_no"), "Maybe", False),
    ],
)
def test_checks(item: ProbeItem, output: str, passed: bool) -> None:
    assert item.passed(output) is passed


def test_every_item_passes_its_own_expected_answer() -> None:
    assert all(item.passed(item.expected) for item in pool())

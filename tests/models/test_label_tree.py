"""The label prefix tree and its search, on a scripted model (no weights)."""

from __future__ import annotations

import math
import random

import pytest

from shouldtune.models import label_tree


def _brute(conts: list[list[int]], table: dict[tuple[int, ...], dict[int, float]]) -> list[float]:
    """Each continuation's log-likelihood, token by token from the table."""
    out = []
    for cont in conts:
        out.append(sum(table[tuple(cont[:i])][tok] for i, tok in enumerate(cont)))
    return out


def _scripted(
    conts: list[list[int]], rng: random.Random
) -> tuple[dict[tuple[int, ...], dict[int, float]], label_tree.Tree]:
    """Random next-token log-probabilities for every prefix that occurs."""
    table: dict[tuple[int, ...], dict[int, float]] = {}
    for cont in conts:
        for i in range(len(cont)):
            row = table.setdefault(tuple(cont[:i]), {})
            row.setdefault(cont[i], -rng.expovariate(0.7))
    return table, label_tree.build(conts)


def _search(
    conts: list[list[int]], seed: int, *, top_only: bool, floor: float = -math.inf
) -> tuple[list[label_tree.Scored], list[float], list[list[int]]]:
    rng = random.Random(seed)
    table, tree = _scripted(conts, rng)
    calls: list[list[int]] = []

    def prefix(node: int) -> tuple[int, ...]:
        path = []
        while node >= 0:
            path.append(tree.token[node])
            node = tree.parent[node]
        return tuple(reversed(path))

    def expand(nodes: list[int]) -> list[label_tree.NextLogprob]:
        calls.append(list(nodes))
        return [table[prefix(n)].__getitem__ for n in nodes]

    found = label_tree.search(tree, table[()].__getitem__, expand, top_only=top_only, floor=floor)
    return found, _brute(conts, table), calls


def _random_labels(rng: random.Random, n: int) -> list[list[int]]:
    # Few distinct tokens, so that labels share prefixes as intent names do.
    conts = {(*(rng.randint(1, 4) for _ in range(rng.randint(1, 6))), 99) for _ in range(n)}
    return [list(c) for c in sorted(conts)]


def test_shared_prefixes_are_one_node() -> None:
    tree = label_tree.build([[1, 2, 3], [1, 2, 4], [1, 5], [6]])
    assert tree.size == 6  # 1, 2, 3, 4, 5, 6
    assert tree.under[0] == [0, 1, 2]
    assert sorted(tree.token[n] for n in tree.inner()) == [1, 2]
    with pytest.raises(ValueError, match="at least one token"):
        label_tree.build([[1], []])


def test_a_label_that_is_a_prefix_of_another_ends_inside_the_tree() -> None:
    found, truth, _ = _search([[1, 2], [1, 2, 3]], seed=0, top_only=False)
    assert [f.logprob for f in found] == pytest.approx(truth)


@pytest.mark.parametrize("seed", range(40))
def test_exact_search_equals_token_by_token_and_decodes_shared_tokens_once(seed: int) -> None:
    conts = _random_labels(random.Random(seed), 25)
    found, truth, calls = _search(conts, seed, top_only=False)
    assert all(f.exact for f in found)
    assert [f.logprob for f in found] == pytest.approx(truth)
    decoded = [n for call in calls for n in call]
    assert len(decoded) == len(set(decoded))
    assert len(decoded) < sum(len(c) - 1 for c in conts)  # the tree shares work


@pytest.mark.parametrize("seed", range(40))
def test_top_only_finds_the_true_winner_and_bounds_the_rest(seed: int) -> None:
    conts = _random_labels(random.Random(seed), 25)
    found, truth, calls = _search(conts, seed, top_only=True)
    winner = max(range(len(truth)), key=truth.__getitem__)
    best = max(range(len(found)), key=lambda i: found[i].logprob)
    assert best == winner and found[best].exact
    assert found[best].logprob == pytest.approx(truth[winner])
    for f, t in zip(found, truth, strict=True):
        if f.exact:
            assert f.logprob == pytest.approx(t)
        else:
            assert f.logprob >= t - 1e-9  # a pruned label's score is an upper bound
            assert f.logprob < truth[winner]  # and it was pruned because it could not win
    assert len(calls) <= 1 + max(map(len, conts))  # rounds, not one call per token
    _, _, all_calls = _search(conts, seed, top_only=False)
    assert sum(map(len, calls)) <= sum(map(len, all_calls))


def test_a_floor_from_another_group_prunes_from_the_start() -> None:
    conts = [[1, 2, 3], [4, 5, 6]]
    found, _, calls = _search(conts, seed=3, top_only=True, floor=0.0)
    assert calls == []  # every label is already below a score reached elsewhere
    assert not any(f.exact for f in found)


def test_a_sure_model_prunes_and_an_unsure_one_gets_the_rest_of_the_tree_at_once() -> None:
    conts = [[1, 2, 9], [1, 3, 9], [4, 5, 9], [6, 7, 8, 9]]
    tree = label_tree.build(conts)

    def run(first_logprob: dict[int, float]) -> tuple[list[label_tree.Scored], list[list[int]]]:
        calls: list[list[int]] = []

        def expand(nodes: list[int]) -> list[label_tree.NextLogprob]:
            calls.append(list(nodes))
            return [lambda token: -0.1 if token == 2 else -3.0 for _ in nodes]

        found = label_tree.search(tree, first_logprob.__getitem__, expand, top_only=True)
        return found, calls

    sure, calls = run({1: -0.05, 4: -4.0, 6: -5.0})
    assert sure[0].exact and not sure[2].exact and not sure[3].exact
    assert sum(map(len, calls)) < len(tree.inner())
    # Flat first tokens: a search would prune nothing, so the whole tree is one call.
    unsure, calls = run({1: -2.0, 4: -2.1, 6: -2.2})
    assert all(s.exact for s in unsure)
    assert len(calls) == 1 and sorted(calls[0]) == sorted(tree.inner())

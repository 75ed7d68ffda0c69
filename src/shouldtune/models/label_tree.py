"""Label scoring as a search over the prefix tree of the labels' tokens.

Many labels share their first tokens ("card_arrival", "card_linking", ...). Put in a tree,
each shared token is decoded once for all the labels below it, and every label gets its
exact log-likelihood (`top_only=False`: calibration and the reports need all of them).

When only the best label matters (`top_only=True`) most of the tree need not be decoded at
all. A label's log-likelihood is a sum of negative terms, so any partial sum along its path
is an upper bound on it. The search first finishes the few labels whose first token is most
likely; the best of them is then a floor, and a label whose partial sum is already below the
floor cannot win: the rest of its path is never decoded. The labels still above the floor go
a few tokens further per round (one small batch each) and are weighed again, until none is
left that could beat the best finished one. The winner is exact, as is every label that was
finished; a pruned label keeps its bound (`Scored.exact` False).

The engine is a callback: `expand(nodes)` decodes those nodes' tokens (their ancestors are
either decoded already or earlier in the same list) and returns, per node, the log-probability
of each next token. This module holds no model code, so it is tested with a scripted one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

NextLogprob = Callable[[int], float]
FIRST_ROUND = 4
FIRST_MARGIN = 1.0  # nats
STEP = 2
Expand = Callable[[list[int]], list[NextLogprob]]


@dataclass
class Tree:
    """Node i holds one token; labels sharing a prefix share its nodes."""

    token: list[int] = field(default_factory=list)
    parent: list[int] = field(default_factory=list)  # -1: the first token of a label
    depth: list[int] = field(default_factory=list)
    children: list[list[int]] = field(default_factory=list)
    under: list[list[int]] = field(default_factory=list)  # labels whose path passes here
    end: list[int] = field(default_factory=list)  # label -> its last node

    @property
    def size(self) -> int:
        return len(self.token)

    def inner(self) -> list[int]:
        """Nodes with children, parents first: the ones whose logits are ever needed."""
        return sorted((n for n in range(self.size) if self.children[n]), key=self.depth.__getitem__)


@dataclass(frozen=True)
class Scored:
    logprob: float
    exact: bool
    depth: int = 0  # tokens of the label scored so far


def build(continuations: Sequence[Sequence[int]]) -> Tree:
    if any(not c for c in continuations):
        raise ValueError("every continuation needs at least one token")
    tree = Tree()
    index: dict[tuple[int, int], int] = {}  # (parent, token) -> node
    for label, tokens in enumerate(continuations):
        parent = -1
        for depth, tok in enumerate(tokens):
            node = index.get((parent, tok))
            if node is None:
                node = tree.size
                index[(parent, tok)] = node
                tree.token.append(tok)
                tree.parent.append(parent)
                tree.depth.append(depth)
                tree.children.append([])
                tree.under.append([])
                if parent >= 0:
                    tree.children[parent].append(node)
            tree.under[node].append(label)
            parent = node
        tree.end.append(parent)
    return tree


def search(
    tree: Tree,
    first: NextLogprob,
    expand: Expand,
    *,
    top_only: bool,
    floor: float = -math.inf,
) -> list[Scored]:
    """Each label's log-likelihood; with `top_only`, exact for the winner (see module doc).

    `floor` is a score already reached elsewhere (another batch of labels): nodes below it
    are pruned from the start.
    """
    score = [math.nan] * tree.size
    for node in range(tree.size):
        if tree.parent[node] < 0:
            score[node] = first(tree.token[node])
    if not top_only or (floor == -math.inf and _flat(tree, score)):
        # A flat first-token distribution prunes little: the whole tree in one call costs
        # less than rounds that end up decoding most of it anyway.
        _apply(tree, score, tree.inner(), expand)
    else:
        decoded: set[int] = set()
        while True:
            found = [_result(tree, score, label) for label in range(len(tree.end))]
            best = max([floor, *(r.logprob for r in found if r.exact)])
            live = [label for label, r in enumerate(found) if not r.exact and r.logprob >= best]
            if not live:
                break
            if best == -math.inf:
                # Nothing to prune against yet: finish the likeliest labels first, those whose
                # first tokens are near the best (one, when the model is sure), whole paths in
                # one batch.
                top = max(found[label].logprob for label in live)
                near = [label for label in live if found[label].logprob >= top - FIRST_MARGIN]
                live = sorted(near, key=lambda label: -found[label].logprob)[:FIRST_ROUND]
                reach = math.inf
            else:
                # Labels still in the race go a few tokens further, then are weighed again:
                # deeper partial sums are tighter bounds (flat first tokens prune nothing).
                reach = min(found[label].depth for label in live) + STEP
            needed = {n for label in live for n in _path(tree, label)[:-1]} - decoded
            step = {n for n in needed if tree.depth[n] < reach}
            if len(step) * 2 < len(needed):
                needed = step  # else one batch finishes them all: fewer calls, about as many tokens
            nodes = sorted(needed, key=tree.depth.__getitem__)
            _apply(tree, score, nodes, expand)
            decoded.update(nodes)
    return [_result(tree, score, label) for label in range(len(tree.end))]


def _flat(tree: Tree, score: list[float]) -> bool:
    """Most labels' first tokens within FIRST_MARGIN of the likeliest: the model is unsure."""
    n = len(tree.end)
    bounds = [_result(tree, score, label).logprob for label in range(n)]
    top = max(bounds)
    near = sum(1 for b in bounds if b >= top - FIRST_MARGIN)
    return near > 1 and near * 2 > n


def _apply(tree: Tree, score: list[float], nodes: list[int], expand: Expand) -> None:
    if not nodes:
        return
    for node, next_logprob in zip(nodes, expand(nodes), strict=True):
        for child in tree.children[node]:
            score[child] = score[node] + next_logprob(tree.token[child])


def _path(tree: Tree, label: int) -> list[int]:
    node, path = tree.end[label], []
    while node >= 0:
        path.append(node)
        node = tree.parent[node]
    return path[::-1]


def _result(tree: Tree, score: list[float], label: int) -> Scored:
    node = tree.end[label]
    if not math.isnan(score[node]):
        return Scored(score[node], exact=True, depth=tree.depth[node] + 1)
    while math.isnan(score[node]):  # the deepest scored node on the path bounds the label
        node = tree.parent[node]
    return Scored(score[node], exact=False, depth=tree.depth[node] + 1)

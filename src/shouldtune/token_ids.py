"""Helpers on sequences of token ids, shared by the llama.cpp engine and the trainer."""

from __future__ import annotations

from collections.abc import Sequence


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading ids the two sequences share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def common_prefix_all(sequences: Sequence[Sequence[int]]) -> int:
    """How many leading ids every sequence shares (0 for none given)."""
    if not sequences:
        return 0
    first = sequences[0]
    return min((common_prefix(first, other) for other in sequences[1:]), default=len(first))

"""One label identity for the whole run: the data check, pre-check, split and scorer agree.

Two expected values are the same label when the label scorer cannot tell them apart: equal
after NFKC, casefolding, collapsing whitespace and a '_' or '-' that joins two words, and
dropping surrounding quotes and a final '.' or '!' (`scoring.label_key`). So "Yes", "yes",
"YES." and full-width "Ｙｅｓ" are one label, and "card_arrival" is "card arrival"; but a
sign or grade mark is kept: "-1" and "1", "A+", "A" and "A-" stay apart.
Each label keeps one spelling: the one the spec's `labels` lists, else the
most common one in the data (the first seen on a tie).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from shouldtune.records import Example
from shouldtune.scoring import infer_label_task, label_key
from shouldtune.spec import TaskSpec


def colliding(labels: Sequence[str]) -> list[list[str]]:
    """Groups of labels in a declared set that are one label to the scorer."""
    groups: dict[str, list[str]] = {}
    for label in labels:
        groups.setdefault(label_key(label), []).append(label)
    return [group for group in groups.values() if len(group) > 1]


def canonical_spellings(values: Sequence[str], declared: Sequence[str] | None) -> dict[str, str]:
    """Each value's label spelling: the declared one with its key, else the most common."""
    spelling = {label_key(label): label for label in declared or ()}
    counts = Counter(values)
    firsts = {value: i for i, value in reversed(list(enumerate(values)))}
    for value in sorted(counts, key=lambda v: (-counts[v], firsts[v])):
        spelling.setdefault(label_key(value), value)
    return {value: spelling[label_key(value)] for value in counts}


def unify_labels(spec: TaskSpec, examples: Sequence[Example]) -> list[Example]:
    """The examples with one spelling per label, when the task is (or is inferred as) a label
    task; other tasks' expected outputs are left exactly as written."""
    if spec.scorer not in ("auto", "label"):
        return list(examples)
    values = [example.expected for example in examples]
    canonical = canonical_spellings(values, spec.labels)
    merged = [canonical[value] for value in values]
    if spec.scorer == "auto" and not spec.labels and not infer_label_task(merged):
        return list(examples)
    return [
        example if example.expected == value else example.model_copy(update={"expected": value})
        for example, value in zip(examples, merged, strict=True)
    ]

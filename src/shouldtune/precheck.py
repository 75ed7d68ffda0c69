"""Question 0 of the framework: is there a usable, distinct, unambiguous set of examples?

The pre-check collapses exact duplicates, drops inputs labelled two different ways and examples
that cannot fit the context, finds near duplicates (so the split can keep them on one side),
counts what looks like personal data or secrets (`scan_pii`; the gate is in `pii_gate`) and
says in plain words what it did.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

import numpy as np
from pydantic import BaseModel, Field

from shouldtune.data import template_fields, to_text
from shouldtune.pii import (
    NO_ALLOW_LIST,
    AllowList,
    Finding,
    counts,
    describe_counts,
    load_allow_list,
    scan_records,
)
from shouldtune.prompts import default_instructions
from shouldtune.records import Example
from shouldtune.spec import TaskSpec

NEAR_DUPLICATE_JACCARD = 0.9
# Candidate checks before the near-duplicate search gives up. Prefix filtering makes a check
# per pair that shares one of its rarest words, so 20k ordinary records need far fewer; the cap
# only bites when thousands of inputs share all their rare words (heavily templated inputs).
MAX_CANDIDATE_CHECKS = 2_000_000
MAX_REPORTED_PAIRS = 1_000
MAX_LINES_IN_WARNING = 10
ALLOW_LIST_NAME = ".shouldtune-allow"  # the allow-list found beside the data file

_WORD = re.compile(r"\w+")
_EPSILON = 1e-9


class ConflictGroup(BaseModel):
    """Records with the same input but different expected outputs: all of them are dropped."""

    input: str = Field(description="The normalized input, cut to 200 characters.")
    lines: list[int]
    expected: list[str] = Field(description="The distinct expected values, first seen first.")


class TokenLengths(BaseModel):
    """Input + expected tokens per example."""

    min: int
    median: float
    p95: float
    max: int


class PrecheckReport(BaseModel):
    n_records: int
    n_usable: int
    min_examples: int
    enough_data: bool
    exact_duplicates: int = Field(description="Records repeating an earlier input and expected.")
    conflicting_duplicates: list[ConflictGroup]
    n_conflicting_records: int
    near_duplicate_pairs: list[tuple[int, int, float]] = Field(
        description=f"(line_a, line_b, Jaccard) of usable examples, first {MAX_REPORTED_PAIRS}."
    )
    n_near_duplicate_pairs: int
    near_duplicate_search_capped: bool
    label_distribution: dict[str, int] | None
    token_lengths: TokenLengths = Field(
        description="Over distinct, unambiguous examples, before the context filter (0 if none)."
    )
    context_length: int
    n_over_context: int
    pii: dict[str, int] = Field(
        default_factory=dict,
        description=(
            "Values that look like personal data or secrets, per kind (card_number, email, "
            "phone, ...; docs/personal-data.md), over every record. Counts only: the findings "
            "(value and line) are never written; quoted examples show the values masked."
        ),
    )
    warnings: list[str]


def normalize(text: str) -> str:
    """The form duplicates are compared in: NFKC (full-width and compatibility forms become
    plain ones), casefolded, whitespace collapsed and stripped."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def run_precheck(
    examples: list[Example],
    spec: TaskSpec,
    *,
    count_tokens: Callable[[str], int],
    context_length: int,
    label_task: bool,
    pii: Sequence[Finding] = (),
) -> tuple[PrecheckReport, list[Example]]:
    """Check the examples; return the report and the usable examples in file order.

    `context_length` is the budget for one example's input plus expected output: the caller
    subtracts what the prompt itself needs. `pii`: what `scan_pii` found in them.
    """
    warnings: list[str] = []
    per_kind = counts(pii)
    if per_kind:
        warnings.append(
            f"Found {_count(len(pii), 'value')} that look like personal data or secrets "
            f"({describe_counts(per_kind)}; lines {_lines(sorted({f.line for f in pii}))}). "
            "Reports and run files show them masked; sending the examples to a model on "
            "another machine or training an adapter on them needs --allow-pii. Values that "
            f"are not personal data go in an allow-list ({ALLOW_LIST_NAME}, "
            "docs/personal-data.md)."
        )
    distinct, n_exact, conflicts = _deduplicate(examples)
    n_conflicting = sum(len(group.lines) for group in conflicts)
    if n_exact:
        warnings.append(
            f"Dropped {_count(n_exact, 'exact duplicate')} (the same input and expected output "
            "as an earlier record); the first of each is kept."
        )
    if conflicts:
        lines = sorted(line for group in conflicts for line in group.lines)
        warnings.append(
            f"Left out {_count(n_conflicting, 'record')} whose input also appears with a "
            f"different expected output ({_count(len(conflicts), 'input')}, lines "
            f"{_lines(lines)}): the right answer is ambiguous."
        )

    lengths = [count_tokens(ex.input) + count_tokens(ex.expected) for ex in distinct]
    usable = [ex for ex, n in zip(distinct, lengths, strict=True) if n <= context_length]
    over = [ex.line for ex, n in zip(distinct, lengths, strict=True) if n > context_length]
    if over:
        warnings.append(
            f"Left out {_count(len(over), 'example')} whose input and expected output need more "
            f"than the {context_length}-token context (lines {_lines(over)})."
        )

    pairs, capped = _similar_pairs([_token_set(ex.input) for ex in usable])
    line_pairs = [(usable[a].line, usable[b].line, round(sim, 4)) for a, b, sim in pairs]
    if pairs:
        warnings.append(
            f"Found {_count(len(pairs), 'pair')} of near-duplicate inputs (90% or more of their "
            "words shared); the split keeps each group of them on one side."
        )
        n_differ = sum(usable[a].expected != usable[b].expected for a, b, _ in pairs)
        if n_differ:
            warnings.append(
                f"{n_differ} of the near-duplicate pairs have different expected outputs: "
                "check that they are labelled consistently."
            )
    if capped:
        warnings.append(
            "The near-duplicate search stopped early (too many inputs share their rare words); "
            "some near duplicates may be missed."
        )

    distribution = _label_distribution(usable) if label_task else None
    if distribution:
        singles = [label for label, n in distribution.items() if n == 1]
        if singles:
            warnings.append(
                f"Labels with a single example ({_quoted(singles)}) can be trained on but "
                "never tested."
            )

    if not (spec.instructions or "").strip():
        generic = default_instructions(label_task)
        warnings.append(
            f"No instructions given: zero-shot is sent only {generic!r} (and the labels, if "
            "any). Write what a person doing the task would be told (instructions: in the "
            "spec, or --instructions), or the prompt rungs measure a prompt nobody would use."
        )

    enough = len(usable) >= spec.min_examples
    if not enough:
        warnings.append(
            f"Only {len(usable)} usable examples; fine-tuning needs at least {spec.min_examples} "
            "(min_examples). Prompt rungs are still measured."
        )

    report = PrecheckReport(
        n_records=len(examples),
        n_usable=len(usable),
        min_examples=spec.min_examples,
        enough_data=enough,
        exact_duplicates=n_exact,
        conflicting_duplicates=conflicts,
        n_conflicting_records=n_conflicting,
        near_duplicate_pairs=line_pairs[:MAX_REPORTED_PAIRS],
        n_near_duplicate_pairs=len(line_pairs),
        near_duplicate_search_capped=capped,
        label_distribution=distribution,
        token_lengths=_token_lengths(lengths),
        context_length=context_length,
        n_over_context=len(over),
        pii=per_kind,
        warnings=warnings,
    )
    return report, usable


def scan_pii(examples: Sequence[Example], spec: TaskSpec) -> list[Finding]:
    """Personal data and secrets in the fields a prompt or a training example is made of
    (the input template's fields and the expected field), in file order.

    Raises pii.AllowListError for an allow-list that cannot be read.
    """
    try:
        fields = template_fields(spec.input) or [spec.input]
    except ValueError:
        fields = [spec.input]  # data.load_examples has already refused such a template
    fields = list(dict.fromkeys([*fields, spec.expected]))
    records = ((ex.line, ex.fields) for ex in examples)
    return scan_records(records, fields, allow=allow_list(spec), to_text=to_text)


def allow_list(spec: TaskSpec) -> AllowList:
    """pii.allow_list, else .shouldtune-allow beside the data file, else nothing allowed."""
    path = spec.pii.allow_list
    if path is None:
        beside = spec.data.parent / ALLOW_LIST_NAME
        if not beside.is_file():
            return NO_ALLOW_LIST
        path = beside
    return load_allow_list(path)


def near_duplicate_groups(examples: Sequence[Example]) -> list[list[str]]:
    """Ids of examples whose inputs are near duplicates, as connected groups (sorted)."""
    pairs, _ = _similar_pairs([_token_set(ex.input) for ex in examples])
    parent = list(range(len(examples)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b, _ in pairs:
        parent[root(a)] = root(b)
    members: dict[int, list[str]] = defaultdict(list)
    for i, example in enumerate(examples):
        members[root(i)].append(example.id)
    return sorted(sorted(group) for group in members.values() if len(group) > 1)


def _deduplicate(
    examples: Sequence[Example],
) -> tuple[list[Example], int, list[ConflictGroup]]:
    """(first of each distinct example in file order, exact duplicates, conflict groups)."""
    by_input: dict[str, list[int]] = defaultdict(list)
    for i, example in enumerate(examples):
        by_input[normalize(example.input)].append(i)
    firsts: list[int] = []
    n_exact = 0
    conflicts: list[ConflictGroup] = []
    for key, group in by_input.items():
        expected = list(dict.fromkeys(examples[i].expected for i in group))
        if len(expected) > 1:
            lines = [examples[i].line for i in group]
            conflicts.append(ConflictGroup(input=key[:200], lines=lines, expected=expected))
        else:
            firsts.append(group[0])
            n_exact += len(group) - 1
    return [examples[i] for i in sorted(firsts)], n_exact, conflicts


def _token_set(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(normalize(text)))


def _similar_pairs(
    sets: Sequence[frozenset[str]],
    threshold: float = NEAR_DUPLICATE_JACCARD,
    max_checks: int = MAX_CANDIDATE_CHECKS,
) -> tuple[list[tuple[int, int, float]], bool]:
    """All index pairs with Jaccard >= threshold, and whether the check cap cut the search short.

    An exact similarity join (PPJoin: prefix, length and positional filtering), so most pairs
    are never compared. With each set's tokens ranked rarest first and sets visited smallest
    first, two sets this similar share a token among the first |x| - ceil(t * |x|) + 1 tokens
    of the current set and the first |y| - ceil(2t / (1 + t) * |y|) + 1 of the indexed one.
    The first token they share comes first in both rankings, which bounds their overlap by
    the tokens that follow it.
    """
    frequency = Counter(token for tokens in sets for token in tokens)
    index: dict[str, list[tuple[int, int]]] = defaultdict(list)
    pairs: list[tuple[int, int, float]] = []
    checks = 0
    overlap_share = threshold / (1 + threshold)
    for i in sorted(range(len(sets)), key=lambda k: len(sets[k])):
        size = len(sets[i])
        if not size:
            continue
        ranked = sorted(sets[i], key=lambda token: (frequency[token], token))
        prefix = size - math.ceil(threshold * size - _EPSILON) + 1
        indexed = size - math.ceil(2 * overlap_share * size - _EPSILON) + 1
        seen: set[int] = set()
        candidates: list[int] = []
        for position, token in enumerate(ranked[:prefix]):
            bucket = index[token]
            checks += len(bucket)
            if checks > max_checks:
                return sorted(pairs), True
            for j, other_position in bucket:
                if j in seen:
                    continue
                seen.add(j)
                other = len(sets[j])
                needed = math.ceil(overlap_share * (size + other) - _EPSILON)
                possible = min(size - position, other - other_position)
                if other >= threshold * size - _EPSILON and possible >= needed:
                    candidates.append(j)
            if position < indexed:
                bucket.append((i, position))
        for j in candidates:
            shared = len(sets[i] & sets[j])
            similarity = shared / (size + len(sets[j]) - shared)
            if similarity >= threshold - _EPSILON:
                pairs.append((min(i, j), max(i, j), similarity))
    return sorted(pairs), False


def _label_distribution(examples: Sequence[Example]) -> dict[str, int]:
    counts = Counter(ex.expected for ex in examples)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _token_lengths(lengths: Sequence[int]) -> TokenLengths:
    if not lengths:
        return TokenLengths(min=0, median=0.0, p95=0.0, max=0)
    median, p95 = np.percentile(np.asarray(lengths), [50, 95])
    return TokenLengths(
        min=min(lengths), median=float(median), p95=round(float(p95), 1), max=max(lengths)
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _lines(lines: Sequence[int]) -> str:
    shown = ", ".join(str(line) for line in lines[:MAX_LINES_IN_WARNING])
    return shown if len(lines) <= MAX_LINES_IN_WARNING else f"{shown}, ..."


def _quoted(labels: Sequence[str]) -> str:
    shown = ", ".join(f"'{label}'" for label in labels[:MAX_LINES_IN_WARNING])
    return shown if len(labels) <= MAX_LINES_IN_WARNING else f"{shown}, ..."

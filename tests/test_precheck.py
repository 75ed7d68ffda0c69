from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from shouldtune.precheck import (
    PrecheckReport,
    _similar_pairs,
    near_duplicate_groups,
    normalize,
    run_precheck,
    scan_pii,
)
from shouldtune.records import Example
from shouldtune.spec import PiiSpec, TaskSpec

SPEC = TaskSpec(data="unused.jsonl", min_examples=3)


def words(text: str) -> int:
    return len(text.split())


def ex(line: int, text: str, expected: str = "a") -> Example:
    return Example(id=f"e{line}", input=text, expected=expected, line=line)


def check(
    examples: list[Example], *, context_length: int = 1000, label_task: bool = False
) -> tuple[PrecheckReport, list[Example]]:
    return run_precheck(
        examples, SPEC, count_tokens=words, context_length=context_length, label_task=label_task
    )


def sentence(i: int, n: int = 20) -> str:
    return " ".join(f"w{i}x{k}" for k in range(n))


def test_normalize_casefolds_and_collapses_whitespace() -> None:
    assert normalize("  Hello\t\nWORLD  ") == "hello world"


def test_exact_duplicates_collapse_to_the_first() -> None:
    examples = [ex(1, "Hello  world"), ex(2, "other"), ex(3, "hello world"), ex(4, "HELLO WORLD")]
    report, usable = check(examples)
    assert [e.line for e in usable] == [1, 2]
    assert report.exact_duplicates == 2
    assert report.n_records == 4
    assert report.n_usable == 2
    assert report.warnings[0].startswith("Dropped 2 exact duplicates")


def test_conflicting_inputs_are_all_left_out() -> None:
    examples = [
        ex(1, "is it?", "yes"),
        ex(2, "keep me"),
        ex(3, "Is  it?", "no"),
        ex(4, "is it?", "yes"),
        ex(5, "third"),
    ]
    report, usable = check(examples)
    assert [e.line for e in usable] == [2, 5]
    (group,) = report.conflicting_duplicates
    assert group.lines == [1, 3, 4]
    assert group.expected == ["yes", "no"]
    assert report.n_conflicting_records == 3
    assert report.exact_duplicates == 0
    assert any("Left out 3 records" in w and "lines 1, 3, 4" in w for w in report.warnings)


def test_examples_over_the_context_are_left_out() -> None:
    examples = [ex(1, "one two three", "four"), ex(2, "one two", "three"), ex(3, "x")]
    report, usable = check(examples, context_length=3)
    assert [e.line for e in usable] == [2, 3]
    assert report.n_over_context == 1
    assert report.token_lengths.model_dump() == {"min": 2, "median": 3.0, "p95": 3.9, "max": 4}
    assert any("Left out 1 example" in w and "(lines 1)" in w for w in report.warnings)


def test_enough_data_is_a_threshold_on_usable_examples() -> None:
    three = [ex(i, f"text {i}") for i in range(1, 4)]
    report, _ = check(three)
    assert report.enough_data
    report, _ = check([*three[:2], ex(9, "TEXT 1")])
    assert not report.enough_data
    assert report.min_examples == 3
    assert any(w.startswith("Only 2 usable examples") for w in report.warnings)


def test_near_duplicates_are_found_above_the_threshold_only() -> None:
    base = sentence(0)
    one_word_changed = base.replace("w0x5", "changed")  # Jaccard 19/21 = 0.905
    two_words_changed = base.replace("w0x5", "c1").replace("w0x6", "c2")  # 18/22 = 0.818
    examples = [ex(1, base), ex(2, one_word_changed, "b"), ex(3, two_words_changed), ex(4, "z")]
    report, usable = check(examples)
    assert len(usable) == 4
    assert report.near_duplicate_pairs == [(1, 2, 0.9048)]
    assert report.n_near_duplicate_pairs == 1
    assert not report.near_duplicate_search_capped
    assert any(
        w.startswith("1 of the near-duplicate pairs have different") for w in report.warnings
    )


@pytest.mark.parametrize("threshold", [0.9, 0.75, 0.5])
def test_near_duplicate_search_is_exact(threshold: float) -> None:
    # The filters may skip comparisons, never pairs: compare with brute force.
    rng = random.Random(7)
    vocabulary = [f"t{i}" for i in range(40)]
    found = 0
    for _ in range(20):
        sets = [frozenset(rng.sample(vocabulary, rng.randint(0, 30))) for _ in range(40)]
        for _ in range(40):
            near = set(rng.choice(sets))
            near ^= set(rng.sample(vocabulary, rng.randint(1, 3)))
            sets.append(frozenset(near))
        brute = [
            (a, b)
            for a, b in itertools.combinations(range(len(sets)), 2)
            if sets[a] | sets[b] and len(sets[a] & sets[b]) / len(sets[a] | sets[b]) >= threshold
        ]
        pairs, capped = _similar_pairs(sets, threshold=threshold)
        assert [(a, b) for a, b, _ in pairs] == brute
        assert not capped
        found += len(brute)
    assert found > 50


def test_near_duplicate_search_reports_when_capped() -> None:
    sets = [frozenset({"same", "words", f"x{i % 2}"}) for i in range(50)]
    pairs, capped = _similar_pairs(sets)
    assert (len(pairs), capped) == (2 * 25 * 24 // 2, False)
    pairs, capped = _similar_pairs(sets, max_checks=100)
    assert capped
    assert len(pairs) < 2 * 25 * 24 // 2


def test_near_duplicate_search_scales_to_20k_records() -> None:
    # Word frequencies follow Zipf's law, as in real text.
    rng = random.Random(0)
    vocabulary = [f"v{i}" for i in range(20_000)]
    cumulative = list(itertools.accumulate(1 / rank for rank in range(1, len(vocabulary) + 1)))
    texts = [" ".join(rng.choices(vocabulary, cum_weights=cumulative, k=20)) for _ in range(20_000)]
    texts[12_345] = texts[67] + " extra"
    examples = [ex(i + 1, text) for i, text in enumerate(texts)]
    assert near_duplicate_groups(examples) == [["e12346", "e68"]]


def test_near_duplicate_groups_are_connected_components() -> None:
    a = sentence(1)
    b = a.replace("w1x5", "b")  # a~b: 19/21 = 0.905
    c = b.replace("w1x6", "c")  # b~c: 19/21, but a and c only 18/22 = 0.818
    d = sentence(2)
    e = d.replace("w2x0", "e")
    examples = [ex(1, a), ex(2, b), ex(3, c), ex(4, d), ex(5, e), ex(6, sentence(3))]
    assert near_duplicate_groups(examples) == [["e1", "e2", "e3"], ["e4", "e5"]]


def test_label_distribution_only_for_label_tasks() -> None:
    examples = [ex(1, "p", "pos"), ex(2, "q", "neg"), ex(3, "r", "pos"), ex(4, "s", "odd")]
    report, _ = check(examples, label_task=True)
    assert report.label_distribution == {"pos": 2, "neg": 1, "odd": 1}
    assert list(report.label_distribution) == ["pos", "neg", "odd"]
    assert any("single example ('neg', 'odd')" in w for w in report.warnings)
    report, _ = check(examples, label_task=False)
    assert report.label_distribution is None


def test_no_examples_gives_an_empty_report() -> None:
    report, usable = check([ex(1, "x", "a"), ex(2, "X", "b")])
    assert usable == []
    assert report.n_usable == 0
    assert report.token_lengths.max == 0
    assert not report.enough_data
    assert report.model_dump_json()


def test_personal_data_is_counted_per_kind_and_warned_about_without_values() -> None:
    records = [
        Example(
            id="a",
            input="mail anna.keller7@mailbox.org",
            expected="x",
            line=2,
            fields={"text": "mail anna.keller7@mailbox.org", "label": "x", "notes": ""},
        ),
        Example(
            id="b",
            input="nothing",
            expected="y",
            line=3,
            fields={"text": "nothing", "label": "y", "notes": "omar.rossi@gmail.com"},
        ),
        Example(
            id="c",
            input="plain",
            expected="z",
            line=5,
            fields={"text": "plain", "label": "IBAN DE89 3704 0044 0532 0130 00"},
        ),
    ]
    spec = TaskSpec(data="unused.jsonl", input="text", expected="label", min_examples=1)
    found = scan_pii(records, spec)
    # Only the fields a prompt or a training example is made of: not "notes".
    assert [(f.line, f.field, f.kind) for f in found] == [
        (2, "text", "email"),
        (5, "label", "iban"),
    ]
    report, _ = run_precheck(
        records, spec, count_tokens=words, context_length=1000, label_task=False, pii=found
    )
    assert report.pii == {"email": 1, "iban": 1}
    (warning,) = [w for w in report.warnings if "personal data" in w]
    assert "email: 1, iban: 1" in warning and "lines 2, 5" in warning
    assert "mailbox.org" not in report.model_dump_json()


def test_the_input_template_fields_are_scanned(tmp_path: Path) -> None:
    record = {"title": "hi", "body": "call (415) 867-5309", "label": "a"}
    examples = [Example(id="a", input="hi\ncall", expected="a", line=1, fields=record)]
    spec = TaskSpec(data=tmp_path / "d.jsonl", input="{title}\n{body}", expected="label")
    assert [(f.field, f.kind) for f in scan_pii(examples, spec)] == [("body", "phone")]


def test_the_allow_list_beside_the_data_or_named_in_the_spec(tmp_path: Path) -> None:
    record = {"text": "call (415) 867-5309", "label": "a"}
    examples = [Example(id="a", input=record["text"], expected="a", line=1, fields=record)]
    spec = TaskSpec(data=tmp_path / "d.jsonl", input="text", expected="label")
    assert scan_pii(examples, spec)
    (tmp_path / ".shouldtune-allow").write_text("(415) 867-5309\n", encoding="utf-8")
    assert scan_pii(examples, spec) == []
    named = tmp_path / "other-allow.txt"
    named.write_text("# nothing allowed\n", encoding="utf-8")
    assert scan_pii(examples, spec.model_copy(update={"pii": PiiSpec(allow_list=named)}))

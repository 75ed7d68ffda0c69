"""The personal-data scan: a generated corpus of values and look-alikes, masking, allow-list."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from shouldtune.pii import (
    KINDS,
    AllowListError,
    counts,
    describe_counts,
    entropy,
    find,
    iban_ok,
    load_allow_list,
    luhn_ok,
    mask,
    mask_text,
    scan_records,
    scan_text,
)
from tests.pii_corpus import NEGATIVES, card, email, iban, nl_bsn, positives


def _kinds(text: str) -> list[str]:
    return [f.kind for f in scan_text(text, line=1, field="input")]


def test_generated_card_passes_luhn_and_is_found_masked() -> None:
    card = "4539 1488 0343 6467"  # generated, Luhn-valid
    assert luhn_ok(card.replace(" ", ""))
    (finding,) = scan_text(f"my card is {card} thanks", line=7, field="input")
    assert (finding.line, finding.field, finding.kind) == (7, "input", "card_number")
    assert card not in finding.masked and "1488" not in finding.masked


def test_negatives_are_not_reported() -> None:
    assert _kinds("order 4539 1488 0343 6468 shipped") == []  # fails Luhn
    assert _kinds("test card 4111 1111 1111 1111") == []  # documented test number
    assert _kinds("write to jane@example.com or ops@mail.example.org") == []
    assert _kinds("version 1.2.3.4 of the tool") == []


def test_iban_email_key_token() -> None:
    assert iban_ok("GB82 WEST 1234 5698 7654 32")
    assert not iban_ok("GB83 WEST 1234 5698 7654 32")
    assert _kinds("pay GB82 WEST 1234 5698 7654 32 now") == ["iban"]
    assert _kinds("mail j.doe@corpmail.de") == ["email"]
    assert _kinds("-----BEGIN RSA PRIVATE KEY-----\nMIIE") == ["private_key"]
    assert _kinds("token ghp_" + "a1B2" * 9) == ["api_token"]


def test_mask_and_counts() -> None:
    assert mask("short") == "*****"
    assert mask("abcdefghijkl") == "ab********kl"
    found = scan_text("a@corp.io b@corp.io", line=1, field="x")
    assert counts(found) == {"email": 2}


# --- the generated corpus ------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_every_planted_value_is_found_once_with_its_kind(seed: int) -> None:
    for kind, value, text in positives(seed):
        hits = find(text)
        assert [(h.kind, h.value) for h in hits] == [(kind, value)], text


@pytest.mark.parametrize(("why", "text"), NEGATIVES, ids=[why for why, _ in NEGATIVES])
def test_lookalikes_are_not_reported(why: str, text: str) -> None:
    assert find(text) == [], why


def test_every_kind_is_in_the_corpus() -> None:
    assert {kind for kind, _, _ in positives()} | {"private_key"} == set(KINDS)


def test_findings_never_hold_the_value() -> None:
    for _, value, text in positives():
        (finding,) = scan_text(text, line=3, field="body")
        assert value not in finding.model_dump_json()
        assert value not in str(finding)


def test_mask_text_replaces_every_value_and_keeps_the_rest() -> None:
    planted = positives()[:22]
    text = " | ".join(sentence for _, _, sentence in planted)
    masked = mask_text(text)
    for _, value, _ in planted:
        assert value not in masked
    assert masked.startswith("Please charge my card ")
    assert mask_text("nothing to hide here") == "nothing to hide here"


def test_a_weak_checksum_needs_its_name_nearby() -> None:
    rng = random.Random(1)
    number = nl_bsn(rng)
    assert _kinds(f"BSN {number}") == ["nl_bsn"]
    assert _kinds(f"reference {number}") == []


def test_a_span_is_reported_as_its_strongest_kind_only() -> None:
    # A Luhn-valid run of digits inside an IBAN is the IBAN, not also a card or a phone.
    value = iban(random.Random(3))
    assert _kinds(f"IBAN {value}") == ["iban"]
    assert _kinds("call +1 (415) 867-5309 or write") == ["phone"]


def test_bare_digits_count_as_a_phone_only_beside_a_phone_word() -> None:
    assert _kinds("order 4158675309 is late") == []
    assert _kinds("call me on 4158675309") == ["phone"]


def test_allow_list_exact_values_and_regexes(tmp_path: Path) -> None:
    allow_file = tmp_path / ".shouldtune-allow"
    allow_file.write_text(
        "# our public support line and the shared mailbox\n"
        "+1 415 867 5309\n"
        "\n"
        r"re:.*@acme-corp\.com" + "\n",
        encoding="utf-8",
    )
    allow = load_allow_list(allow_file)
    text = "call +1-415-867-5309 or (415) 867-5309, mail help@acme-corp.com or a.b@gmail.com"
    found = scan_text(text, line=1, field="x", allow=allow)
    # A line matches the value with its separators (spaces, dots, dashes, brackets) aside;
    # the national form "(415) 867-5309" is another value.
    assert [f.kind for f in found] == ["phone", "email"]
    assert found[0].masked == "(4**********09"
    assert allow.allows("+14158675309") and not allow.allows("+14158675308")


def test_allow_list_bad_regex_names_file_and_line(tmp_path: Path) -> None:
    allow_file = tmp_path / "allow.txt"
    allow_file.write_text("ok@corp.io\nre:([unclosed\n", encoding="utf-8")
    with pytest.raises(AllowListError, match=r"allow\.txt:2: not a valid regex"):
        load_allow_list(allow_file)


def test_scan_records_reads_the_named_fields_with_their_lines() -> None:
    rng = random.Random(5)
    records: list[tuple[int, dict[str, object]]] = [
        (1, {"text": "nothing here", "label": "a"}),
        (2, {"text": f"mail {email(rng)}", "label": "b", "notes": email(rng)}),
        (4, {"text": "x", "label": {"card": card(rng)}}),
    ]
    found = scan_records(records, ["text", "label"], to_text=json.dumps)
    assert [(f.line, f.field, f.kind) for f in found] == [
        (2, "text", "email"),
        (4, "label", "card_number"),
    ]
    assert counts(found) == {"card_number": 1, "email": 1}
    assert describe_counts(counts(found)) == "card_number: 1, email: 1"


def test_entropy() -> None:
    assert entropy("aaaa") == 0.0
    assert entropy("abcd") == 2.0


@pytest.mark.parametrize(
    "text",
    [
        "token := Ab3dEf6hIj9kLm2nOp5q",
        'api_key => "Ab3dEf6hIj9kLm2nOp5q"',
        "password is Summer2024!",
        "PASSWORD=Tr0ub4dor&3",
        "Authorization: Bearer Ab3dEf6hIj9kLm2nOp5qRs",
        "password: $uperS3cret!",  # a $ that starts a password, not a template variable
        "key: Ab3dEf6hIj9kLm2nOp5q",
        "credentials = Ab3dEf6hIj9kLm2nOp5q",
    ],
)
def test_secret_after_its_word_with_any_usual_separator(text: str) -> None:
    (hit,) = find(text)
    assert hit.kind == "secret"
    assert hit.value.startswith(("Ab3", "Summer", "Tr0", "$uper"))
    assert text[hit.start : hit.end] == hit.value


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("a." * 5000 + "@", []),  # an e-mail regex run from every start is quadratic here
        ("secret_" * 3000, []),
        ("1 " * 10000, []),
        ("1." * 10000, []),
        ("x" * 20000 + "@corp.io", ["email"]),
        ("café.owner@gmail.com", ["email"]),
    ],
    ids=["dotted-at", "identifier-words", "spaced-digits", "dotted-digits", "long-local", "accent"],
)
def test_hostile_shapes_are_scanned_in_one_pass(text: str, kinds: list[str]) -> None:
    assert [h.kind for h in find(text)] == kinds


def test_kinds_are_listed_in_the_order_they_are_tried() -> None:
    from shouldtune.pii import _DETECTORS

    assert list(dict.fromkeys(kind for kind, _ in _DETECTORS)) == list(KINDS)


def test_a_private_key_is_masked_whole_block_not_just_its_first_line() -> None:
    body = "MIIEowIBAAKCAQEA7VqZ" + "x9Qk" * 60
    block = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
    masked = mask_text(f"my key:\n{block}\nthanks")
    assert body[:20] not in masked and masked.endswith("\nthanks")
    # Cut off before its END line: the base64 that follows is part of it.
    assert body[:20] not in mask_text(f"-----BEGIN PRIVATE KEY-----\n{body}")


def test_many_values_in_one_string_are_all_masked() -> None:
    text = " ".join(f"user{i}@corp.io" for i in range(5000))
    masked = mask_text(text)
    assert "@corp.io" not in masked and len(masked) == len(text)

from shouldtune.pii import counts, iban_ok, luhn_ok, mask, scan_text


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

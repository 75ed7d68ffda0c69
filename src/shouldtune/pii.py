"""Personal data and secrets in example text, found before anything leaves the machine.

A scan of plain strings: card numbers (Luhn-checked), IBANs (mod-97), e-mail addresses,
private-key blocks and API tokens by their known prefixes. Values are only ever returned
masked, so no caller can print or write one in full by accident. Documented test values
(example.com / example.org / example.net addresses, the well-known test card numbers) are
not reported: they are what people put in examples on purpose.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from pydantic import BaseModel, Field

_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})\b")
_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")
_TOKEN = re.compile(
    r"\b(?:sk-[A-Za-z0-9_-]{20,}|ghp_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{40,}"
    r"|AKIA[0-9A-Z]{16}|xox[baprs]-[A-Za-z0-9-]{10,}|hf_[A-Za-z0-9]{30,})\b"
)
# RFC 2606 reserved domains and the card numbers payment providers publish for testing.
DOCUMENTATION_DOMAINS = ("example.com", "example.org", "example.net")
TEST_CARDS = frozenset({"4111111111111111", "4242424242424242", "5555555555554444"})


class Finding(BaseModel):
    """One value found: where, what kind, and the value masked."""

    line: int
    field: str
    kind: str = Field(description="card_number, iban, email, private_key or api_token.")
    masked: str = Field(description="The value with all but its ends replaced by '*'.")


def mask(value: str) -> str:
    """Keep at most two characters at each end (none for short values)."""
    if len(value) < 10:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 4) + value[-2:]


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(value: str) -> bool:
    compact = value.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def scan_text(text: str, *, line: int, field: str) -> list[Finding]:
    """Every finding in one string."""
    found: list[tuple[str, str]] = []
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and digits not in TEST_CARDS and luhn_ok(digits):
            found.append(("card_number", match.group()))
    for match in _IBAN.finditer(text):
        if iban_ok(match.group()):
            found.append(("iban", match.group()))
    for match in _EMAIL.finditer(text):
        domain = match.group(1).lower()
        if not any(domain == d or domain.endswith("." + d) for d in DOCUMENTATION_DOMAINS):
            found.append(("email", match.group()))
    found += [("private_key", m.group()) for m in _PRIVATE_KEY.finditer(text)]
    found += [("api_token", m.group()) for m in _TOKEN.finditer(text)]
    return [Finding(line=line, field=field, kind=k, masked=mask(v)) for k, v in found]


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    """Findings per kind, for results.json."""
    return dict(sorted(Counter(f.kind for f in findings).items()))

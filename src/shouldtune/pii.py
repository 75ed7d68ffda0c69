"""Personal data and secrets in example text, found before anything leaves the machine.

A scan of plain strings, one kind of value after another, strongest evidence first:

- secrets: private-key blocks, API tokens by their known prefixes, passwords in URLs, then
  high-entropy values right after a word like key, token, secret or password (placeholders
  such as ${DB_PASSWORD} or code such as os.environ.get left out);
- checksummed numbers: card numbers (Luhn), IBANs (mod-97) and national identifiers that
  python-stdnum validates (US SSN, Spanish DNI/NIE, French NIR, Italian codice fiscale, and
  the Dutch BSN and German IdNr next to their name, their checksums being weak);
- e-mail addresses, public IP addresses, phone numbers (the `phonenumbers` parser).

A span one kind has claimed is not reported again as a weaker kind (a card number is not
also a phone number). `scan_text` returns findings with the value masked, so no caller can
print or write one in full by accident; `find`'s raw hits exist to be masked (`mask_text`)
and are never shown. Documented test values are not reported: they are what people put
in examples on purpose (docs/personal-data.md lists them), and an allow-list file names more.
"""

from __future__ import annotations

import bisect
import dataclasses
import ipaddress
import math
import re
import string
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from shouldtune.records import Prediction

KINDS = (  # in the order they are tried (_DETECTORS)
    "private_key",
    "api_token",
    "secret",
    "iban",
    "fr_nir",
    "it_codice_fiscale",
    "us_ssn",
    "es_dni",
    "card_number",
    "nl_bsn",
    "de_idnr",
    "email",
    "ip_address",
    "phone",
)

# RFC 2606 reserved names (three domains, four top-level domains) and the card numbers
# payment providers publish for testing.
DOCUMENTATION_DOMAINS = ("example.com", "example.org", "example.net")
RESERVED_TLDS = ("example", "test", "invalid", "localhost")
TEST_CARDS = frozenset(
    {
        "4111111111111111",  # Visa (many providers)
        "4242424242424242",  # Visa (Stripe)
        "4000056655665556",  # Visa debit (Stripe)
        "5555555555554444",  # Mastercard
        "5105105105105100",  # Mastercard
        "2223003122003222",  # Mastercard 2-series (Stripe)
        "378282246310005",  # American Express
        "371449635398431",  # American Express
        "6011111111111117",  # Discover
        "3056930009020004",  # Diners Club
        "3566002020360505",  # JCB
    }
)
# Phone ranges set aside for fiction and documentation: US 555-0100..0199 (NANPA); UK
# drama numbers (Ofcom): London 020 7946 0xxx, Leeds 0113 496 0xxx, Manchester 0161 496 0xxx,
# mobiles 07700 900xxx. Written as national significant numbers.
FICTIONAL_PHONES = re.compile(
    r"\d{3}55501\d{2}|2079460\d{3}|1134960\d{3}|1614960\d{3}|7700900\d{3}"
)
MAX_LINES_SHOWN = 20  # findings listed on the terminal; the rest are counted
PHONE_REGIONS = ("US", "GB", "DE", "FR", "ES", "IT", "NL")

_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
_KEY_END = re.compile(r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
_KEY_BODY = re.compile(r"[A-Za-z0-9+/=\s\\]*")
MAX_KEY_CHARS = 8_000  # an 8192-bit RSA key in PEM is about 6,400
_TOKEN = re.compile(
    r"(?<![\w-])(?:sk-[A-Za-z0-9_-]{20,}|(?:sk|rk)_live_[A-Za-z0-9]{16,}"
    r"|gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{40,}|glpat-[A-Za-z0-9_-]{20}"
    r"|A(?:KIA|SIA)[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35}|xox[baprs]-[A-Za-z0-9-]{10,}"
    r"|hf_[A-Za-z0-9]{30,}|npm_[A-Za-z0-9]{36}"
    r"|eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})(?![\w-])"
)
# A word naming a secret, an optional separator, then the value (quotes allowed around both).
_SECRET = re.compile(
    # The word may end an identifier (AWS_SECRET_ACCESS_KEY, DB_PASSWORD, client_secret).
    r"(?i)(?<![a-z])(api[_ -]?key|secret|access[_ -]?key|private[_ -]?key|key|token|bearer|"
    r"credentials?|password|passwd|pwd|passphrase|passcode)(?:[_-][a-z]{1,12}){0,4}\b[\"']?"
    r"(\s*(?::=|=>|[:=]|\bis\b)\s*|\s+)[\"']?"
    r"([^\s\"',;<>()\[\]{}]{8,200})"
)
# What documentation and code put where a secret goes: a placeholder word, a template
# variable (${DB_PASSWORD}, <password>, {token}), a mask, or code (os.environ.get, re.compile).
_PLACEHOLDER = re.compile(
    r"(?i)(?:password|passwd|pass|pwd|secret|token|key|changeme|example|your[_-]?\w*|x+|\*+|\.+)"
    r"|\$\{[^}]*\}|\$[A-Z_][A-Z0-9_]*|<[^>]*>|\{[^}]*\}|\[[^\]]*\]|%\(?\w+\)?s?"
    r"|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?:\(.*)?"
    r"|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+"  # a variable's name (api_key_env: MY_SERVER_SECRET)
)
# scheme://user:password@host: the password.
_URL_PASSWORD = re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@]+:([^/\s@]{3,})@")
_PASSWORD_WORDS = ("password", "passwd", "pwd", "passphrase", "passcode")
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b", re.IGNORECASE)
_SSN = re.compile(r"(?<![\d-])\d{3}([- ])\d{2}\1\d{4}(?![\d-])")
_DNI = re.compile(r"(?<![\w-])(?:\d{8}|[XYZ]\d{7})-?[A-Z](?![\w-])", re.IGNORECASE)
_NIR = re.compile(r"(?<!\d)[12] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}(?!\d)")
_CODICE = re.compile(r"\b[A-Z]{6}\d{2}[A-EHLMPRST]\d{2}[A-Z]\d{3}[A-Z]\b")
_BSN = re.compile(r"(?<![\d.])\d{4}\.?\d{2}\.?\d{3}(?![\d.])")
_IDNR = re.compile(r"(?<!\d)\d{2} ?\d{3} ?\d{3} ?\d{3}(?!\d)")
# Words that must come shortly before a weakly checksummed number (1 in 11 random ones pass).
_BSN_WORDS = re.compile(r"(?i)\b(?:bsn|burgerservicenummer|sofinummer)\b")
_IDNR_WORDS = re.compile(
    r"(?i)(?:steuer[- ]?id|steuer-?identifikationsnummer|identifikationsnummer|idnr|tax id)"
)
_CONTEXT_CHARS = 40
# An address is read outwards from each '@', at most 64 characters left (RFC 5321's local
# part) and 255 right: a regex scanning for the whole address from every start is quadratic
# on text like "a.a.a.a...@".
_EMAIL_LOCAL = frozenset(string.ascii_letters + string.digits + "._%+-")
_EMAIL_DOMAIN = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\.?\d)")
_IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
_GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")
_VERSION_BEFORE = re.compile(r"(?i)(?:\bv|version\s*|release\s*)$")
# A phone candidate: digits with the separators people write numbers with.
_PHONE = re.compile(r"(?<![\w+-])(?:\+|00)?\(?\d[\d ().-]{6,18}\d(?![\w])")
_PHONE_WORDS = re.compile(
    r"(?i)\b(?:phone|tel|telephone|call|mobile|mob|cell|fax|whatsapp|signal|sms|text me|ring|"
    r"dial|reach|contact)\b"
)
_DOTTED_QUAD = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_DATE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")


class Finding(BaseModel):
    """One value found: where, what kind, and the value masked."""

    line: int
    field: str
    kind: str = Field(description="One of pii.KINDS (card_number, iban, email, phone, ...).")
    masked: str = Field(description="The value with all but its ends replaced by '*'.")

    def __str__(self) -> str:
        return f"{self.field}: {self.kind} ({self.masked})"


@dataclasses.dataclass(frozen=True)
class Hit:
    """A value found in one string: its kind and where it is (never leaves this module's
    callers unmasked: `scan_text` masks it, `mask_text` replaces it)."""

    kind: str
    start: int
    end: int
    value: str


class AllowListError(ValueError):
    """A bad line in the allow-list file; the message is 'file:line: message'."""


@dataclasses.dataclass(frozen=True)
class AllowList:
    """Values not to report: exact values, or regexes (`re:PATTERN`, matched in full)."""

    exact: frozenset[str] = frozenset()
    patterns: tuple[re.Pattern[str], ...] = ()

    def allows(self, value: str) -> bool:
        compact = _compact(value)
        if value in self.exact or compact in self.exact:
            return True
        return any(p.fullmatch(value) or p.fullmatch(compact) for p in self.patterns)


NO_ALLOW_LIST = AllowList()


def load_allow_list(path: Path) -> AllowList:
    """Read an allow-list: one value a line, `re:` for a regex, `#` comments, blanks skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise AllowListError(f"{path}: cannot read the allow-list: {error}") from None
    exact: set[str] = set()
    patterns: list[re.Pattern[str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("re:"):
            try:
                patterns.append(re.compile(line[3:].strip()))
            except re.error as error:
                raise AllowListError(f"{path}:{number}: not a valid regex: {error}") from None
        else:
            exact.add(line)
            exact.add(_compact(line))
    return AllowList(frozenset(exact), tuple(patterns))


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
    compact = value.replace(" ", "").upper()
    # Every country's IBAN is mostly digits: "ab12 with some text" is not one.
    if not 15 <= len(compact) <= 34 or sum(c.isdigit() for c in compact) < 10:
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values()) if n else 0.0


def find(text: str, allow: AllowList = NO_ALLOW_LIST) -> list[Hit]:
    """Every value in one string, in text order; allow-listed and documented values are left
    out (but still claim their span: a test card number is not reported as a phone)."""
    hits: list[Hit] = []
    # Claimed spans never overlap, so sorted by start they are sorted by end too: a new span
    # overlaps one only if it overlaps its neighbours (bisect, not a scan of every span).
    starts: list[int] = []
    ends: list[int] = []
    has_digit = _HAS_DIGIT.search(text) is not None
    for kind, detect in _DETECTORS:
        if kind in _NEEDS_DIGIT and not has_digit:
            continue
        for start, end, reported in detect(text):
            i = bisect.bisect_left(starts, start)
            if (i > 0 and ends[i - 1] > start) or (i < len(starts) and starts[i] < end):
                continue
            starts.insert(i, start)
            ends.insert(i, end)
            value = text[start:end]
            if reported and not allow.allows(value):
                hits.append(Hit(kind, start, end, value))
    return sorted(hits, key=lambda h: h.start)


def scan_text(
    text: str, *, line: int, field: str, allow: AllowList = NO_ALLOW_LIST
) -> list[Finding]:
    """Every finding in one string."""
    return [
        Finding(line=line, field=field, kind=h.kind, masked=mask(h.value))
        for h in find(text, allow)
    ]


def mask_text(text: str) -> str:
    """The text with every value found replaced by its masked form (for what people read).

    No allow-list here: a report masks whatever looks like personal data.
    """
    pieces: list[str] = []
    done = 0
    for hit in find(text):
        pieces += [text[done : hit.start], mask(hit.value)]
        done = hit.end
    return "".join([*pieces, text[done:]])


# Keys under which run files and reports quote example text (inputs, answers, prompts).
QUOTED_KEYS = frozenset({"input", "expected", "output", "predicted", "content", "raw_output"})


def mask_quoted(value: Any) -> Any:
    """A JSON-like value with every string under one of QUOTED_KEYS masked (mask_text), at
    any depth below it (a conflict group's list of expected values).

    Other strings (paths, model names, ids, hashes) are left as they are: a content hash
    can hold a run of digits that passes Luhn, and a server's address is not a data subject's.
    """
    if isinstance(value, dict):
        return {
            k: mask_strings(v) if k in QUOTED_KEYS else mask_quoted(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_quoted(item) for item in value]
    return value


def mask_strings(value: Any) -> Any:
    """A JSON-like value with every string in it masked (a prediction's detail)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_strings(item) for item in value]
    return value


def masked_prediction(prediction: Prediction) -> Prediction:
    """A prediction with its input, expected and output (and detail) masked."""
    return prediction.model_copy(
        update={
            "input": mask_text(prediction.input),
            "expected": mask_text(prediction.expected),
            "output": mask_text(prediction.output),
            "detail": mask_strings(prediction.detail),
        }
    )


def scan_records(
    records: Iterable[tuple[int, dict[str, Any]]],
    fields: Sequence[str],
    *,
    allow: AllowList = NO_ALLOW_LIST,
    to_text: Callable[[object], str] = str,
) -> list[Finding]:
    """Findings in the named fields of (line, record) pairs, in file order."""
    found: list[Finding] = []
    for line, record in records:
        for name in fields:
            value = record.get(name)
            if value is None:
                continue
            text = value if isinstance(value, str) else to_text(value)
            found += scan_text(text, line=line, field=name, allow=allow)
    return found


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    """Findings per kind, for results.json."""
    return dict(sorted(Counter(f.kind for f in findings).items()))


def finding_lines(
    file: Path, findings: Sequence[Finding], limit: int = MAX_LINES_SHOWN
) -> list[str]:
    """`file:line: field: kind (masked value)` for the first `limit` findings, then a count."""
    lines = [f"{file}:{f.line}: {f}" for f in findings[:limit]]
    if len(findings) > limit:
        lines.append(f"... and {len(findings) - limit} more")
    return lines


def describe_counts(per_kind: dict[str, int]) -> str:
    return ", ".join(f"{kind}: {n}" for kind, n in per_kind.items())


# --- the detectors: each yields (start, end, reported) ----------------------------------

_Spans = Iterable[tuple[int, int, bool]]
_HAS_DIGIT = re.compile(r"\d")


def _compact(value: str) -> str:
    return re.sub(r"[\s.()-]", "", value)


def _private_keys(text: str) -> _Spans:
    """The whole block, to its END line, or over the base64 that follows when it is cut off:
    masking the BEGIN line alone would leave the key in the report."""
    if "PRIVATE KEY" not in text:
        return
    for m in _PRIVATE_KEY.finditer(text):
        stop = text.find("-----END", m.end(), m.end() + MAX_KEY_CHARS)
        closing = _KEY_END.match(text, stop) if stop != -1 else None
        body = _KEY_BODY.match(text, m.end())  # matches the empty string at worst
        end = closing.end() if closing else body.end() if body else m.end()
        yield m.start(), end, True


def _tokens(text: str) -> _Spans:
    for m in _TOKEN.finditer(text):
        yield m.start(), m.end(), True


def _secrets(text: str) -> _Spans:
    for m in _SECRET.finditer(text):
        word, separator, value = m.group(1).lower(), m.group(2), m.group(3)
        value = value.rstrip(".,:")  # the sentence's end, not the value's
        if _PLACEHOLDER.fullmatch(value):
            continue
        if any(w in word for w in _PASSWORD_WORDS):
            # "password reset" is prose; "password: Summer2024!" is a password.
            ok = bool(separator.strip()) and _password_like(value)
        else:
            ok = _high_entropy(value)
        if ok:
            yield m.start(3), m.start(3) + len(value), True


def _url_passwords(text: str) -> _Spans:
    if "://" in text:
        for m in _URL_PASSWORD.finditer(text):
            if not _PLACEHOLDER.fullmatch(m.group(1)):
                yield m.start(1), m.end(1), True


def _password_like(value: str) -> bool:
    letters = any(c.isalpha() for c in value)
    others = any(c.isdigit() or not c.isalnum() for c in value)
    return len(value) >= 8 and letters and others


def _high_entropy(value: str) -> bool:
    classes = sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
        )
    )
    return len(value) >= 16 and classes >= 2 and entropy(value) >= 3.0


def _cards(text: str) -> _Spans:
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        # Card numbers start 2-6 (Mastercard 2/5, Amex 3, Visa 4, Discover 6): an ISBN (978...)
        # or a tracking number that happens to pass Luhn is not one.
        if 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_ok(digits):
            yield m.start(), m.end(), digits not in TEST_CARDS


def _ibans(text: str) -> _Spans:
    for m in _IBAN.finditer(text):
        if iban_ok(m.group()):
            yield m.start(), m.end(), True


def _validated(
    pattern: re.Pattern[str],
    module: str,
    words: re.Pattern[str] | None = None,
    *,
    claim_shape: bool = False,
) -> Callable[[str], _Spans]:
    """Matches of `pattern` that stdnum's `module` validates (after `words`, when given).

    `claim_shape`: every match claims its span, valid or not ("000-12-3456" is written as an
    SSN, so it is no phone number either).
    """

    def detect(text: str) -> _Spans:
        for m in pattern.finditer(text):
            if words is not None and not _near(words, text, m.start()):
                continue
            valid = _stdnum(module)(m.group().replace(" ", ""))
            if valid or claim_shape:
                yield m.start(), m.end(), valid

    return detect


def _near(words: re.Pattern[str], text: str, start: int) -> bool:
    return words.search(text, max(0, start - _CONTEXT_CHARS), start) is not None


@cache
def _stdnum(module: str) -> Callable[[str], bool]:
    import importlib

    found: Callable[[str], bool] = importlib.import_module(f"stdnum.{module}").is_valid
    return found


def _emails(text: str) -> _Spans:
    at = text.find("@")
    while at != -1:
        start = at
        while start > max(0, at - 64) and text[start - 1] in _EMAIL_LOCAL:
            start -= 1
        domain = _EMAIL_DOMAIN.match(text, at + 1, min(len(text), at + 256))
        # A local part with other letters ("café.owner@") is found from its ASCII part on.
        if domain is not None and start < at:
            name = domain.group().lower()
            documented = name.rpartition(".")[2] in RESERVED_TLDS or any(
                name == d or name.endswith("." + d) for d in DOCUMENTATION_DOMAINS
            )
            yield start, domain.end(), not documented
            at = text.find("@", domain.end())
        else:
            at = text.find("@", at + 1)


def _ips(text: str) -> _Spans:
    candidates = [*_IPV4.finditer(text)] if "." in text else []
    if "::" in text or text.count(":") >= 3:
        candidates += _IPV6.finditer(text)
    for m in candidates:
        try:
            address = ipaddress.ip_address(m.group())
        except ValueError:
            continue
        if _VERSION_BEFORE.search(text, max(0, m.start() - 10), m.start()):
            continue  # "v1.2.3.4", "version 2.0.0.1": a version number
        # Private, loopback, link-local, reserved and documentation ranges (192.0.2.0/24,
        # 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) are not global.
        # IPv6: only 2000::/3 is handed out as global unicast ("1::2" is not an address in use).
        unicast = address.version == 4 or address in _GLOBAL_UNICAST_V6
        yield m.start(), m.end(), address.is_global and not address.is_multicast and unicast


def _phones(text: str) -> _Spans:
    import phonenumbers

    for m in _PHONE.finditer(text):
        candidate = m.group()
        digits = re.sub(r"\D", "", candidate)
        shape = candidate.strip()
        if not 9 <= len(digits) <= 15 or _DATE.fullmatch(shape) or _DOTTED_QUAD.fullmatch(shape):
            continue  # a date, or an IP address (reported or not by _ips)
        if candidate.startswith(("+", "00")):
            # The country code is given: any valid number, however it is grouped.
            number = "+" + candidate[2:] if candidate.startswith("00") else candidate
            try:
                parsed = phonenumbers.parse(number, None)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(parsed):
                yield m.start(), m.end(), _real(parsed)
            continue
        # A national number must be grouped exactly as that country writes its numbers
        # ("400-1234-56" is a valid Spanish number, written as no one writes one); a bare
        # run of digits is an id as often as a phone, so it also needs a phone word before it.
        if candidate.isdigit() and not _near(_PHONE_WORDS, text, m.start()):
            continue
        found = _national_phone(candidate)
        if found is not None:
            start, end, real = found
            yield m.start() + start, m.start() + end, real


@lru_cache(maxsize=4096)
def _national_phone(candidate: str) -> tuple[int, int, bool] | None:
    """(start, end, real) of a national number grouped as one of PHONE_REGIONS writes it.

    Cached: the matcher is the scan's slowest step, and repeated text repeats candidates.
    """
    from phonenumbers import Leniency, PhoneNumberMatcher

    groups = re.findall(r"\d+", candidate)
    if sum(len(g) == 1 for g in groups) > 1:
        return None  # "1 2 3 4 5 6 7 8 9": no country writes a number in single digits
    for region in PHONE_REGIONS:
        found = next(iter(PhoneNumberMatcher(candidate, region, Leniency.EXACT_GROUPING)), None)
        if found is not None:
            return found.start, found.end, _real(found.number)
    return None


def _real(number: Any) -> bool:
    """Not in a range set aside for fiction and documentation (FICTIONAL_PHONES)."""
    return FICTIONAL_PHONES.fullmatch(str(number.national_number)) is None


_DETECTORS: tuple[tuple[str, Callable[[str], _Spans]], ...] = (
    ("private_key", _private_keys),
    ("api_token", _tokens),
    ("secret", _secrets),
    ("secret", _url_passwords),
    # mod-97 checks (IBAN, NIR) before Luhn, which 1 in 10 digit strings pass.
    ("iban", _ibans),
    ("fr_nir", _validated(_NIR, "fr.nir")),
    ("it_codice_fiscale", _validated(_CODICE, "it.codicefiscale")),
    ("us_ssn", _validated(_SSN, "us.ssn", claim_shape=True)),
    ("es_dni", _validated(_DNI, "es.dni")),
    ("es_dni", _validated(_DNI, "es.nie")),
    ("card_number", _cards),
    ("nl_bsn", _validated(_BSN, "nl.bsn", _BSN_WORDS)),
    ("de_idnr", _validated(_IDNR, "de.idnr", _IDNR_WORDS)),
    ("email", _emails),
    ("ip_address", _ips),
    ("phone", _phones),
)
_NEEDS_DIGIT = frozenset(
    {"card_number", "iban", "us_ssn", "es_dni", "fr_nir", "it_codice_fiscale", "nl_bsn"}
    | {"de_idnr", "ip_address", "phone"}
)

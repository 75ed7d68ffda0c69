"""Generated personal data and secrets for the scan's tests: real-looking, never real.

Every value is drawn from a seeded generator and given valid check digits, then confirmed by
the validating library where there is one, so the tests do not rest on a handful of values
copied from somewhere. `positives` pairs each value with the sentence it is planted in.
"""

from __future__ import annotations

import ipaddress
import itertools
import random
import string

from stdnum.de import idnr
from stdnum.es import dni, nie
from stdnum.fr import nir
from stdnum.it import codicefiscale
from stdnum.nl import bsn
from stdnum.us import ssn

from shouldtune.pii import luhn_ok


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def card(rng: random.Random, prefix: str = "4", length: int = 16) -> str:
    body = prefix + _digits(rng, length - len(prefix) - 1)
    number = next(body + d for d in string.digits if luhn_ok(body + d))
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def iban(rng: random.Random, country: str = "DE", bban_digits: int = 18) -> str:
    bban = _digits(rng, bban_digits)
    moved = bban + country + "00"
    check = 98 - int("".join(str(int(c, 36)) for c in moved)) % 97
    compact = f"{country}{check:02d}{bban}"
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def us_ssn(rng: random.Random) -> str:
    while True:
        value = f"{rng.randint(1, 665):03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
        if ssn.is_valid(value):
            return value


def es_dni(rng: random.Random) -> str:
    number = _digits(rng, 8)
    value = number + dni.calc_check_digit(number)
    assert dni.is_valid(value)
    return value


def es_nie(rng: random.Random) -> str:
    while True:
        value = rng.choice("XYZ") + _digits(rng, 7)
        value += "TRWAGMYFPDXBNJZSQVHLCKE"[int(str("XYZ".index(value[0])) + value[1:]) % 23]
        if nie.is_valid(value):
            return value


def fr_nir(rng: random.Random) -> str:
    while True:
        body = (
            f"{rng.choice('12')}{rng.randint(40, 99):02d}{rng.randint(1, 12):02d}"
            f"{rng.randint(1, 95):02d}{rng.randint(1, 990):03d}{rng.randint(1, 999):03d}"
        )
        value = body + nir.calc_check_digits(body)
        if nir.is_valid(value):
            cuts = (0, 1, 3, 5, 7, 10, 13, 15)
            return " ".join(value[a:b] for a, b in itertools.pairwise(cuts))


def it_codice_fiscale(rng: random.Random) -> str:
    while True:
        body = (
            "".join(rng.choice(string.ascii_uppercase) for _ in range(6))
            + f"{rng.randint(40, 99):02d}"
            + rng.choice("ABCDEHLMPRST")
            + f"{rng.randint(1, 28) + rng.choice((0, 40)):02d}"
            + rng.choice("ABCDEFGHILM")
            + _digits(rng, 3)
        )
        value = body + codicefiscale.calc_check_digit(body)
        if codicefiscale.is_valid(value):
            return value


def nl_bsn(rng: random.Random) -> str:
    while True:
        value = _digits(rng, 9)
        if value[0] != "0" and bsn.is_valid(value):
            return value


def de_idnr(rng: random.Random) -> str:
    while True:
        body = _digits(rng, 10)
        product = 10
        for ch in body:
            total = (int(ch) + product) % 10 or 10
            product = (2 * total) % 11
        check = (11 - product) % 10
        value = body + str(check)
        if idnr.is_valid(value):
            return f"{value[:2]} {value[2:5]} {value[5:8]} {value[8:]}"


def email(rng: random.Random) -> str:
    first = rng.choice(["anna", "jonas", "maria", "li", "omar", "sofia", "tom"])
    last = rng.choice(["keller", "garcia", "nguyen", "okafor", "rossi", "smith"])
    domain = rng.choice(["gmail.com", "mailbox.org", "corpmail.de", "uni-bonn.de", "yahoo.fr"])
    return f"{first}.{last}{rng.randint(1, 99)}@{domain}"


def public_ipv4(rng: random.Random) -> str:
    while True:
        address = ipaddress.IPv4Address(rng.getrandbits(32))
        if address.is_global and not address.is_multicast:
            return str(address)


def public_ipv6(rng: random.Random) -> str:
    # 2000::/3 is the global unicast block; 2001:db8::/32 (documentation) is drawn again.
    while True:
        address = ipaddress.IPv6Address(1 << 125 | rng.getrandbits(61) << 64 | rng.getrandbits(64))
        if address.is_global:
            return address.compressed


def phone(rng: random.Random) -> str:
    import phonenumbers

    formats = [
        lambda: (
            f"({rng.choice(['415', '212', '617', '312', '206'])}) "
            f"{rng.randint(201, 989)}-{rng.randint(1000, 9999)}"
        ),
        lambda: f"+44 7{rng.randint(400, 999)} {rng.randint(100000, 999999)}",
        lambda: f"+49 30 {rng.randint(1000000, 9999999)}",
        lambda: "06 " + " ".join(f"{rng.randint(10, 99)}" for _ in range(4)),
        lambda: f"+34 6{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}",
    ]
    while True:
        value = rng.choice(formats)()
        parsed = phonenumbers.parse(value, "FR")
        if phonenumbers.is_valid_number(parsed) and "555" not in value[:10]:
            return value


def _alnum(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(n))


def github_token(rng: random.Random) -> str:
    return "ghp_" + _alnum(rng, 36)


def aws_key(rng: random.Random) -> str:
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(16))


def openai_key(rng: random.Random) -> str:
    return "sk-proj-" + _alnum(rng, 40)


def keyed_secret(rng: random.Random) -> str:
    return _alnum(rng, 32)


def password(rng: random.Random) -> str:
    return rng.choice(["Summer", "Falcon", "Bluebird", "Harbor"]) + _digits(rng, 4) + "!"


def positives(seed: int = 7) -> list[tuple[str, str, str]]:
    """(kind, value, a sentence holding it) for every kind the scan reports."""
    rng = random.Random(seed)
    out: list[tuple[str, str, str]] = []
    for _ in range(5):
        planted = [
            ("card_number", card(rng), "Please charge my card {} for the renewal."),
            ("card_number", card(rng, "51"), "Mastercard {} exp 09/27"),
            ("card_number", card(rng, "37", 15), "amex: {}"),
            ("iban", iban(rng), "Refund to IBAN {} please."),
            ("iban", iban(rng, "FR", 23), "Virement sur {} merci"),
            ("us_ssn", us_ssn(rng), "My SSN is {} for the tax form."),
            ("es_dni", es_dni(rng), "DNI {} (titular)"),
            ("es_dni", es_nie(rng), "NIE: {}"),
            ("fr_nir", fr_nir(rng), "numéro de sécurité sociale {}"),
            ("it_codice_fiscale", it_codice_fiscale(rng), "codice fiscale {}"),
            ("nl_bsn", nl_bsn(rng), "mijn BSN is {}"),
            ("de_idnr", de_idnr(rng), "Steuer-ID: {}"),
            ("email", email(rng), "Contact me at {} about the order."),
            ("ip_address", public_ipv4(rng), "Login from {} was blocked."),
            ("ip_address", public_ipv6(rng), "client addr {} failed"),
            ("phone", phone(rng), "You can reach me on {} after 5pm."),
            ("api_token", github_token(rng), "I pasted {} into the config by mistake"),
            ("api_token", aws_key(rng), "aws id {}"),
            ("api_token", openai_key(rng), "OPENAI_API_KEY={}"),
            ("secret", keyed_secret(rng), "api_key = {}"),
            ("secret", keyed_secret(rng), 'the "secret": "{}"'),
            ("secret", password(rng), "login with password: {}"),
            ("secret", keyed_secret(rng) + "/" + keyed_secret(rng)[:7], "AWS_SECRET_ACCESS_KEY={}"),
            ("secret", password(rng), "DATABASE_URL=postgres://app:{}@db.internal:5432/app"),
            ("iban", iban(rng).replace(" ", "").lower(), "iban {} (typed in lower case)"),
            ("us_ssn", us_ssn(rng).replace("-", " "), "social security number {}"),
            (
                "phone",
                "0" + str(rng.randint(7400, 7999)) + str(rng.randint(100000, 999999)),
                "reach me at {}",
            ),
        ]
        out += [(kind, value, text.format(value)) for kind, value, text in planted]
    return out


# Text that looks like personal data and is not: each names the rule that keeps it out.
NEGATIVES: list[tuple[str, str]] = [
    ("fails Luhn", "order 4539 1488 0343 6468 shipped"),
    ("test card", "use the test card 4242 4242 4242 4242 in staging"),
    ("test card", "Visa test number 4111111111111111"),
    ("not a card's first digit", "ISBN 978-3-16-148410-0"),
    ("documentation domain", "write to jane@example.com or ops@mail.example.org"),
    ("reserved top-level domain", "from anna.k@mailbox.example to qa@build.test"),
    ("IBAN check digits wrong", "pay GB83 WEST 1234 5698 7654 32"),
    ("version number", "version 1.2.3.4 of the tool"),
    ("version number", "upgrade to v2.0.1.3 first"),
    ("private address", "the router at 192.168.1.1 and 10.0.0.12"),
    ("loopback", "served on 127.0.0.1:8080 and ::1"),
    ("documentation address", "e.g. 203.0.113.7, 198.51.100.20 or 2001:db8::42"),
    ("time of day", "at 10:30:45 on 2024-01-15"),
    ("date", "delivered 2024-03-05, invoice 12.03.2024"),
    ("fictional phone", "call 415-555-0123 for the demo"),
    ("fictional phone", "ring +44 20 7946 0958"),
    ("bare digits", "order number 4839201934 is late"),
    ("order id", "ticket ORD-2024-000123 reopened"),
    ("SSN not issued", "SSN 000-12-3456 or 666-12-3456 or 078-05-1120"),
    ("BSN without its name", "reference 111222333 in the letter"),
    ("password in prose", "my password reset link expired yesterday"),
    ("token in prose", "the token expired, please refresh authentication"),
    ("low entropy", "api_key = aaaaaaaaaaaaaaaaaaaa"),
    ("price", "it costs $1,299.99 or 1.299,99 EUR"),
    ("MAC address", "device 00:1A:2B:3C:4D:5E"),
    ("grouped as no country writes a phone", "SKU 400-1234-56, zip 94105-1234"),
    ("grouped as no country writes a phone", "ISBN 0-306-40615-2, ids 12 345 678 901"),
    ("reference numbers", "invoice 2024 0012 3456, ticket 2023-11-000123"),
    ("reserved top-level domains", "mail qa@build.test via the .invalid relay"),
    ("a word that starts like secret", "the secretary said we keep secrets safe"),
    ("a token count", "prompt_tokens: 12345678, token_count = 1234567890123"),
    ("a key, in prose", "my access key expired yesterday, please rotate it"),
    ("a word ending in key", "monkey: Ab3dEf6hIj9kLm2nOp5q; primary key: user_id"),
    ("placeholders", "password: ${DB_PASSWORD}, api_key: <your-key>, postgres://user:PASSWORD@h"),
    ("code", "token = os.environ.get('X'); tokenizer = AutoTokenizer.from_pretrained(name)"),
    ("a variable's name", "api_key_env: MY_SERVER_SECRET"),
    ("not global unicast IPv6", "offsets 1::2 and ::2"),
    ("plain words", "Hi, my parcel has not arrived. Can you check the status please?"),
]

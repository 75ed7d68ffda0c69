"""The general-skills pool: short questions with a checkable answer, generated, no data files.

Ten families (arithmetic, repeating and capitalising a word, first and last letters,
counting words, the larger of two numbers, yes/no questions). The pool is split by a hash
of each question into a probe part, on which forgetting is measured, and a replay part,
which replay may train on: the two are disjoint by construction, so an adapter is never
trained on the items it is later scored on.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from typing import Literal

# Bumped whenever the pool or a check changes: measurements made on another pool are not
# comparable, so caches of probe results key on it.
POOL_VERSION = 2
_POOL_SEED = 20261201  # fixed: the pool is the same on every machine and every run

Check = Literal["number", "first_number", "word", "word_exact", "letter", "yes_no"]

_WORDS = [
    "apple",
    "river",
    "yellow",
    "window",
    "garden",
    "music",
    "paper",
    "orange",
    "silver",
    "planet",
    "forest",
    "candle",
    "bottle",
    "pencil",
    "rabbit",
    "summer",
    "winter",
    "market",
    "castle",
    "bridge",
    "doctor",
    "kitten",
    "ladder",
    "mirror",
    "pocket",
    "rocket",
    "saddle",
    "temple",
    "valley",
    "wallet",
    "anchor",
    "basket",
    "cotton",
    "dragon",
    "engine",
    "finger",
    "guitar",
    "hammer",
    "island",
    "jacket",
    "lemon",
    "monkey",
    "needle",
    "oyster",
    "pepper",
    "puzzle",
    "quiet",
    "rainbow",
    "shadow",
    "ticket",
    "tunnel",
    "violin",
    "wizard",
    "zebra",
    "butter",
    "carpet",
    "desert",
    "falcon",
    "helmet",
    "jungle",
    "kettle",
    "lizard",
    "marble",
    "nickel",
    "parrot",
    "robot",
    "spider",
    "tomato",
    "velvet",
    "whistle",
]


@dataclass(frozen=True)
class ProbeItem:
    family: str
    question: str
    expected: str
    check: Check

    def passed(self, output: str) -> bool:
        return _passes(self.check, self.expected, output)


def _number_tokens(text: str) -> list[str]:
    return re.findall(r"(?<![\d.])\d+(?![\d])", text.replace(",", ""))


def _bare(text: str) -> str:
    return re.sub(r"[\s\"'`.,:;!*()\[\]]", "", text)


def _passes(check: Check, expected: str, output: str) -> bool:
    if check == "number":  # the number appears as a whole number ("3+4=7" passes for 7)
        return expected in _number_tokens(output)
    if check == "first_number":  # for "which is larger": naming both must not pass
        numbers = _number_tokens(output)
        return bool(numbers) and numbers[0] == expected
    if check == "word":
        return re.search(rf"\b{re.escape(expected)}\b", output, re.IGNORECASE) is not None
    if check == "word_exact":  # capitals asked for: case matters
        return re.search(rf"\b{re.escape(expected)}\b", output) is not None
    if check == "letter":  # the letter alone, or named as the answer ("... is 'a'")
        if _bare(output).lower() == expected:
            return True
        named = rf"\bis:?\s*[\"'`]?{re.escape(expected)}[\"'`]?\s*(?:[.!,;]|$)"
        return re.search(named, output, re.IGNORECASE) is not None
    # yes_no: the first yes or no said is the answer ("No, 7 is not ..." passes for no)
    said = [w for w in re.findall(r"[a-z]+", output.lower()) if w in ("yes", "no")]
    return bool(said) and said[0] == expected


def _families(rng: random.Random) -> list[ProbeItem]:
    items: list[ProbeItem] = []
    for _ in range(90):
        a, b = rng.randint(2, 40), rng.randint(2, 40)
        q = f"What is {a} + {b}? Answer with the number only."
        items.append(ProbeItem("add", q, str(a + b), "number"))
    for _ in range(70):
        a = rng.randint(10, 60)
        b = rng.randint(1, a - 1)
        q = f"What is {a} - {b}? Answer with the number only."
        items.append(ProbeItem("subtract", q, str(a - b), "number"))
    for _ in range(70):
        a, b = rng.randint(2, 12), rng.randint(2, 12)
        q = f"What is {a} times {b}? Answer with the number only."
        items.append(ProbeItem("multiply", q, str(a * b), "number"))
    for _ in range(70):
        a, b = rng.sample(range(10, 1000), 2)
        q = f"Which number is larger, {a} or {b}? Answer with the number only."
        items.append(ProbeItem("larger", q, str(max(a, b)), "first_number"))
    for word in _WORDS:
        q = f"Repeat this word exactly: {word}"
        items.append(ProbeItem("repeat", q, word, "word"))
    for word in _WORDS:
        q = f"Write the word {word} in capital letters."
        items.append(ProbeItem("upper", q, word.upper(), "word_exact"))
    for word in _WORDS:
        q = f"What is the first letter of the word {word}? Answer with the letter only."
        items.append(ProbeItem("first_letter", q, word[0], "letter"))
    for word in _WORDS:
        q = f"What is the last letter of the word {word}? Answer with the letter only."
        items.append(ProbeItem("last_letter", q, word[-1], "letter"))
    for _ in range(70):
        phrase = " ".join(rng.sample(_WORDS, rng.randint(2, 6)))
        q = f'How many words are in this phrase: "{phrase}"? Answer with the number only.'
        items.append(ProbeItem("count_words", q, str(len(phrase.split())), "number"))
    for _ in range(35):
        n = rng.randint(2, 99)
        q = f"Is {n} an even number? Answer yes or no."
        items.append(ProbeItem("yes_no", q, "yes" if n % 2 == 0 else "no", "yes_no"))
    for _ in range(35):
        a, b = rng.sample(range(1, 100), 2)
        q = f"Is {a} greater than {b}? Answer yes or no."
        items.append(ProbeItem("yes_no", q, "yes" if a > b else "no", "yes_no"))
    return items


def pool() -> list[ProbeItem]:
    """Every item once (a repeated question is kept the first time), in generation order."""
    seen: set[str] = set()
    unique = []
    for item in _families(random.Random(_POOL_SEED)):
        if item.question not in seen:
            seen.add(item.question)
            unique.append(item)
    return unique


def in_probe_part(question: str) -> bool:
    """Half the questions, chosen by their hash: the same split on every machine."""
    return hashlib.sha256(question.encode("utf-8")).digest()[0] % 2 == 0


def probe_part() -> list[ProbeItem]:
    return [item for item in pool() if in_probe_part(item.question)]


def replay_part() -> list[ProbeItem]:
    return [item for item in pool() if not in_probe_part(item.question)]


def probe_items(n: int, seed: int = 0) -> list[ProbeItem]:
    """A seeded sample of n items of the probe part (all of it when n is larger)."""
    part = probe_part()
    if n >= len(part):
        return part
    return random.Random(seed).sample(part, n)

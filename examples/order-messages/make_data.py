"""Write data.jsonl: short customer messages about an order, and a question about each.

Everything the answer needs is in the message itself (a name, a city, a weekday), so this is a task a small model can do from a prompt: question 1 of the framework.
Messages fill one hand-written layout with values, seeded, so the file is
reproducible:

    python examples/order-messages/make_data.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

NAMES = [
    "Maria Lopez",
    "Tom Becker",
    "Aisha Khan",
    "Liam Walsh",
    "Sofia Rossi",
    "Kenji Sato",
    "Nora Berg",
    "Omar Haddad",
    "Eva Novak",
    "Lucas Petit",
    "Priya Nair",
    "Jonas Weber",
]
CITIES = [
    "Leeds",
    "Porto",
    "Lyon",
    "Graz",
    "Utrecht",
    "Bergen",
    "Cork",
    "Malmo",
    "Bologna",
    "Ghent",
    "Krakow",
    "Aarhus",
]
ITEMS = [
    "a blue kettle",
    "two office chairs",
    "a standing desk",
    "a coffee grinder",
    "a pair of hiking boots",
    "a camera bag",
    "a wall clock",
    "a rice cooker",
    "a reading lamp",
    "a set of saucepans",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

# One layout, as in notifications a shop system sends: the values change, the wording not.
TEMPLATE = (
    "Hello, this is {name}. I ordered {item} last week and it should be delivered to my flat "
    "in {city} on {day}. Could you confirm?"
)

QUESTIONS = [
    ("Who wrote the message?", "name"),
    ("Which city is the delivery going to?", "city"),
    ("On which day should it be delivered?", "day"),
]


def make(seed: int = 5, n: int = 160) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    for _ in range(n):
        values = {
            "name": rng.choice(NAMES),
            "city": rng.choice(CITIES),
            "item": rng.choice(ITEMS),
            "day": rng.choice(DAYS),
        }
        question, field = rng.choice(QUESTIONS)
        message = TEMPLATE.format(**values)
        rows.append({"message": message, "question": question, "answer": values[field]})
    return rows


if __name__ == "__main__":
    out = Path(__file__).with_name("data.jsonl")
    out.write_text("".join(json.dumps(r) + "\n" for r in make()))

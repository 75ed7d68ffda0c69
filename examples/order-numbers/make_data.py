"""Write data.jsonl: customer messages that mention an order, and the order number in each.

The messages are worded as customers write them (many phrasings, the number anywhere in
the sentence, sometimes next to a price, a date or a quantity), and the answer is always in
the message. Seeded, so the file is reproducible:

    python examples/order-numbers/make_data.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

# {n} is the order number; {price}, {day}, {qty} are other numbers a message may carry.
TEMPLATES = [
    "My order {n} has not arrived yet.",
    "Hi, I want to return the shoes from order {n}.",
    "Order {n} was charged twice, please help.",
    "Can you change the delivery address for order {n}?",
    "The package for order {n} arrived damaged.",
    "Where is order {n}? It has been two weeks.",
    "Please cancel order {n}, I picked the wrong size.",
    "I got the wrong colour in order {n}.",
    "Hello, order number {n} is still marked as processing.",
    "I paid ${price} for order {n} but the receipt says more.",
    "Order {n} was supposed to arrive on {day} and nothing came.",
    "I ordered {qty} mugs in order {n} and only got one.",
    "Quick question about order {n}: can I add a gift note?",
    "The tracking link for order {n} does not work.",
    "Refund for order {n} please, the item was faulty.",
    "Re: order {n}. The courier left it at the wrong door.",
    "Can I still change order {n}? I need {qty} of them, not one.",
    "My parcel (order {n}) was left out in the rain.",
    "I never received the invoice for order {n}.",
    "Is order {n} eligible for the {price} dollar discount?",
    "Following up on order {n}, placed on {day}.",
    "Thanks for the fast reply. Order {n} is the one with the lamp.",
    "Please resend the confirmation email for order {n}.",
    "Order {n}: the box was empty when I opened it.",
]
DAYS = ["March 3", "April 12", "May 27", "June 8", "July 19", "August 2", "October 30"]


def main() -> None:
    rng = random.Random(11)
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    while len(rows) < 150:
        number = str(rng.randint(10000, 99999))
        if number in seen:
            continue
        seen.add(number)
        message = rng.choice(TEMPLATES).format(
            n=number,
            price=f"{rng.randint(5, 300)}.{rng.randint(0, 99):02d}",
            day=rng.choice(DAYS),
            qty=rng.randint(2, 12),
        )
        rows.append({"message": message, "order": number})
    out = Path(__file__).with_name("data.jsonl")
    out.write_text("".join(json.dumps(row) + "\n" for row in rows))


if __name__ == "__main__":
    main()

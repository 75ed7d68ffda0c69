"""Write data.jsonl: IT helpdesk requests routed to teams with made-up names.

The taxonomy is idiosyncratic on purpose: the five resolver teams are named after birds, so
nothing in a team's name says what it handles. That is the situation question 3 of the
framework is about (an in-house taxonomy that instructions cannot fully spell out); the
mapping is learnable from examples. Requests are assembled from hand-written openings,
problems and closings, seeded, so the file is reproducible:

    python examples/helpdesk-routing/make_data.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

# What a request is about decides the team; how it is broken varies. Requests combine one
# thing with one symptom, so most test requests are combinations no training example has.
TEAMS: dict[str, tuple[list[str], list[str]]] = {
    # network: VPN, wifi, connectivity
    "kestrel": (
        [
            "the VPN",
            "the office wifi",
            "the guest wifi",
            "my connection to the file server",
            "remote desktop over the VPN",
            "the wifi in the warehouse",
            "the network port at my desk",
            "the link to the intranet",
            "the VPN client",
            "the internet in meeting room B",
        ],
        [
            "drops every few minutes",
            "won't connect at all",
            "is painfully slow",
            "keeps timing out",
            "says the gateway is unreachable",
            "stopped working after the update",
        ],
    ),
    # identity: passwords, accounts, access rights
    "heron": (
        [
            "my password",
            "my account",
            "access to the finance shared drive",
            "the two-factor login",
            "single sign-on",
            "the password reset email",
            "my login to the HR portal",
            "admin rights on the project folder",
            "the new starter's account",
            "my security group membership",
        ],
        [
            "is locked after too many attempts",
            "has expired",
            "is rejected every time",
            "needs to be set up by Monday",
            "asks me to sign in again every hour",
            "shows the wrong department",
        ],
    ),
    # hardware: laptops, monitors, printers, phones
    "osprey": (
        [
            "my laptop",
            "the second monitor",
            "the printer by the kitchen",
            "my keyboard",
            "the docking station",
            "my work phone",
            "the webcam",
            "my headset",
            "the boardroom projector",
            "my mouse",
        ],
        [
            "won't turn on",
            "flickers and goes black",
            "is physically damaged",
            "overheats and is very loud",
            "jams or stalls constantly",
            "stopped responding",
        ],
    ),
    # software: installs, licences, applications
    "plover": (
        [
            "the statistics package",
            "the spreadsheet app",
            "my design software licence",
            "the email client",
            "the PDF editor",
            "the accounting software",
            "the timesheet browser extension",
            "the video call app",
            "the diagram tool",
            "the chat app",
        ],
        [
            "crashes when I open it",
            "needs to be installed on my laptop",
            "has an expired licence",
            "shows an error on startup",
            "freezes during screen share",
            "needs the latest version",
        ],
    ),
    # facilities: building, desks, badges, heating
    "wren": (
        [
            "my door badge",
            "the heating on the second floor",
            "the desk I booked",
            "the car park lift",
            "the ceiling light above my desk",
            "the meeting room blinds",
            "the kitchen tap",
            "the air conditioning in the studio",
            "my locker",
            "the bike shed gate",
        ],
        [
            "is broken",
            "stopped working this morning",
            "needs fixing before Thursday",
            "is out of order again",
            "has been faulty all week",
            "needs someone to look at it",
        ],
    ),
}

OPENINGS = [
    "Hi, ",
    "Hello team, ",
    "Good morning, ",
    "Quick one: ",
    "Urgent: ",
    "Hey, ",
    "",
    "Sorry to bother you, but ",
    "Since yesterday ",
    "Not sure who handles this, but ",
]

CLOSINGS = [
    "",
    " Thanks.",
    " Can someone help?",
    " It's blocking my work.",
    " Could you take a look today?",
    " Many thanks in advance.",
    " This has happened twice this week.",
    " Please advise.",
]


def make(seed: int = 7, per_team: int = 52) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    for team, (things, symptoms) in TEAMS.items():
        pairs = [(t, s) for t in things for s in symptoms]
        for thing, symptom in rng.sample(pairs, per_team):
            text = f"{rng.choice(OPENINGS)}{thing} {symptom}.{rng.choice(CLOSINGS)}"
            rows.append({"request": text[0].upper() + text[1:], "team": team})
    rng.shuffle(rows)
    return rows


if __name__ == "__main__":
    out = Path(__file__).with_name("data.jsonl")
    out.write_text("".join(json.dumps(r) + "\n" for r in make()))

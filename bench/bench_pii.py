"""The personal-data scan's speed, and its false alarms, on a generated 10,000-row file.

The rows are support tickets built from templates full of things that look like personal
data and are not (order numbers, dates, times, prices, versions, private IPs, documentation
addresses, test cards). The file is written as JSONL, read with shouldtune's loader (timed,
for scale: the scan should cost about as much as reading), then scanned as the pre-check does.
With --plant N, N rows also get a generated e-mail address: the scan must find each.

Prints rows/s for the loader and the scan, the load average it ran under, and every false
alarm on the clean rows (kind and masked value).

Usage: python bench/bench_pii.py [--rows 10000] [--plant 100] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from pathlib import Path

from shouldtune.data import load_examples, to_text
from shouldtune.pii import counts, scan_records
from shouldtune.spec import TaskSpec

_TEMPLATES = [
    "Order {order} placed on {date} has not arrived. Tracking says it left at {time}.",
    "I was charged {price} twice for invoice INV-{year}-{n6}. Please refund one of them.",
    "After upgrading to version {version} the app crashes on start (build {n5}).",
    "The router at 192.168.{a}.{b} drops the connection every {n2} minutes.",
    "Hi, my parcel {order} is stuck. I ordered it {n2} days ago. Can you check?",
    "Can I pay with the test card 4242 4242 4242 4242 in your staging shop?",
    "Docs say to use 203.0.113.{b} or api.example.com; which one is right?",
    "My password reset link expired. The token from yesterday no longer works.",
    "Ticket ORD-{year}-{n6} was closed but the issue on {date} is still there.",
    "Please update the shipping address for {order}; the apartment is {n2}B.",
    "We need {n3} licences for {year}; the quote said {price} per seat.",
    "Error code {n5} at {time} on {date}, request id {hex}.",
    "The meeting moved to {date} at {time}, room {n3}.",
    "Serial number SN{n8} is under warranty until {date}?",
]


def _row(rng: random.Random) -> str:
    values = {
        "order": f"#{rng.randint(100000, 999999)}",
        "date": f"{rng.randint(2019, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "time": f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
        "price": f"${rng.randint(1, 2000)}.{rng.randint(0, 99):02d}",
        "year": str(rng.randint(2019, 2026)),
        "version": ".".join(str(rng.randint(0, 20)) for _ in range(rng.choice((3, 4)))),
        "a": str(rng.randint(0, 255)),
        "b": str(rng.randint(1, 254)),
        "hex": f"{rng.getrandbits(64):016x}",
        **{f"n{k}": str(rng.randint(10 ** (k - 1), 10**k - 1)) for k in (2, 3, 5, 6, 8)},
    }
    return rng.choice(_TEMPLATES).format(**values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--plant", type=int, default=100, help="rows given an e-mail address")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    planted = set(rng.sample(range(args.rows), min(args.plant, args.rows)))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tickets.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for i in range(args.rows):
                text = _row(rng)
                if i in planted:
                    text += f" Reply to m.rossi{i}@mailbox.org please."
                label = rng.choice(["billing", "shipping", "bug", "account"])
                handle.write(json.dumps({"text": text, "label": label}) + "\n")
        spec = TaskSpec(data=path, input="text", expected="label")
        started = time.perf_counter()
        examples = load_examples(spec)
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        found = scan_records(
            ((e.line, e.fields) for e in examples), ["text", "label"], to_text=to_text
        )
        scan_s = time.perf_counter() - started
    planted_lines = {i + 1 for i in planted}
    hit_lines = {f.line for f in found if f.kind == "email"}
    false = [f for f in found if f.line not in planted_lines or f.kind != "email"]
    print(f"{args.rows:,} rows; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"read: {load_s:.2f} s ({args.rows / load_s:,.0f} rows/s)")
    print(f"scan: {scan_s:.2f} s ({args.rows / scan_s:,.0f} rows/s)")
    print(f"planted e-mails found: {len(hit_lines & planted_lines)} of {len(planted_lines)}")
    print(f"false alarms: {len(false)} {counts(false)}")
    for finding in false[:20]:
        print(f"  line {finding.line}: {finding}")


if __name__ == "__main__":
    main()

"""The full ladder on a seeded subset of Banking77, read from its CSV as a user would.

Banking77 (PolyAI, CC BY 4.0) is 13,083 online-banking queries labelled with 77 intents. A
2-core CPU run takes a subset: `--intents` intents drawn with `--seed`, and `--per-intent`
queries of each, from train.csv (the dataset's own test.csv is left alone). The subset is
written as a CSV into the run folder, and the ladder is the CLI's, so the figures are what
a user would get with

    shouldtune run subset.csv --input text --expected category --all-rungs

Usage:
    python bench/banking77.py [--intents 12] [--per-intent 24] [--seed 0] [--rungs ...]
Prints the subset, each rung's score with its interval, the verdict and the wall time.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import random
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "banking77"


def subset(source: Path, intents: int, per_intent: int, seed: int) -> list[dict[str, str]]:
    by_intent: dict[str, list[dict[str, str]]] = defaultdict(list)
    with source.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            by_intent[row["category"]].append(row)
    rng = random.Random(seed)
    chosen = sorted(rng.sample(sorted(by_intent), intents))
    rows: list[dict[str, str]] = []
    for intent in chosen:
        pool = by_intent[intent]
        rows += rng.sample(pool, min(per_intent, len(pool)))
    rng.shuffle(rows)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA / "train.csv")
    parser.add_argument("--intents", type=int, default=12)
    parser.add_argument("--per-intent", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rungs", default="zero_shot,few_shot,prompt_search,lora")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "banking77")
    args = parser.parse_args()
    if not args.data.exists():
        sys.exit(f"{args.data} not found: pass --data path/to/banking77/train.csv")

    args.out.mkdir(parents=True, exist_ok=True)
    rows = subset(args.data, args.intents, args.per_intent, args.seed)
    path = args.out / f"subset-{args.intents}x{args.per_intent}-seed{args.seed}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["text", "category"])
        writer.writeheader()
        writer.writerows(rows)
    intents = sorted({r["category"] for r in rows})
    print(f"subset: {len(rows)} queries, {len(intents)} intents (seed {args.seed}): ")
    print("  " + ", ".join(intents))

    command = [
        sys.executable, "-m", "shouldtune", "run", str(path),
        "--input", "text", "--expected", "category",
        "--instructions", "Classify the online-banking customer query by its intent.",
        "--rungs", args.rungs, "--all-rungs", "--seed", str(args.seed),
        "--runs-dir", str(args.out / "runs"), "--json",
    ]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        sys.exit(done.returncode)
    result = json.loads(done.stdout)
    print(f"machine: {platform.machine()}, {platform.processor() or '?'}; wall {wall / 60:.1f} min")
    print(f"split: {result['split']['n_train']} train / {result['split']['n_test']} test")
    for rung in result["rungs"]:
        s = rung["score"]
        print(
            f"  {rung['rung']:<10} {s['point']:.1%} [{s['low']:.1%}, {s['high']:.1%}]"
            f"  {rung['wall_s']:.0f}s"
        )
    verdict = result["verdict"]
    print(f"verdict: {verdict['kind']}: {verdict['headline']}")
    print(f"run directory: {result['run_dir']}")


if __name__ == "__main__":
    main()

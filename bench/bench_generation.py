"""Generation throughput: one answer at a time against shouldtune's batched decoding.

One process, one GGUF (the embedded SmolLM2-135M), the same prompts for every method:

  one      `LlamaCppModel.generate`, one prompt after another (the shared prefix reused)
  batched  `LlamaCppModel.generate_batch`, B prompts decoded as parallel sequences
  raw      the reference: the same B prompts prefilled, then B tokens per llama_decode with
           greedy picks and nothing else (no detokenizing, no stop strings), for as many
           steps as the batched run's longest answer

on short-answer prompts (a word or a sentence) and long-answer prompts (a paragraph), and
one prompt re-run under 6 seeds (one at a time, then together). Printed as tokens/s and
ratios; the last line reads `batched/one-at-a-time: R.RRx, greedy outputs identical: yes`
for the long-answer prompts. llama.cpp's threads spin: run it alone and say the load.

Usage: python bench/bench_generation.py [--batch 8] [--long-tokens 160]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from shouldtune.cache import CallCache
from shouldtune.models.base import Generation, Message, Prompt, prompt_for
from shouldtune.models.llamacpp import LlamaCppModel
from shouldtune.models.registry import resolve
from shouldtune.token_ids import common_prefix_all

SYSTEM = "You are a helpful assistant."
SHORT = [
    "What is the capital of France? One word.",
    "Name a colour.",
    "What is 2+2?",
    "Who wrote Hamlet?",
    "Translate 'hello' to Spanish.",
    "Name a fruit.",
    "What is the opposite of hot?",
    "Give a word that rhymes with light.",
]
LONG = [
    "Explain how photosynthesis works, in a paragraph.",
    "Describe a day at the beach in detail.",
    "Write a short story about a lost dog.",
    "Explain why the sky is blue.",
    "Describe how to make bread at home.",
    "Write a letter to a friend about your holiday.",
    "Explain what a computer program is to a child.",
    "Describe the water cycle.",
]


def one_at_a_time(model: LlamaCppModel, prompts: list[Prompt], n: int) -> list[Generation]:
    return [model.generate(p, max_tokens=n) for p in prompts]


def raw_batched(model: LlamaCppModel, prompts: list[Prompt], steps: int) -> int:
    """Prefill B prompts, then `steps` greedy steps of B tokens per decode; tokens decoded."""
    tokens = [model._tokenize(p.text) for p in prompts]
    shared = min(common_prefix_all(tokens), *(len(t) - 1 for t in tokens))
    model._extend_seq0(tokens[0][:shared])
    seqs = range(1, len(tokens) + 1)
    for seq in seqs:
        model._ctx.kv_cache_seq_rm(seq, -1, -1)
        model._lib.llama_memory_seq_cp(model._ctx.memory, 0, seq, -1, -1)
    logits = model._prefill(tokens, shared)
    for step in range(steps):
        picks = [int(np.argmax(row)) for row in logits]
        pairs = enumerate(zip(tokens, picks, strict=True))
        model._fill_flagged([(tok, len(t) + step, [j + 1], True) for j, (t, tok) in pairs])
        model._decode()
        logits = [model._logits(i) for i in range(len(tokens))]
    for seq in seqs:
        model._ctx.kv_cache_seq_rm(seq, -1, -1)
    return steps * len(tokens)


def measure(model: LlamaCppModel, label: str, prompts: list[Prompt], n: int) -> tuple[float, bool]:
    start = time.perf_counter()
    one = one_at_a_time(model, prompts, n)
    t_one = time.perf_counter() - start
    start = time.perf_counter()
    many = model.generate_batch(prompts, max_tokens=n)
    t_many = time.perf_counter() - start
    steps = max(g.completion_tokens for g in many)
    start = time.perf_counter()
    raw_tokens = raw_batched(model, prompts, steps)
    t_raw = time.perf_counter() - start
    tokens = sum(g.completion_tokens for g in one)
    same = one == many
    print(
        f"{label:<6} B={len(prompts)} {tokens} answer tokens: one-at-a-time {tokens / t_one:6.1f} "
        f"tok/s, batched {tokens / t_many:6.1f} tok/s, raw batched decode "
        f"{raw_tokens / t_raw:6.1f} tok/s; batched/one {t_one / t_many:.2f}x, "
        f"batched/raw {(tokens / t_many) / (raw_tokens / t_raw):.2f}; greedy identical: "
        f"{'yes' if same else 'no'}"
    )
    return t_one / t_many, same


def reruns(model: LlamaCppModel, prompt: Prompt, n: int, seeds: int = 6) -> None:
    start = time.perf_counter()
    one = [model.generate(prompt, max_tokens=n, temperature=0.7, seed=s) for s in range(seeds)]
    t_one = time.perf_counter() - start
    start = time.perf_counter()
    many = model.generate_batch(
        [prompt] * seeds, max_tokens=n, temperature=0.7, seeds=list(range(seeds))
    )
    t_many = time.perf_counter() - start
    print(
        f"re-runs of one prompt under {seeds} seeds: together/one-at-a-time "
        f"{t_one / t_many:.2f}x, seeded outputs identical: {'yes' if one == many else 'no'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--short-tokens", type=int, default=24)
    parser.add_argument("--long-tokens", type=int, default=160)
    args = parser.parse_args()
    cache = CallCache(Path(os.environ.get("SHOULDTUNE_CACHE_DIR", ".bench-cache")))
    resolved = resolve("smollm2-135m", cache.root)
    model = LlamaCppModel(resolved.path, name=resolved.name, file_sha256="bench")
    load = os.getloadavg()[0]
    print(f"SmolLM2-135M Q4 GGUF, {os.cpu_count()} cores, load average {load:.2f} at the start")

    def prompts(questions: list[str]) -> list[Prompt]:
        return [
            prompt_for(model, [Message("system", SYSTEM), Message("user", q)])
            for q in questions[: args.batch]
        ]

    measure(model, "short", prompts(SHORT), args.short_tokens)
    reruns(model, prompts(LONG)[0], args.short_tokens)
    ratio, same = measure(model, "long", prompts(LONG), args.long_tokens)
    print(
        f"batched/one-at-a-time: {ratio:.2f}x, greedy outputs identical: {'yes' if same else 'no'}"
    )
    model.close()


if __name__ == "__main__":
    main()

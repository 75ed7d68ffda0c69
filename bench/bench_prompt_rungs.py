"""Prompt-rung throughput: shouldtune's label scoring against naive baselines, in one process.

Same model file (the embedded SmolLM2-135M GGUF), same task, same prompts, same test
examples. Printed as examples/second and ratios, so runs on different machines compare.

  A  shouldtune: llama.cpp label log-likelihood, shared prefix reused, labels in one batch
  B  naive: transformers `generate` loop on the same GGUF (dequantized), then parse the label
  C  llama.cpp greedy generation, then parse the label (generate-then-parse)

Usage: python bench/bench_prompt_rungs.py [--n 24] [--task examples/support-triage/task.yaml]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from shouldtune.cache import CallCache
from shouldtune.ladder import prepare
from shouldtune.models.base import Message, prompt_for
from shouldtune.models.llamacpp import LlamaCppModel
from shouldtune.models.registry import resolve
from shouldtune.prompts import default_k, messages_for, pick_demonstrations, system_prompt
from shouldtune.scoring import parse_label
from shouldtune.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]


def timed(fn: Callable[[], list[str]]) -> tuple[list[str], float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=24, help="test examples per rung")
    parser.add_argument("--task", type=Path, default=ROOT / "examples/support-triage/task.yaml")
    parser.add_argument("--skip-naive", action="store_true", help="skip the transformers loop")
    args = parser.parse_args()

    cache = CallCache()
    spec = load_spec(args.task)
    resolved = resolve(spec.model, cache.root)
    model = LlamaCppModel(resolved.path, name=resolved.name, file_sha256="bench")
    prepared = prepare(spec, model)
    labels = prepared.labels
    assert labels, "the bench needs a label task"
    test = prepared.split.test[: args.n]
    system = system_prompt(spec, labels)
    k = spec.few_shot.k or default_k(labels)
    demos = pick_demonstrations(prepared.split.train, k, seed=spec.split.seed, balanced=True)
    rungs: dict[str, list[list[Message]]] = {
        "zero_shot": [messages_for(system, [], e) for e in test],
        "few_shot": [messages_for(system, demos, e) for e in test],
    }
    print(f"task {spec.task_name}: {len(labels)} labels, {len(test)} test examples, k={len(demos)}")

    def loglik(prompts: list[list[Message]]) -> list[str]:
        out = []
        for msgs in prompts:
            conts = [model.answer_suffix(msgs, label) for label in labels]
            scores = model.loglik(prompt_for(model, msgs), conts) or []
            out.append(labels[max(range(len(scores)), key=lambda i: scores[i].logprob)])
        return out

    def llama_generate(prompts: list[list[Message]]) -> list[str]:
        return [
            parse_label(model.generate(prompt_for(model, m), max_tokens=8).text, labels) or ""
            for m in prompts
        ]

    naive: Callable[[list[list[Message]]], list[str]] | None = None
    if not args.skip_naive:
        import torch

        from shouldtune.models.dequantize import dequantized_dir
        from shouldtune.models.hf import load_hf

        start = time.perf_counter()
        # The same GGUF, dequantized once to a transformers folder (cached).
        folder = dequantized_dir(resolved.path, cache.file_hash(resolved.path), cache.root)
        hf_model, tok = load_hf(folder)
        print(f"transformers load: {time.perf_counter() - start:.1f}s (not counted)")

        def naive_loop(prompts: list[list[Message]]) -> list[str]:
            out = []
            for msgs in prompts:
                ids = tok(model.render(msgs), return_tensors="pt", add_special_tokens=False)
                with torch.no_grad():
                    gen = hf_model.generate(
                        **ids, max_new_tokens=8, do_sample=False, pad_token_id=tok.eos_token_id
                    )
                text = tok.decode(gen[0, ids["input_ids"].shape[1] :], skip_special_tokens=True)
                out.append(parse_label(text, labels) or "")
            return out

        naive = naive_loop

    print(f"{'rung':<10} {'method':<34} {'ex/s':>7} {'acc':>6} {'ratio':>8}")
    for rung, prompts in rungs.items():
        gold = [e.expected for e in test]
        rows: list[tuple[str, float, float]] = []
        preds, secs = timed(lambda p=prompts: loglik(p))  # type: ignore[misc]
        base = len(test) / secs
        rows.append(("A shouldtune label loglik", base, _acc(preds, gold)))
        if naive is not None:
            preds, secs = timed(lambda p=prompts: naive(p))  # type: ignore[misc]
            rows.append(("B naive transformers generate", len(test) / secs, _acc(preds, gold)))
        preds, secs = timed(lambda p=prompts: llama_generate(p))  # type: ignore[misc]
        rows.append(("C llama.cpp generate-then-parse", len(test) / secs, _acc(preds, gold)))
        for name, rate, acc in rows:
            ratio = base / rate
            print(f"{rung:<10} {name:<34} {rate:7.2f} {acc:6.1%} {ratio:7.2f}x")
    print("ratio = A's examples/second divided by the row's (A is this many times faster)")
    model.close()


def _acc(preds: list[str], gold: list[str]) -> float:
    return sum(p == g for p, g in zip(preds, gold, strict=True)) / len(gold)


if __name__ == "__main__":
    main()

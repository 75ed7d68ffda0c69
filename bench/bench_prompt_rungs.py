"""Prompt-rung throughput: shouldtune's label scoring against naive baselines, in one process.

Same model file (the embedded SmolLM2-135M GGUF), same task, same prompts, same test
examples. Printed as examples/second and ratios, so runs on different machines compare.

  A  shouldtune, as a prediction scores labels: llama.cpp, the shared prefix reused, the
     labels' prefix tree searched for the winner only (branches that cannot win pruned)
  A2 shouldtune, every label exact (what calibration needs): the whole prefix tree, one batch
  B  naive: transformers `generate` loop on the same GGUF (dequantized), then parse the label
  C  llama.cpp greedy generation, then parse the label (generate-then-parse)
  L  an estimate of the limit: one call that reads the example and scores a single answer
     (the expected label), which any method that reads the example and answers must pay

Usage: python bench/bench_prompt_rungs.py [--n 24] [--task examples/support-triage/task.yaml]
       python bench/bench_prompt_rungs.py --banking77 20 [--k 10] (a seeded Banking77 subset)
"""

from __future__ import annotations

import argparse
import math
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
    parser.add_argument(
        "--banking77", type=int, metavar="INTENTS", help="a Banking77 subset of this many intents"
    )
    parser.add_argument("--k", type=int, help="demonstrations (default: the task's k)")
    args = parser.parse_args()

    cache = CallCache()
    task = _banking77_task(args.banking77) if args.banking77 else args.task
    spec = load_spec(task)
    resolved = resolve(spec.model, cache.root)
    model = LlamaCppModel(resolved.path, name=resolved.name, file_sha256="bench")
    prepared = prepare(spec, model)
    labels = prepared.labels
    assert labels, "the bench needs a label task"
    test = prepared.split.test[: args.n]
    system = system_prompt(spec, labels)
    k = args.k or spec.few_shot.k or default_k(labels)
    demos = pick_demonstrations(prepared.split.train, k, seed=spec.split.seed, balanced=True)
    rungs: dict[str, list[list[Message]]] = {
        "zero_shot": [messages_for(system, [], e) for e in test],
        "few_shot": [messages_for(system, demos, e) for e in test],
    }
    # Generation gets room to spell the longest label and stop (at least 8 tokens): less cuts
    # long labels off (they cannot parse), more only lets a rambling answer run longer.
    room = max(8, max(model.count_tokens(label) for label in labels) + 2)
    print(
        f"task {spec.task_name}: {len(labels)} labels, {len(test)} test examples, "
        f"k={len(demos)}, generation budget {room} tokens"
    )

    def loglik(prompts: list[list[Message]], top_only: bool) -> list[str]:
        out = []
        for msgs in prompts:
            conts = [model.answer_suffix(msgs, label) for label in labels]
            scores = model.loglik(prompt_for(model, msgs), conts, top_only=top_only) or []
            out.append(labels[max(range(len(scores)), key=lambda i: scores[i].logprob)])
        return out

    def limit(prompts: list[list[Message]]) -> list[str]:
        for msgs, example in zip(prompts, test, strict=True):
            model.loglik(prompt_for(model, msgs), [model.answer_suffix(msgs, example.expected)])
        return [e.expected for e in test]

    def llama_generate(prompts: list[list[Message]]) -> list[str]:
        return [
            parse_label(model.generate(prompt_for(model, m), max_tokens=room).text, labels) or ""
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
                        **ids, max_new_tokens=room, do_sample=False, pad_token_id=tok.eos_token_id
                    )
                text = tok.decode(gen[0, ids["input_ids"].shape[1] :], skip_special_tokens=True)
                out.append(parse_label(text, labels) or "")
            return out

        naive = naive_loop

    print(f"{'rung':<10} {'method':<38} {'ex/s':>7} {'acc':>6} {'ratio':>8}")
    for rung, prompts in rungs.items():
        gold = [e.expected for e in test]
        rows: list[tuple[str, float, float]] = []
        model.loglik(prompt_for(model, prompts[0]), [labels[0]])  # the shared prefix, once
        preds, secs = timed(lambda p=prompts: loglik(p, True))  # type: ignore[misc]
        base = len(test) / secs
        rows.append(("A shouldtune label search (winner)", base, _acc(preds, gold)))
        preds, secs = timed(lambda p=prompts: loglik(p, False))  # type: ignore[misc]
        rows.append(("A2 shouldtune label tree (all exact)", len(test) / secs, _acc(preds, gold)))
        if naive is not None:
            preds, secs = timed(lambda p=prompts: naive(p))  # type: ignore[misc]
            rows.append(("B naive transformers generate", len(test) / secs, _acc(preds, gold)))
        preds, secs = timed(lambda p=prompts: llama_generate(p))  # type: ignore[misc]
        rows.append(("C llama.cpp generate-then-parse", len(test) / secs, _acc(preds, gold)))
        _, secs = timed(lambda p=prompts: limit(p))  # type: ignore[misc]
        rows.append(("L limit: read + one answer", len(test) / secs, math.nan))
        for name, rate, acc in rows:
            ratio = base / rate
            shown = "-" if math.isnan(acc) else f"{acc:.1%}"
            print(f"{rung:<10} {name:<38} {rate:7.2f} {shown:>6} {ratio:7.2f}x")
    print("ratio = A's examples/second divided by the row's (A is this many times faster)")
    model.close()


def _banking77_task(intents: int) -> Path:
    """A seeded subset (12 queries per intent) as a task file, in a temporary folder."""
    import csv
    import sys
    import tempfile

    sys.path.insert(0, str(ROOT / "bench"))
    from banking77 import DATA, subset

    folder = Path(tempfile.mkdtemp(prefix="bench-banking77-"))
    rows = subset(DATA / "train.csv", intents, 12, seed=0)
    with (folder / "data.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["text", "category"])
        writer.writeheader()
        writer.writerows(rows)
    (folder / "task.yaml").write_text(
        f"name: banking77-{intents}\ndata: data.csv\ninput: text\nexpected: category\n"
        "instructions: Classify the online-banking customer query by its intent.\n",
        encoding="utf-8",
    )
    return folder / "task.yaml"


def _acc(preds: list[str], gold: list[str]) -> float:
    return sum(p == g for p, g in zip(preds, gold, strict=True)) / len(gold)


if __name__ == "__main__":
    main()

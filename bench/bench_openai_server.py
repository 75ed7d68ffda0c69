"""Throughput of the OpenAI-compatible backend at concurrency 1, 2 and 4.

Starts llama-cpp-python's OpenAI-compatible server on loopback with the embedded model (or
uses --url, any OpenAI-compatible server), then scores the same support-triage test examples
(zero-shot, label scoring from top logprobs) at each concurrency with a fresh cache, and
prints examples/second with the ratio to concurrency 1, from one run.

llama-cpp-python's server answers one request at a time (one model, one lock), so against it
concurrency only overlaps the HTTP round trips with the model's work; servers that batch
requests (vLLM, llama.cpp's own llama-server with --parallel) gain much more.

Usage: python bench/bench_openai_server.py [--max-test 24] [--url http://HOST:PORT/v1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' server helpers start and stop the local server

from tests.models.servers import LlamaServer, start_llama_server  # noqa: E402

from shouldtune.cache import CallCache  # noqa: E402
from shouldtune.ladder import run_ladder  # noqa: E402
from shouldtune.models.base import Message, prompt_for  # noqa: E402
from shouldtune.models.registry import builtin_path, load_model  # noqa: E402
from shouldtune.spec import load_spec  # noqa: E402

LEVELS = (1, 2, 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-test", type=int, default=24)
    parser.add_argument("--url", help="an OpenAI-compatible base URL (default: start one)")
    parser.add_argument("--model-name", default="smollm2")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server: LlamaServer | None = None
        base_url = args.url
        if base_url is None:
            models = CallCache(ROOT / ".pytest-artifacts" / "model-cache")
            gguf = builtin_path("smollm2-135m", models.root)
            models.close()
            server = start_llama_server(gguf, Path(tmp) / "server.log")
            base_url = server.base_url
        try:
            rates = {
                level: measure(base_url, args, level, Path(tmp) / f"c{level}") for level in LEVELS
            }
        finally:
            if server is not None:
                server.stop()
    print(f"OpenAI-compatible backend, {args.max_test} test examples, label scoring (logprobs)")
    print("| concurrency | examples/s | vs concurrency 1 |")
    print("| --- | --- | --- |")
    for level, rate in rates.items():
        print(f"| {level} | {rate:.2f} | {rate / rates[1]:.2f}x |")


def measure(base_url: str, args: argparse.Namespace, concurrency: int, cache_dir: Path) -> float:
    spec = load_spec(
        ROOT / "examples" / "support-triage" / "task.yaml",
        {
            "model": f"{base_url}:{args.model_name}",
            "rungs": ["zero_shot"],
            "split": {"max_test": args.max_test},
            "context_length": 2048,
            "reproduce": {"enabled": False},
            "api": {"concurrency": concurrency},
        },
    )
    cache = CallCache(cache_dir)
    model = load_model(spec.model, cache, context_length=2048, api=spec.api)
    try:
        model.generate(prompt_for(model, [Message("user", "Hello")]), max_tokens=1)  # warm up
        start = time.perf_counter()
        result = run_ladder(spec, cache=cache, runs_dir=None, model=model)
        elapsed = time.perf_counter() - start
    finally:
        model.close()
        cache.close()
    return result.rungs[0].n / elapsed


if __name__ == "__main__":
    main()

"""SIGKILL mid-checkpoint: the resumed LoRA training ends where an uninterrupted one does.

A tiny random Llama (two layers, a word-level tokenizer built here) keeps it to seconds on
a CPU: the test is about checkpoint mechanics, not about what the adapter learns.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from shouldtune.training.lora import COMPLETE, LoraJob, TrainExample, train

SRC = str(Path(__file__).resolve().parents[2] / "src")
WORDS = [f"w{i}" for i in range(40)]

# Trains ARGV[1] (a job) in ARGV[2]; SIGKILLs itself while torch writes the optimizer state
# of checkpoint-ARGV[3]: a checkpoint folder half-written, never marked complete.
KILLER = """
import os, signal, sys, pathlib, torch
import shouldtune.training.lora as L
step = sys.argv[3]
save = torch.save
def dying_save(obj, f, *a, **k):
    if f"checkpoint-{step}" in str(f) and str(f).endswith("optimizer.pt"):
        os.kill(os.getpid(), signal.SIGKILL)
    return save(obj, f, *a, **k)
torch.save = dying_save
job = L.LoraJob.from_json(pathlib.Path(sys.argv[1]).read_text())
L.train(job, pathlib.Path(sys.argv[2]))
"""


def tiny_student(folder: Path) -> None:
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate(["[UNK]", "[PAD]", "[EOS]", *WORDS])}
    core = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    core.pre_tokenizer = Whitespace()
    tokenizer = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=core, unk_token="[UNK]", pad_token="[PAD]", eos_token="[EOS]"
    )
    config = LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=64,
        pad_token_id=1,
        eos_token_id=2,
    )
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)


@pytest.fixture
def job(tmp_path: Path) -> LoraJob:
    import torch

    torch.manual_seed(0)
    tiny_student(tmp_path / "student")
    examples = [
        TrainExample(" ".join(WORDS[i % 30 : i % 30 + 4]), f" {WORDS[(i * 7) % 40]} [EOS]")
        for i in range(24)
    ]
    # 22 train examples in batches of 4: 6 steps an epoch, a checkpoint every 3 steps.
    return LoraJob(
        str(tmp_path / "student"),
        "tiny",
        examples,
        rank=4,
        target_modules=["q_proj", "v_proj"],
        batch_size=4,
        max_steps=9,
    )


def adapter_weights(report_dir: str) -> dict[str, object]:
    from safetensors.torch import load_file

    return dict(load_file(str(Path(report_dir) / "adapter_model.safetensors")))


def test_killed_mid_checkpoint_resumes_to_the_same_adapter(job: LoraJob, tmp_path: Path) -> None:
    import torch

    job_file = tmp_path / "job.json"
    job_file.write_text(job.to_json())
    work = tmp_path / "killed"
    killed = subprocess.run(
        [sys.executable, "-c", KILLER, str(job_file), str(work), "6"],
        env={**os.environ, "PYTHONPATH": SRC},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    folder = work / job.key()
    assert (folder / "checkpoint-3" / COMPLETE).exists()
    assert not (folder / "checkpoint-6" / COMPLETE).exists()  # died while writing it

    resumed = train(job, work)
    assert resumed.resumed_from == "checkpoint-3"
    whole = train(job, tmp_path / "uninterrupted")
    assert whole.resumed_from is None
    assert (resumed.steps, resumed.epochs_run) == (whole.steps, whole.epochs_run)
    ours, theirs = adapter_weights(resumed.adapter_dir), adapter_weights(whole.adapter_dir)
    assert ours.keys() == theirs.keys()
    trained = [name for name in ours if "lora_B" in name]  # zero until trained
    assert trained and all(float(ours[n].abs().max()) > 1e-5 for n in trained)  # type: ignore[attr-defined]
    for name in ours:
        assert torch.allclose(ours[name], theirs[name], atol=1e-6), name  # type: ignore[arg-type]

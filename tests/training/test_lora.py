"""LoRA training on the real embedded model: completion-only labels, resume, GGUF parity.

One small adapter (a few optimizer steps on the sentiment example) is trained per module
and shared; the checks are about mechanics and agreement, not about how good it gets.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from shouldtune.cache import CallCache
from shouldtune.ladder import prepare
from shouldtune.models.base import prompt_for
from shouldtune.models.llamacpp import LlamaCppModel
from shouldtune.models.registry import resolve
from shouldtune.prompts import messages_for, system_prompt
from shouldtune.spec import load_spec
from shouldtune.training.gguf_export import export_gguf_lora, ollama_modelfile
from shouldtune.training.lora import (
    COMPLETE,
    LoraJob,
    TrainExample,
    latest_complete_checkpoint,
    tokenize,
    train,
)
from shouldtune.training.student import student_dir
from tests.conftest import EXAMPLES
from tests.fakes import present

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def setup(
    tmp_path_factory: pytest.TempPathFactory, smollm: Any, model_cache: CallCache
) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("lora")
    cache = model_cache
    spec = load_spec(EXAMPLES / "sentiment" / "task.yaml")
    prepared = prepare(spec, smollm)
    system = system_prompt(spec, prepared.labels)
    examples = [
        TrainExample(
            smollm.render(messages_for(system, [], e)),
            smollm.answer_suffix(messages_for(system, [], e), e.expected),
        )
        for e in prepared.split.train
    ]
    folder, digest = student_dir(spec.model, cache)
    job = LoraJob(
        student_dir=str(folder),
        student_sha256=digest,
        examples=examples,
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj"],
        batch_size=4,
        max_steps=12,
        learning_rate=2e-3,
    )
    report = train(job, root / "work")
    yield {
        "spec": spec,
        "prepared": prepared,
        "system": system,
        "job": job,
        "report": report,
        "root": root,
        "cache": cache,
        "folder": folder,
    }


def test_completion_only_labels(setup: dict[str, Any]) -> None:
    from transformers import AutoTokenizer

    job: LoraJob = setup["job"]
    tokenizer = AutoTokenizer.from_pretrained(job.student_dir)
    record = tokenize(replace(job, examples=job.examples[:1]), tokenizer)[0]
    n_prompt = len(tokenizer(job.examples[0].prompt, add_special_tokens=False)["input_ids"])
    assert record["labels"][:n_prompt] == [-100] * n_prompt
    answer = [t for t in record["labels"] if t != -100]
    completion = job.examples[0].completion
    assert isinstance(completion, str)
    decoded = tokenizer.decode(answer)
    assert isinstance(decoded, str) and decoded.startswith(completion.split("<")[0])


def test_training_writes_a_complete_peft_adapter(setup: dict[str, Any]) -> None:
    report = setup["report"]
    adapter = Path(report.adapter_dir)
    assert (adapter / COMPLETE).exists()
    assert (adapter / "adapter_model.safetensors").exists()
    assert report.steps == 12
    assert report.train_loss is not None and report.train_loss > 0
    assert report.eta_s is not None and report.eta_s > 0
    assert not list(adapter.parent.glob("checkpoint-*"))
    again = train(setup["job"], setup["root"] / "work")
    assert again.reused


def test_gguf_adapter_agrees_with_peft(setup: dict[str, Any], smollm: Any) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder: Path = setup["folder"]
    adapter = Path(setup["report"].adapter_dir)
    config = json.loads((folder / "config.json").read_text())
    gguf_path = export_gguf_lora(adapter, config, setup["root"] / "adapter.gguf")
    cache: CallCache = setup["cache"]
    base = resolve(setup["spec"].model, cache.root).path
    tuned = LlamaCppModel(
        base, name="tuned", file_sha256="t", context_length=2048, lora_path=gguf_path
    )
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    peft_model = PeftModel.from_pretrained(
        AutoModelForCausalLM.from_pretrained(str(folder)), str(adapter)
    )
    peft_model.train(False)
    labels = setup["prepared"].labels
    agree = 0
    test = setup["prepared"].split.test[:12]
    for example in test:
        msgs = messages_for(setup["system"], [], example)
        prompt = prompt_for(smollm, msgs)
        conts = [smollm.answer_suffix(msgs, label) for label in labels]
        gguf_scores = [s.logprob for s in present(tuned.loglik(prompt, conts))]
        prompt_ids = tokenizer(prompt.text, add_special_tokens=False)["input_ids"]
        peft_scores = []
        for cont in conts:
            ids = tokenizer(prompt.text + cont, add_special_tokens=False)["input_ids"]
            with torch.no_grad():
                logp = torch.log_softmax(peft_model(torch.tensor([ids])).logits[0].double(), -1)
            peft_scores.append(
                sum(
                    float(logp[len(prompt_ids) + i - 1, t])
                    for i, t in enumerate(ids[len(prompt_ids) :])
                )
            )
        agree += gguf_scores.index(max(gguf_scores)) == peft_scores.index(max(peft_scores))
        assert max(abs(a - b) for a, b in zip(gguf_scores, peft_scores, strict=True)) < 1.0
    tuned.close()
    assert agree >= len(test) - 1
    text = ollama_modelfile(base, gguf_path)
    assert f"ADAPTER {gguf_path}" in text and f"FROM {base}" in text


def test_latest_complete_checkpoint_drops_half_written_ones(tmp_path: Path) -> None:
    for step, complete in ((2, True), (4, True), (6, False)):
        folder = tmp_path / f"checkpoint-{step}"
        folder.mkdir()
        if complete:
            (folder / COMPLETE).write_text("")
    assert latest_complete_checkpoint(tmp_path) == tmp_path / "checkpoint-4"
    assert not (tmp_path / "checkpoint-6").exists()


def test_killed_training_resumes_from_last_complete_checkpoint(
    setup: dict[str, Any], tmp_path: Path
) -> None:
    job = replace(setup["job"], examples=setup["job"].examples[:24], max_steps=6, seed=7)
    job_file = tmp_path / "job.json"
    job_file.write_text(job.to_json())
    work = tmp_path / "work"
    script = (
        "import sys, shouldtune.training.lora as L\n"
        "from transformers import TrainerCallback\n"
        "class Stop(TrainerCallback):\n"
        "    def on_step_end(self, args, state, control, **kw):\n"
        "        if state.global_step == 5: raise SystemExit(9)\n"
        "import transformers\n"
        "orig = transformers.Trainer.__init__\n"
        "def init(self, *a, **k):\n"
        "    k['callbacks'] = [*k.get('callbacks', []), Stop()]\n"
        "    orig(self, *a, **k)\n"
        "transformers.Trainer.__init__ = init\n"
        "job = L.LoraJob.from_json(open(sys.argv[1]).read())\n"
        "L.train(job, __import__('pathlib').Path(sys.argv[2]))\n"
    )
    killed = subprocess.run(
        [sys.executable, "-c", script, str(job_file), str(work)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert killed.returncode == 9, killed.stderr[-2000:]
    folder = work / job.key()
    assert latest_complete_checkpoint(folder) is not None
    report = train(job, work)
    assert report.resumed_from is not None and report.resumed_from.startswith("checkpoint-")
    assert report.steps == 6

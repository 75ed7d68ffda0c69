"""Models in transformers: a local Hugging Face folder, or a GGUF file dequantized to torch.

This is the engine the LoRA rung trains on. For inference the llama.cpp backend is faster on
CPUs; this one exists so that any local model (and its peft adapters) can be measured.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from shouldtune.models.base import (
    Generation,
    InProcessModel,
    LogLik,
    Message,
    ModelInfo,
    Prompt,
)
from shouldtune.models.chat import ChatFormat


def quiet_transformers() -> None:
    """No download/loading progress bars or deprecation chatter on the user's terminal."""
    import warnings

    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    warnings.filterwarnings("ignore", category=FutureWarning, module="transformers")


def load_hf(path: Path) -> tuple[Any, Any]:
    """(model, tokenizer) in fp32 on the CPU, from a folder or a GGUF file."""
    import torch

    quiet_transformers()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if path.is_file():
        kwargs: dict[str, Any] = {"gguf_file": path.name}
        source = str(path.parent)
    else:
        kwargs = {}
        source = str(path)
    # transformers' GGUF reader draws a plain tqdm bar that its progress-bar switch misses.
    with contextlib.redirect_stderr(io.StringIO()):
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32, **kwargs)
    model.train(False)  # inference mode: no dropout
    return model, tokenizer


class HFModel(InProcessModel):
    """Implements `shouldtune.models.base.Model` on transformers."""

    def __init__(
        self,
        path: Path,
        *,
        name: str,
        file_sha256: str,
        context_length: int | None = None,
        revision: str | None = None,
        adapter_dir: Path | None = None,
        adapter_sha256: str | None = None,
    ) -> None:
        self._model, self._tok = load_hf(path)
        if adapter_dir is not None:
            from peft import PeftModel

            self._model = PeftModel.from_pretrained(self._model, str(adapter_dir))
            self._model.train(False)
        template = getattr(self._tok, "chat_template", None)
        eos = self._tok.eos_token or ""
        self._format = ChatFormat(template, bos_token=self._tok.bos_token or "", eos_token=eos)
        max_ctx = int(getattr(self._model.config, "max_position_embeddings", 2048))
        self._ctx = min(context_length or 4096, max_ctx)
        self._info = ModelInfo(
            name=name,
            backend="transformers",
            path=str(path),
            file_sha256=file_sha256,
            revision=revision,
            adapter_sha256=adapter_sha256,
            context_length=self._ctx,
            chat_template=template is not None,
            n_params=int(sum(p.numel() for p in self._model.parameters())),
        )

    @property
    def info(self) -> ModelInfo:
        return self._info

    def render(self, messages: Sequence[Message]) -> str:
        return self._format.render(messages)

    def answer_suffix(self, messages: Sequence[Message], answer: str) -> str:
        return self._format.answer_suffix(messages, answer)

    def stop_strings(self) -> list[str]:
        return self._format.stop_strings()

    def _encode(self, text: str) -> list[int]:
        ids: list[int] = self._tok(text, add_special_tokens=False)["input_ids"]
        return ids

    def count_tokens(self, text: str) -> int:
        return len(self._encode(text))

    def generate(
        self, prompt: Prompt, *, max_tokens: int, temperature: float = 0.0, seed: int = 0
    ) -> Generation:
        rendered = prompt.text
        import torch

        ids = torch.tensor([self._encode(rendered)])
        torch.manual_seed(seed)
        sampling = temperature > 0
        with torch.no_grad():
            out = self._model.generate(
                ids,
                attention_mask=torch.ones_like(ids),
                max_new_tokens=max_tokens,
                do_sample=sampling,
                temperature=temperature if sampling else None,
                top_p=None,
                top_k=None,
                pad_token_id=self._tok.pad_token_id or self._tok.eos_token_id,
            )
        new = out[0, ids.shape[1] :].tolist()
        finish: Literal["stop", "length"] = "length"
        eos = self._tok.eos_token_id
        if eos in new:
            new = new[: new.index(eos)]
            finish = "stop"
        text = self._tok.decode(new, skip_special_tokens=True)
        for stop in self.stop_strings():
            if stop and stop in text:
                text = text[: text.index(stop)]
                finish = "stop"
        return Generation(text.strip(), int(ids.shape[1]), len(new), finish)

    def loglik(
        self, prompt: Prompt, continuations: Sequence[str], *, top_only: bool = False
    ) -> list[LogLik] | None:
        del top_only  # every continuation is scored exactly
        rendered = prompt.text
        import torch

        prompt_ids = self._encode(rendered)
        results: list[LogLik] = []
        with torch.no_grad():
            for text in continuations:
                full = self._encode(rendered + text)
                cont = full[len(prompt_ids) :]
                logits = self._model(torch.tensor([full])).logits[0]
                logprobs = torch.log_softmax(logits.double(), dim=-1)
                start = len(prompt_ids)
                total = sum(float(logprobs[start + i - 1, tok]) for i, tok in enumerate(cont))
                results.append(LogLik(logprob=total, n_tokens=len(cont)))
        return results

    def close(self) -> None:
        self._model = None

"""GGUF models through llama.cpp (llama-cpp-python's low-level bindings).

Why not the high-level `Llama` class: label scoring is the hot path, and it needs two
things that class does not expose. The prompt's KV cache is kept in sequence 0 and reused
across calls (few-shot prompts share a long prefix), and all candidate labels are scored in
one batch as sibling sequences that share the prompt's cache cells (kv_unified), so an
example costs one prompt extension plus one small batch, whatever the number of labels.
"""

from __future__ import annotations

import ctypes
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from shouldtune.models.base import (
    ContextOverflow,
    Generation,
    InProcessModel,
    LogLik,
    Message,
    ModelInfo,
    Prompt,
)
from shouldtune.models.chat import ChatFormat
from shouldtune.token_ids import common_prefix

_MAX_LABEL_SEQS = 32
_LABEL_TOKEN_BUDGET = 1024
_BATCH = 512


def _quiet_llama() -> Any:
    import llama_cpp
    import llama_cpp._logger as llama_logger

    llama_logger.logger.setLevel(logging.CRITICAL)
    return llama_cpp


class LlamaCppModel(InProcessModel):
    """A GGUF file loaded once; implements `shouldtune.models.base.Model`."""

    def __init__(
        self,
        path: Path,
        *,
        name: str,
        file_sha256: str,
        context_length: int | None = None,
        revision: str | None = None,
        n_threads: int | None = None,
        lora_path: Path | None = None,
        lora_sha256: str | None = None,
    ) -> None:
        llama_cpp = _quiet_llama()
        from llama_cpp import _internals

        self._lib = llama_cpp
        model_params = llama_cpp.llama_model_default_params()
        self._model: Any = _internals.LlamaModel(
            path_model=str(path), params=model_params, verbose=False
        )
        train_ctx = int(self._model.n_ctx_train())
        self._n_ctx_prompt = min(context_length or 4096, train_ctx)
        ctx_params = llama_cpp.llama_context_default_params()
        ctx_params.n_ctx = self._n_ctx_prompt + _LABEL_TOKEN_BUDGET
        ctx_params.n_batch = _BATCH
        ctx_params.n_ubatch = _BATCH
        ctx_params.n_seq_max = _MAX_LABEL_SEQS + 1
        ctx_params.kv_unified = True
        threads = n_threads or max(1, os.cpu_count() or 1)
        ctx_params.n_threads = threads
        ctx_params.n_threads_batch = threads
        self._ctx: Any = _internals.LlamaContext(
            model=self._model, params=ctx_params, verbose=False
        )
        if lora_path is not None:
            self._attach_lora(lora_path)
        self._batch = llama_cpp.llama_batch_init(_BATCH, 0, _MAX_LABEL_SEQS + 1)
        self._n_vocab = int(self._model.n_vocab())
        self._seq0: list[int] = []  # tokens whose KV cells sequence 0 holds
        meta = self._model.metadata()
        template = meta.get("tokenizer.chat_template")
        bos = self._token_text(self._model.token_bos())
        eos_id = self._model.token_eot()
        if eos_id < 0:
            eos_id = self._model.token_eos()
        self._format = ChatFormat(template, bos_token=bos, eos_token=self._token_text(eos_id))
        self._add_bos = bool(self._model.add_bos_token())
        self._info = ModelInfo(
            name=name,
            backend="llama.cpp",
            path=str(path),
            file_sha256=file_sha256,
            revision=revision,
            adapter_sha256=lora_sha256,
            context_length=self._n_ctx_prompt,
            chat_template=template is not None,
            n_params=int(self._model.n_params()),
        )

    # -- Model protocol -------------------------------------------------------------

    @property
    def info(self) -> ModelInfo:
        return self._info

    def render(self, messages: Sequence[Message]) -> str:
        return self._format.render(messages)

    def answer_suffix(self, messages: Sequence[Message], answer: str) -> str:
        return self._format.answer_suffix(messages, answer)

    def stop_strings(self) -> list[str]:
        return self._format.stop_strings()

    def count_tokens(self, text: str) -> int:
        return len(self._tokenize(text))

    def generate(
        self, prompt: Prompt, *, max_tokens: int, temperature: float = 0.0, seed: int = 0
    ) -> Generation:
        rendered = prompt.text
        tokens = self._tokenize(rendered)
        self._check_fits(len(tokens) + 1)
        logits = self._extend_seq0(tokens)
        rng = np.random.default_rng(seed)
        stops = [s for s in self.stop_strings() if s]
        out: list[int] = []
        text = ""
        finish: Literal["stop", "length"] = "length"
        budget = min(max_tokens, self._n_ctx_prompt - len(tokens))
        for _ in range(budget):
            token = _pick(logits, temperature, rng)
            if self._lib.llama_vocab_is_eog(self._model.vocab, token):
                finish = "stop"
                break
            out.append(token)
            text = self._detokenize(out)
            cut = _first_stop(text, stops)
            if cut is not None:
                text = text[:cut]
                finish = "stop"
                break
            logits = self._decode_seq0([token])
        return Generation(
            text=text.strip(),
            prompt_tokens=len(tokens),
            completion_tokens=len(out),
            finish_reason=finish,
        )

    def loglik(self, prompt: Prompt, continuations: Sequence[str]) -> list[LogLik] | None:
        rendered = prompt.text
        prompt_tokens = self._tokenize(rendered)
        conts: list[list[int]] = []
        for text in continuations:
            full = self._tokenize(rendered + text)
            # Tokenizers may merge across the boundary; score what differs from the prompt.
            common = common_prefix(prompt_tokens, full)
            if common < len(prompt_tokens):
                raise ValueError("continuation changes the prompt's tokenization")
            conts.append(full[common:])
        self._check_fits(len(prompt_tokens) + max(len(c) for c in conts))
        last = _log_softmax(self._extend_seq0(prompt_tokens))
        results: list[LogLik] = []
        for chunk in _chunks(conts, _MAX_LABEL_SEQS, _LABEL_TOKEN_BUDGET):
            results.extend(self._score_chunk(last, len(prompt_tokens), chunk))
        return results

    def close(self) -> None:
        if self._batch is not None:
            self._lib.llama_batch_free(self._batch)
            self._batch = None
        self._ctx.close()
        self._model.close()

    # -- internals ------------------------------------------------------------------

    def _attach_lora(self, lora_path: Path) -> None:
        lib = self._lib
        adapter = lib.llama_adapter_lora_init(self._model.model, str(lora_path).encode())
        if adapter is None:
            raise ValueError(f"{lora_path}: llama.cpp could not load this LoRA adapter")
        adapters = (lib.llama_adapter_lora_p_ctypes * 1)(adapter)
        scales = (ctypes.c_float * 1)(1.0)
        if lib.llama_set_adapters_lora(self._ctx.ctx, adapters, 1, scales):
            raise ValueError(f"{lora_path}: llama.cpp could not apply this LoRA adapter")
        self._lora = adapter

    def _tokenize(self, text: str) -> list[int]:
        return list(self._model.tokenize(text.encode("utf-8"), self._add_bos, True))

    def _detokenize(self, tokens: list[int]) -> str:
        return bytes(self._model.detokenize(tokens)).decode("utf-8", errors="ignore")

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return (
            bytes(self._model.token_to_piece(token, True))
            .rstrip(b"\0")
            .decode("utf-8", errors="ignore")
        )

    def _check_fits(self, n_tokens: int) -> None:
        if n_tokens > self._n_ctx_prompt:
            raise ContextOverflow(n_tokens, self._n_ctx_prompt)

    def _extend_seq0(self, tokens: list[int]) -> npt.NDArray[np.float32]:
        """Make sequence 0 hold exactly `tokens`, reusing the cached prefix; last logits."""
        common = common_prefix(self._seq0, tokens)
        if common == len(tokens):
            common -= 1  # the last token must be decoded again to get its logits
        self._ctx.kv_cache_seq_rm(0, common, -1)
        self._seq0 = self._seq0[:common]
        return self._decode_seq0(tokens[common:])

    def _decode_seq0(self, tokens: list[int]) -> npt.NDArray[np.float32]:
        logits: npt.NDArray[np.float32] | None = None
        for start in range(0, len(tokens), _BATCH):
            piece = tokens[start : start + _BATCH]
            self._fill(
                [(tok, len(self._seq0) + i, 0, i == len(piece) - 1) for i, tok in enumerate(piece)]
            )
            self._decode()
            self._seq0.extend(piece)
            logits = self._logits(len(piece) - 1)
        assert logits is not None
        return logits

    def _score_chunk(
        self, last: npt.NDArray[np.float64], n_prompt: int, conts: list[list[int]]
    ) -> list[LogLik]:
        entries: list[tuple[int, int, int, bool]] = []
        for j, cont in enumerate(conts):
            seq = j + 1
            self._lib.llama_memory_seq_cp(self._ctx.memory, 0, seq, -1, -1)
            # The last token's logits are never needed: it is predicted, not predicting.
            for i, tok in enumerate(cont[:-1]):
                entries.append((tok, n_prompt + i, seq, True))
        rows: list[npt.NDArray[np.float64]] = []
        if entries:
            self._fill(entries)
            self._decode()
            rows = [_log_softmax(self._logits(i)) for i in range(len(entries))]
        results: list[LogLik] = []
        row = 0
        for j, cont in enumerate(conts):
            total = float(last[cont[0]])
            for tok in cont[1:]:
                total += float(rows[row][tok])
                row += 1
            row += 0
            results.append(LogLik(logprob=total, n_tokens=len(cont)))
            self._ctx.kv_cache_seq_rm(j + 1, -1, -1)
        return results

    def _decode(self) -> None:
        code = self._lib.llama_decode(self._ctx.ctx, self._batch)
        if code != 0:
            raise RuntimeError(f"llama_decode failed with code {code}")

    def _fill(self, entries: list[tuple[int, int, int, bool]]) -> None:
        batch = self._batch
        batch.n_tokens = len(entries)
        for i, (tok, pos, seq, want_logits) in enumerate(entries):
            batch.token[i] = tok
            batch.pos[i] = pos
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = seq
            batch.logits[i] = want_logits

    def _logits(self, index: int) -> npt.NDArray[np.float32]:
        pointer = self._lib.llama_get_logits_ith(self._ctx.ctx, index)
        return np.ctypeslib.as_array(pointer, shape=(self._n_vocab,)).copy()


def _chunks(conts: list[list[int]], max_seqs: int, max_tokens: int) -> list[list[list[int]]]:
    chunks: list[list[list[int]]] = [[]]
    used = 0
    for cont in conts:
        if chunks[-1] and (len(chunks[-1]) >= max_seqs or used + len(cont) > max_tokens):
            chunks.append([])
            used = 0
        chunks[-1].append(cont)
        used += len(cont)
    return chunks


def _log_softmax(logits: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    x = logits.astype(np.float64)
    x -= x.max()
    out: npt.NDArray[np.float64] = x - np.log(np.exp(x).sum())
    return out


def _pick(logits: npt.NDArray[np.float32], temperature: float, rng: np.random.Generator) -> int:
    if temperature <= 0:
        return int(np.argmax(logits))
    probs = np.exp(_log_softmax(logits / np.float32(temperature)))
    return int(rng.choice(len(probs), p=probs / probs.sum()))


def _first_stop(text: str, stops: list[str]) -> int | None:
    cuts = [text.find(s) for s in stops if s in text]
    return min(cuts) if cuts else None

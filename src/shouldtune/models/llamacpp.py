"""GGUF models through llama.cpp (llama-cpp-python's low-level bindings).

Why not the high-level `Llama` class: label scoring is the hot path, and it needs two
things that class does not expose. The prompt's KV cache is kept in sequence 0 and reused
across calls (few-shot prompts share a long prefix), and the candidate labels are scored as
sibling sequences that share the prompt's cache cells (kv_unified). Their tokens form a
prefix tree (`label_tree`): a token that labels share is one cache cell in all their
sequences, decoded once; with `top_only`, branches that cannot win are never decoded.
"""

from __future__ import annotations

import ctypes
import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from shouldtune.models import label_tree
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
from shouldtune.token_ids import common_prefix, common_prefix_all

# Labels scored in one tree; more are split into groups (llama.cpp allows 256 sequences).
_MAX_LABEL_SEQS = 128
_LABEL_TOKEN_BUDGET = 1024
_BATCH = 512
# A continuation's tokens depend on no more of the prompt than this (see `_continuation`).
_TAIL_CHARS = 64
_MAX_REMEMBERED = 20_000
# Answers decoded together by generate_batch: decoding 8 sequences per llama_decode gave
# about twice the tokens/s of one on 2 cores (issue 34's measurement); more adds little.
_GENERATE_BATCH = 8


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
        self._n_ctx_total = int(ctx_params.n_ctx)
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
        self._continuations: dict[tuple[str, str], list[int]] = {}
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

    @property
    def batch_generation(self) -> int:
        """How many answers `generate_batch` decodes together (the evaluator reads this)."""
        return _GENERATE_BATCH

    def generate_batch(
        self,
        prompts: Sequence[Prompt],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        seeds: Sequence[int] | None = None,
    ) -> list[Generation]:
        """Answers to several prompts, decoded as parallel sequences: one llama_decode per
        step for all of them, their common prefix read once (re-runs of one prompt under
        several seeds share the whole prompt). Each answer is what `generate` gives: the
        same picking rule and stop rules, and each sequence its own seeded generator.
        """
        seeds = list(seeds) if seeds is not None else [0] * len(prompts)
        tokens = [self._tokenize(p.text) for p in prompts]
        for toks in tokens:
            self._check_fits(len(toks) + 1)
        out: list[Generation] = []
        for group in self._fitting_groups(tokens, max_tokens):
            out += self._generate_group(
                [tokens[i] for i in group], max_tokens, temperature, [seeds[i] for i in group]
            )
        return out

    def loglik(
        self, prompt: Prompt, continuations: Sequence[str], *, top_only: bool = False
    ) -> list[LogLik] | None:
        rendered = prompt.text
        prompt_tokens = self._tokenize(rendered)
        conts = [self._continuation(rendered, prompt_tokens, text) for text in continuations]
        self._check_fits(len(prompt_tokens) + max(len(c) for c in conts))
        last = _log_softmax(self._extend_seq0(prompt_tokens))
        scored: dict[int, label_tree.Scored] = {}
        floor = -math.inf
        for group in _groups(conts, _MAX_LABEL_SEQS, _LABEL_TOKEN_BUDGET):
            tree = label_tree.build([conts[i] for i in group])
            found = self._search(tree, last, len(prompt_tokens), top_only=top_only, floor=floor)
            scored.update(zip(group, found, strict=True))
            floor = max([floor, *(r.logprob for r in found if r.exact)])
        return [
            LogLik(logprob=scored[i].logprob, n_tokens=len(c), exact=scored[i].exact)
            for i, c in enumerate(conts)
        ]

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

    def _continuation(self, rendered: str, prompt_tokens: list[int], text: str) -> list[int]:
        """The tokens `text` adds after the prompt, up to the end-of-turn token.

        Tokenizers may merge across the boundary, so the continuation is what differs from
        the prompt's own tokens. That depends only on the prompt's last characters, which
        are the chat template's for every example: the answer is remembered per tail, as
        re-tokenizing a long prompt for every label costs more than scoring it.
        Tokens after the end-of-turn token are template (a newline), not the answer.
        """
        key = (rendered[-_TAIL_CHARS:], text)
        cont = self._continuations.get(key)
        if cont is None:
            full = self._tokenize(rendered + text)
            common = common_prefix(prompt_tokens, full)
            if common < len(prompt_tokens):
                raise ValueError("continuation changes the prompt's tokenization")
            cont = full[common:]
            for i, token in enumerate(cont):
                if self._lib.llama_vocab_is_eog(self._model.vocab, token):
                    cont = cont[: i + 1]
                    break
            if len(self._continuations) > _MAX_REMEMBERED:
                self._continuations.clear()
            self._continuations[key] = cont
        return cont

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
            entries = [(tok, len(self._seq0) + i, [0]) for i, tok in enumerate(piece)]
            self._fill(entries, last=len(piece))
            self._decode()
            self._seq0.extend(piece)
            logits = self._logits(len(piece) - 1)
        assert logits is not None
        return logits

    def _search(
        self,
        tree: label_tree.Tree,
        last: npt.NDArray[np.float64],
        n_prompt: int,
        *,
        top_only: bool,
        floor: float,
    ) -> list[label_tree.Scored]:
        """Labels as sibling sequences 1..n that share the prompt's cells (sequence 0)."""
        n_labels = len(tree.end)
        for seq in range(1, n_labels + 1):
            self._lib.llama_memory_seq_cp(self._ctx.memory, 0, seq, -1, -1)

        def expand(nodes: list[int]) -> list[label_tree.NextLogprob]:
            rows: list[label_tree.NextLogprob] = []
            for start in range(0, len(nodes), _BATCH):
                piece = nodes[start : start + _BATCH]
                # A shared token is one cell in every sequence below it.
                self._fill(
                    [
                        (tree.token[n], n_prompt + tree.depth[n], [j + 1 for j in tree.under[n]])
                        for n in piece
                    ]
                )
                self._decode()
                rows.extend(_row_lookup(_log_softmax(self._logits(i))) for i in range(len(piece)))
            return rows

        try:
            return label_tree.search(
                tree, _row_lookup(last), expand, top_only=top_only, floor=floor
            )
        finally:
            for seq in range(1, n_labels + 1):
                self._ctx.kv_cache_seq_rm(seq, -1, -1)

    def _fitting_groups(self, tokens: list[list[int]], max_tokens: int) -> list[list[int]]:
        """Prompts in order, in groups whose cells fit the context beside the shared prefix."""
        groups: list[list[int]] = [[]]
        used = 0
        for i, toks in enumerate(tokens):
            need = len(toks) + min(max_tokens, self._n_ctx_prompt - len(toks))
            full = len(groups[-1]) >= _GENERATE_BATCH or used + need > self._n_ctx_total
            if groups[-1] and full:
                groups.append([])
                used = 0
            groups[-1].append(i)
            used += need
        return groups

    def _generate_group(
        self, tokens: list[list[int]], max_tokens: int, temperature: float, seeds: list[int]
    ) -> list[Generation]:
        n = len(tokens)
        # Sequence 0 holds the common prefix; each answer's sequence (1..n) starts as a copy
        # of it and reads only its own rest of the prompt. At least one token of each prompt
        # is decoded in its own sequence, for its logits.
        shared = min(common_prefix_all(tokens), *(len(t) - 1 for t in tokens))
        if shared > 0:
            self._extend_seq0(tokens[0][:shared])
        else:
            self._ctx.kv_cache_seq_rm(0, -1, -1)
            self._seq0 = []
        seqs = list(range(1, n + 1))
        for seq in seqs:
            self._ctx.kv_cache_seq_rm(seq, -1, -1)
            if shared > 0:
                self._lib.llama_memory_seq_cp(self._ctx.memory, 0, seq, -1, -1)
        try:
            logits = self._prefill(tokens, shared)
            return self._decode_together(tokens, logits, max_tokens, temperature, seeds)
        finally:
            for seq in seqs:
                self._ctx.kv_cache_seq_rm(seq, -1, -1)

    def _prefill(self, tokens: list[list[int]], shared: int) -> list[npt.NDArray[np.float32]]:
        """Each prompt's tokens after the shared prefix, in its own sequence; last logits.

        One decode per prompt, not one for all: llama.cpp's CPU kernels change with the batch
        size (logits differ by up to about 1 between a 109-token and a 48-token batch, measured
        2026-12-03 on SmolLM2-135M Q4_1), so a prompt read in the pieces `generate` reads it in
        gives the logits `generate` gives, and the same answer.
        """
        logits = []
        for j, toks in enumerate(tokens):
            rest = toks[shared:]
            row: npt.NDArray[np.float32] | None = None
            for start in range(0, len(rest), _BATCH):
                piece = rest[start : start + _BATCH]
                first = shared + start
                self._fill_flagged(
                    [(tok, first + i, [j + 1], i == len(piece) - 1) for i, tok in enumerate(piece)]
                )
                self._decode()
                row = self._logits(len(piece) - 1)
            assert row is not None
            logits.append(row)
        return logits

    def _decode_together(
        self,
        tokens: list[list[int]],
        logits: list[npt.NDArray[np.float32]],
        max_tokens: int,
        temperature: float,
        seeds: list[int],
    ) -> list[Generation]:
        stops = [s for s in self.stop_strings() if s]
        rngs = [np.random.default_rng(seed) for seed in seeds]
        outs: list[list[int]] = [[] for _ in tokens]
        texts = ["" for _ in tokens]
        finish: list[Literal["stop", "length"]] = ["length" for _ in tokens]
        budgets = [min(max_tokens, self._n_ctx_prompt - len(t)) for t in tokens]
        active = [j for j in range(len(tokens)) if budgets[j] > 0]
        while active:
            step: list[tuple[int, int]] = []  # (sequence index, token to decode next)
            for j in active:
                token = _pick(logits[j], temperature, rngs[j])
                if self._lib.llama_vocab_is_eog(self._model.vocab, token):
                    finish[j] = "stop"
                    continue
                outs[j].append(token)
                texts[j] = self._detokenize(outs[j])
                cut = _first_stop(texts[j], stops)
                if cut is not None:
                    texts[j] = texts[j][:cut]
                    finish[j] = "stop"
                    continue
                if len(outs[j]) < budgets[j]:
                    step.append((j, token))
            if step:
                entries = [
                    (token, len(tokens[j]) + len(outs[j]) - 1, [j + 1], True) for j, token in step
                ]
                self._fill_flagged(entries)
                self._decode()
                for i, (j, _) in enumerate(step):
                    logits[j] = self._logits(i)
            active = [j for j, _ in step]
        return [
            Generation(
                text=texts[j].strip(),
                prompt_tokens=len(tokens[j]),
                completion_tokens=len(outs[j]),
                finish_reason=finish[j],
            )
            for j in range(len(tokens))
        ]

    def _fill_flagged(self, entries: list[tuple[int, int, list[int], bool]]) -> None:
        """(token, position, sequences, wants logits) per batch entry."""
        batch = self._batch
        batch.n_tokens = len(entries)
        for i, (tok, pos, seqs, wants) in enumerate(entries):
            batch.token[i] = tok
            batch.pos[i] = pos
            batch.n_seq_id[i] = len(seqs)
            for k, seq in enumerate(seqs):
                batch.seq_id[i][k] = seq
            batch.logits[i] = wants

    def _decode(self) -> None:
        code = self._lib.llama_decode(self._ctx.ctx, self._batch)
        if code != 0:
            raise RuntimeError(f"llama_decode failed with code {code}")

    def _fill(self, entries: list[tuple[int, int, list[int]]], last: int | None = None) -> None:
        """(token, position, sequences) per batch entry; logits for all, or only the last."""
        self._fill_flagged(
            [
                (tok, pos, seqs, last is None or i == last - 1)
                for i, (tok, pos, seqs) in enumerate(entries)
            ]
        )

    def _logits(self, index: int) -> npt.NDArray[np.float32]:
        pointer = self._lib.llama_get_logits_ith(self._ctx.ctx, index)
        return np.ctypeslib.as_array(pointer, shape=(self._n_vocab,)).copy()


def _groups(conts: list[list[int]], max_seqs: int, max_nodes: int) -> list[list[int]]:
    """Label indices in groups of at most `max_seqs` labels and about `max_nodes` tokens.

    Labels are grouped in token order, so that labels sharing a prefix share a tree.
    """
    order = sorted(range(len(conts)), key=conts.__getitem__)
    groups: list[list[int]] = [[]]
    used = 0
    for i in order:
        if groups[-1] and (len(groups[-1]) >= max_seqs or used + len(conts[i]) > max_nodes):
            groups.append([])
            used = 0
        groups[-1].append(i)
        used += len(conts[i])
    return groups


def _row_lookup(row: npt.NDArray[np.float64]) -> label_tree.NextLogprob:
    return lambda token: float(row[token])


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

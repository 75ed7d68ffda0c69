"""How many train examples the LoRA rung learns from, and the reason when it is not all.

Training is the one step whose cost grows with the whole train split: 9,618 Banking77
queries are about a day of CPU training for the embedded model. `lora.max_train: auto` keeps
every example on a CUDA GPU and caps CPU training at `CPU_CAP`, a subsample stratified by
label; a number caps it anywhere, `all` never. The cut is always said, never silent, and a
fine-tune trained on part of the data is reported as such (more examples may score higher).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from shouldtune.records import Example
from shouldtune.spec import LoraSpec
from shouldtune.split import proportional_counts

CPU_CAP = 512


@dataclass(frozen=True)
class TrainSize:
    n: int  # examples trained on
    pool: int  # train examples there were
    reason: str | None  # why fewer, in words; None when all are used

    @property
    def cut(self) -> bool:
        return self.n < self.pool


def has_cuda() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def train_size(pool: int, options: LoraSpec, *, cuda: bool | None = None) -> TrainSize:
    setting = options.max_train
    if setting == "all" or (isinstance(setting, int) and setting >= pool):
        return TrainSize(pool, pool, None)
    if setting == "auto":
        if pool <= CPU_CAP or (has_cuda() if cuda is None else cuda):
            return TrainSize(pool, pool, None)
        return TrainSize(
            CPU_CAP,
            pool,
            f"training on {CPU_CAP} of {pool} train examples (label-stratified): on a CPU "
            "`lora.max_train: auto` caps training, as each step takes seconds; set "
            "`lora.max_train: all` (or a number) to use more",
        )
    return TrainSize(
        setting,
        pool,
        f"training on {setting} of {pool} train examples (label-stratified; "
        f"lora.max_train: {setting})",
    )


def subsample(
    train: Sequence[Example], size: TrainSize, seed: int, *, labeled: bool
) -> list[Example]:
    """`size.n` examples (seeded), each label keeping its share; all when nothing is cut."""
    if not size.cut:
        return list(train)
    rng = random.Random(f"train-subsample:{seed}")
    if not labeled:
        chosen = {e.id for e in rng.sample(list(train), size.n)}
        return [e for e in train if e.id in chosen]
    by_label: dict[str, list[Example]] = defaultdict(list)
    for example in train:
        by_label[example.expected].append(example)
    counts = proportional_counts({k: len(v) for k, v in by_label.items()}, size.n)
    keep: set[str] = set()
    for key in sorted(by_label):
        keep.update(e.id for e in rng.sample(by_label[key], counts[key]))
    return [e for e in train if e.id in keep]

"""What each rung is: its name, cost order, kind, the words reports use and what it needs.

The ladder runs the rung modules (`shouldtune.rungs`); the spec, the decision, the climbing
policy, the cost model and the reports read this catalog only, so none of them imports the
runtime. Adding a rung is one module in `rungs/` (whose `INFO` is its entry here) plus that
entry; a rung that needs something no other rung needs also adds its check to `policy.NEEDS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RungKind = Literal["prompt", "knowledge", "training"]
# What a rung needs from the task before it can run; shouldtune.policy says, per need, why a
# run lacks it (the reason the ladder prints when it skips the rung).
Need = Literal[
    "docs",  # a documents folder (docs: or --docs)
    "search_slice",  # enough train examples to hold out a validation slice
    "training_data",  # at least min_examples usable examples
    "trainable_student",  # a local student model with weights
]


@dataclass(frozen=True)
class RungInfo:
    name: str
    order: int = 99  # cost order, cheapest first: ties between equal scores go to the cheaper
    kind: RungKind = "prompt"
    title: str = ""  # short, for tables: "few-shot"
    words: str = ""  # the subject of a sentence: "The prompt with examples (few-shot)"
    default: bool = False  # climbed when the spec names no rungs
    needs: tuple[Need, ...] = ()  # checked in this order; the first unmet one skips the rung

    @property
    def needs_docs(self) -> bool:
        """Only with a documents folder: added to the default rungs when docs are given."""
        return "docs" in self.needs

    @property
    def prompting(self) -> bool:
        """Changes only what the model is asked, not the model: cheaper than training."""
        return self.kind != "training"


CATALOG: tuple[RungInfo, ...] = (
    RungInfo(
        "zero_shot",
        0,
        "prompt",
        "zero-shot",
        "The instructions alone (zero-shot)",
        default=True,
    ),
    RungInfo(
        "few_shot",
        1,
        "prompt",
        "few-shot",
        "The prompt with examples (few-shot)",
        default=True,
    ),
    RungInfo(
        "prompt_search",
        2,
        "prompt",
        "prompt search",
        "The best prompt found by the search (prompt search)",
        default=True,
        needs=("search_slice",),
    ),
    RungInfo(
        "rag",
        3,
        "knowledge",
        "RAG",
        "The prompt with retrieved passages (RAG)",
        needs=("docs",),
    ),
    RungInfo(
        "lora",
        4,
        "training",
        "LoRA",
        "The fine-tuned model (LoRA)",
        default=True,
        needs=("training_data", "trainable_student"),
    ),
)

BY_NAME: dict[str, RungInfo] = {r.name: r for r in CATALOG}


def info(name: str) -> RungInfo:
    """The catalog entry; an unknown name (a newer run's rung) sorts last and reads as itself."""
    return BY_NAME.get(name) or RungInfo(name, title=name, words=name)


def rung_names() -> list[str]:
    """Every rung a spec may name, in cost order."""
    return [r.name for r in CATALOG]


def cost_order(name: str) -> int:
    return info(name).order


def is_prompt(name: str) -> bool:
    """A prompt rung (question 1): instructions and demonstrations, no retrieval, no training."""
    return name in BY_NAME and BY_NAME[name].kind == "prompt"


def is_prompting(name: str) -> bool:
    """Anything cheaper than training (prompt and knowledge rungs)."""
    return name in BY_NAME and BY_NAME[name].prompting


def default_rungs(*, with_docs: bool) -> list[str]:
    """The rungs climbed when the spec names none, in cost order."""
    return [r.name for r in CATALOG if r.default or (with_docs and r.needs_docs)]

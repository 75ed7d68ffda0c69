"""`shouldtune advise`: the framework's three questions answered by the user, before any data.

For someone with no examples yet: what they know about their task (does a prompt get most of
the way, is the gap knowledge, is there a specific reproducible failure) plus their volume
and prompt sizes give a provisional answer of the same kind as a measured run, priced with
the same cost model. It is a prior, not a measurement; it always says how to get one.
Pure: no model, no I/O.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from shouldtune.cost import (
    NO_FINE_TUNE,
    CostReport,
    Method,
    PriceTable,
    TokenUse,
    build_report,
    estimate_training,
)
from shouldtune.decide import VerdictKind
from shouldtune.report.cost_view import at_prices, payback

Answer = Literal["yes", "no", "unsure"]
ANSWERS: tuple[Answer, ...] = ("yes", "no", "unsure")
# A first fine-tuning dataset, when the user has too few examples to size one from.
TYPICAL_TRAIN_EXAMPLES = 1000

QUESTIONS: dict[str, str] = {
    "prompt_works": (
        "1. Prompt: does one well-crafted prompt with a few examples (few-shot) get you at least "
        "80% of the result you want? (unsure: not tried yet)"
    ),
    "knowledge_gap": (
        "2. Knowledge: is the problem that the model does not know your data (facts, documents, "
        "products, policies)?"
    ),
    "pattern": (
        "3. Pattern: does the model fail in a specific, reproducible way that prompting does not "
        "fix (an output format, a style it will not follow, a taxonomy it cannot learn from "
        "context)?"
    ),
}


class AdviceInput(BaseModel):
    """The three answers, the examples in hand, and the calculator's figures."""

    prompt_works: Answer = "unsure"
    knowledge_gap: Answer = "unsure"
    pattern: Answer = "unsure"
    examples: int = Field(0, ge=0, description="Examples with expected outputs written so far.")
    min_examples: int = Field(50, ge=1)
    requests_per_month: int = Field(100_000, ge=0)
    prompt_tokens: float = Field(
        1500, ge=0, description="Prompt tokens per request with instructions and examples."
    )
    answer_tokens: float = Field(100, ge=0, description="Answer tokens per request.")
    tuned_prompt_tokens: float = Field(
        200, ge=0, description="Prompt tokens a fine-tuned model needs (instructions and input)."
    )
    rag_tokens: float = Field(800, ge=0, description="Retrieved passage tokens per request.")
    target_params: float = Field(7e9, gt=0)
    method: Method = "lora"
    epochs: float = Field(3.0, gt=0)
    train_examples: int | None = Field(None, ge=1)


class Advice(BaseModel):
    kind: VerdictKind
    headline: str
    question: str
    answer: str = Field(description="One paragraph in plain words.")
    examples_advice: str | None = None
    cost: CostReport


def _money(value: float) -> str:
    return f"${value:,.2f}" if abs(value) < 100 else f"${value:,.0f}"


def _payback(cost: CostReport) -> str:
    even = cost.break_even
    if even is None:
        return ""
    if even.months is None:
        return (
            f" At {cost.requests_per_month:,} requests a month{at_prices(cost)} it would not "
            "pay for itself: "
            f"serving the tuned model costs {_money(-even.monthly_savings_usd)} a month more "
            f"than the {even.baseline} option."
        )
    when = payback(even.months)
    return (
        f" Training costs about {_money(even.upfront_usd)} once and saves "
        f"{_money(even.monthly_savings_usd)} a month against the {even.baseline} option"
        f"{at_prices(cost)}, so it pays back in about {when}."
    )


def price(given: AdviceInput, prices: PriceTable) -> CostReport:
    """The calculator: monthly spend of each option and the fine-tune's break-even."""
    options = {
        "prompt": TokenUse(
            prompt_tokens=given.prompt_tokens,
            completion_tokens=given.answer_tokens,
            source="assumed",
        )
    }
    options["rag"] = TokenUse(
        prompt_tokens=given.prompt_tokens + given.rag_tokens,
        completion_tokens=given.answer_tokens,
        source="assumed",
    )
    tuned = TokenUse(
        prompt_tokens=given.tuned_prompt_tokens,
        completion_tokens=given.answer_tokens,
        source="assumed",
    )
    notes = ["every token count here is your estimate: a measured run replaces them"]
    examples = given.train_examples
    if examples is None:
        enough = given.examples >= given.min_examples
        examples = given.examples if enough else TYPICAL_TRAIN_EXAMPLES
        if not enough:
            notes.append(
                f"training is sized for {TYPICAL_TRAIN_EXAMPLES:,} examples, a typical first "
                "dataset (--train-examples sets it)"
            )
    training = estimate_training(
        prices,
        params=given.target_params,
        tokens_per_example=given.tuned_prompt_tokens + given.answer_tokens,
        examples=examples,
        epochs=given.epochs,
        method=given.method,
    )
    return build_report(
        prices,
        requests=given.requests_per_month,
        options=options,
        tuned=tuned,
        basis="your token estimates",
        baseline="rag" if given.knowledge_gap == "yes" else "prompt",
        training=training,
        notes=notes,
    )


def advise(given: AdviceInput, prices: PriceTable) -> Advice:
    cost = price(given, prices)
    enough = given.examples >= given.min_examples
    examples_advice = None
    if not enough:
        examples_advice = (
            f"You have {given.examples} examples; write down at least {given.min_examples} "
            "inputs with their expected outputs first, then run `shouldtune check` on the file "
            "(the pre-check: duplicates, conflicts, token lengths) and `shouldtune run` to "
            "measure prompt, RAG and fine-tune on them instead of guessing."
        )
    measure = (
        " Then measure it: `shouldtune run` on your examples replaces these answers with scores."
        if enough
        else ""
    )
    prompt = cost.options["prompt"]
    prompt_cost = (
        f" At your volume the prompt costs about {_money(prompt.monthly_usd)} a month"
        f"{at_prices(cost)}."
    )
    kind: VerdictKind
    if given.prompt_works == "yes":
        kind, question = "PROMPT", "1. prompt"
        headline = "a prompt gets most of the way: iterate on it"
        answer = (
            "Use a prompt. You say a well-crafted prompt with examples already gets 80% or more "
            "of what you want, so the rest is prompt work: clearer instructions, better and "
            "more varied examples, a fixed output format. That is nearly free, and it keeps one "
            f"general model in production.{prompt_cost}{measure}"
        )
    elif given.prompt_works == "unsure":
        kind, question = "PROMPT", "1. prompt"
        headline = "try a prompt with examples first"
        rag = (
            " If the model lacks your facts, add retrieval (RAG) next; fine-tuning comes last."
            if given.knowledge_gap == "yes"
            else ""
        )
        answer = (
            "Start with a prompt. Most tasks people want to fine-tune for are solved by one "
            "well-crafted prompt with a handful of examples, and it costs minutes to try. Write "
            f"it, try it on real inputs, and come back when you know whether it gets 80% of the "
            f"way.{rag}{prompt_cost}{measure}"
        )
    elif given.knowledge_gap == "yes":
        kind, question = "RAG", "2. knowledge"
        headline = "the gap is knowledge: retrieve it"
        then = (
            " If retrieval brings the facts but the output still fails in a reproducible way, "
            "fine-tune on top of it, after measuring both."
            if given.pattern == "yes"
            else ""
        )
        answer = (
            "Use retrieval (RAG). The prompt falls short because the model does not know your "
            "data, and that is what retrieval fixes: passages from your documents go into the "
            "prompt, and an updated document needs no retraining. Training facts into a model is "
            f"expensive and goes stale.{then} At your volume retrieval costs about "
            f"{_money(cost.options['rag'].monthly_usd)} a month{at_prices(cost)} (a local "
            "embedder is free)."
            f"{measure}"
        )
    elif given.pattern == "yes" and enough:
        kind, question = "FINE_TUNE", "3. specific failure"
        headline = "a reproducible pattern the prompt cannot fix: fine-tune"
        answer = (
            "Fine-tune. A prompt falls short, the gap is not missing knowledge, and the failure "
            f"is a specific, reproducible pattern; with {given.examples} examples there is a "
            "dataset to learn it from. Expect the tuned model to lose some general capability, "
            f"so keep the general one for everything else.{_payback(cost)}{measure}"
        )
    elif given.pattern == "yes":
        kind, question = "NOT_ENOUGH_DATA", "0. pre-check"
        headline = f"{given.examples} examples; at least {given.min_examples} are needed"
        answer = (
            "Fine-tuning looks like the fix (a prompt falls short, the gap is not knowledge, and "
            f"the failure is a reproducible pattern), but {given.examples} examples are not a "
            f"dataset to tune on: write down at least {given.min_examples} first.{_payback(cost)}"
        )
    else:
        kind, question = "INCONCLUSIVE", "3. specific failure"
        headline = "a prompt falls short, but the cause is not identified"
        answer = (
            "Not settled. A prompt falls short, but neither missing knowledge nor a specific, "
            "reproducible failure is identified, and fine-tuning only pays when there is a "
            "pattern to learn. Look at the failures first: collect examples and let "
            "`shouldtune run` sort them into categories and re-run them under other seeds and "
            "prompt variants; failures that come and go are prompt work, failures that recur "
            f"are what a fine-tune fixes.{_payback(cost)}"
        )
    if kind in NO_FINE_TUNE and cost.break_even is not None:
        # The same rule as a measured run: advice against fine-tuning ends on no payback.
        baseline = cost.break_even.baseline
        note = (
            f"the verdict is {kind}: no fine-tune is needed, so no payback is worked out; "
            f"the cost to plan for is {baseline}'s"
        )
        cost = cost.model_copy(update={"break_even": None, "notes": [*cost.notes, note]})
    return Advice(
        kind=kind,
        headline=headline,
        question=question,
        answer=answer,
        examples_advice=examples_advice,
        cost=cost,
    )


def parse_params(text: str) -> float:
    """'7B', '135M', '7e9' or '7000000000' -> parameters."""
    value = text.strip().upper().replace("_", "")
    scale = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}.get(value[-1:], 1.0)
    number = value[:-1] if scale != 1.0 else value
    try:
        params = float(number) * scale
    except ValueError:
        raise ValueError(f"{text!r} is not a parameter count (e.g. 7B, 135M, 7e9)") from None
    if params <= 0:
        raise ValueError(f"{text!r}: a model has more than zero parameters")
    return params

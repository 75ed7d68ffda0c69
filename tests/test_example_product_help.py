"""The product-help example: long paraphrased answers, so the budget and the diagnosis fit."""

from __future__ import annotations

from shouldtune.budget import FLOOR, derive_budget
from shouldtune.data import load_examples
from shouldtune.rag.diagnostics import SUPPORT_THRESHOLD, answer_support
from shouldtune.spec import load_spec
from tests.conftest import EXAMPLES

TASK = EXAMPLES / "product-help" / "task.yaml"


def test_answers_are_long_paraphrases_their_source_page_supports() -> None:
    spec = load_spec(TASK)
    assert spec.max_new_tokens is None and spec.scorer == "similarity"
    examples = load_examples(spec)
    assert 60 <= len(examples) <= 80
    # Words stand in for tokens: the derived budget is above the floor the old default hit.
    budget = derive_budget(spec, [e.expected for e in examples], lambda t: len(t.split()), 2048)
    assert budget.max_new_tokens > FLOOR
    assert spec.docs is not None
    graded = supported = 0
    for example in examples:
        page = (spec.docs / str(example.fields["source"])).read_text(encoding="utf-8")
        assert example.expected not in page  # a paraphrase, never a quote
        support = answer_support(example.expected, page, None)
        graded += support.measure == "content_recall"
        supported += bool(support.recall is not None and support.recall >= SUPPORT_THRESHOLD)
    assert graded == len(examples)  # none short enough for containment
    assert supported >= 0.8 * len(examples)  # the right page holds most answers' content

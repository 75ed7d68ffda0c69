"""Retrieval failure or reading failure: the answer in the passages, and gold recall."""

from __future__ import annotations

from shouldtune.rag.chunking import Chunk
from shouldtune.rag.diagnostics import GoldMatcher, answer_in_text, gold_values, summarize
from shouldtune.records import Example, Prediction


def chunk(source: str, text: str) -> Chunk:
    return Chunk(f"{source}:{text}", source, (), 0, len(text), text)


def prediction(passed: bool) -> Prediction:
    return Prediction(
        rung="rag",
        example_id="x",
        input="q",
        expected="a",
        output="a" if passed else "b",
        score=1.0 if passed else 0.0,
        passed=passed,
        latency_s=0.0,
        prompt_tokens=1,
        completion_tokens=1,
        method="generate",
    )


def test_answer_in_text_normalizes_like_the_scorers() -> None:
    assert answer_in_text("Moss Green.", "It comes in one colour, called moss   green.")
    assert answer_in_text('"7.4"', "weighs 7.4 kilograms")
    assert not answer_in_text("7.5", "weighs 7.4 kilograms")
    assert not answer_in_text("", "anything")


def test_gold_values_take_strings_or_lists() -> None:
    example = Example(id="1", input="q", expected="a", line=1, fields={"src": ["a.md", " "]})
    assert gold_values(example, "src") == ["a.md"]
    assert gold_values(example, "missing") == []
    single = Example(id="2", input="q", expected="a", line=2, fields={"src": "guide"})
    assert gold_values(single, "src") == ["guide"]


def test_gold_names_a_source_by_path_name_or_stem_else_is_a_passage() -> None:
    matcher = GoldMatcher(["manuals/robot.md", "prices.txt"])
    found = [chunk("manuals/robot.md", "The robot weighs 7.4 kg.")]
    for gold in ("manuals/robot.md", "robot.md", "ROBOT"):
        assert matcher.hit([gold], found)
    assert not matcher.hit(["prices.txt"], found)  # a source, and not the retrieved one
    assert matcher.hit(["weighs 7.4 kg"], found)  # a passage quoted from the retrieved text
    assert not matcher.hit(["costs 749 euros"], found)
    assert matcher.hit(["prices", "robot"], found)  # any of several gold values


def test_summary_splits_failures_into_retrieval_and_reading() -> None:
    predictions = [prediction(p) for p in (True, True, False, False, False)]
    in_context = [True, False, True, False, False]
    summary = summarize(predictions, in_context, [True, None, False, True, None])
    assert summary["answer_in_context"] == 0.4
    assert summary["failures"] == {"retrieval": 2, "reading": 1}
    assert summary["passed_without_answer_in_context"] == 1
    assert summary["recall_at_k"] == 2 / 3 and summary["gold_n"] == 3
    assert summarize(predictions, in_context, [None] * 5)["recall_at_k"] is None


LONG = (
    "Open the Settings panel and choose Backups. Tick nightly snapshots, then pick a "
    "retention period between seven and ninety days."
)


def test_a_paraphrased_long_answer_is_measured_graded_not_by_containment() -> None:
    from shouldtune.rag.diagnostics import SUPPORT_THRESHOLD, answer_support, content_recall

    passage = (
        "Backups: in the Settings panel, the Backups page has a box for nightly snapshots. "
        "Snapshots are kept for a retention period of seven to ninety days."
    )
    assert not answer_in_text(LONG, passage)  # containment would say: not there
    support = answer_support(LONG, passage, None)
    assert support.measure == "content_recall"
    assert support.recall is not None and support.recall >= SUPPORT_THRESHOLD
    assert support.found is True
    unrelated = answer_support(LONG, "The invoice lists every seat you pay for.", None)
    assert unrelated.found is False and unrelated.recall == 0.0
    # Stopwords count for nothing: "the", "and", "then" are in every passage.
    assert content_recall("the and then a of", "the and then") is None


def test_short_answers_keep_containment_and_gold_decides_when_given() -> None:
    from shouldtune.rag.diagnostics import answer_support

    assert answer_support("Moss green", "called moss green", None).measure == "containment"
    assert answer_support("Moss green", "called moss green", None).found is True
    gold = answer_support(LONG, "nothing relevant", True)
    assert gold.measure == "gold" and gold.found is True
    assert answer_support("and the", "x", None).found is False  # short: containment says no
    # The gold page retrieved without the short answer on it: still not in context.
    on_page = answer_support("Moss green", "the colour settings page", True)
    assert on_page.measure == "containment" and on_page.found is False


def test_summary_says_cannot_tell_rather_than_a_false_zero() -> None:
    from shouldtune.rag.diagnostics import Support

    predictions = [prediction(False), prediction(False)]
    supports = [Support(None, "cannot_tell"), Support(None, "cannot_tell")]
    summary = summarize(predictions, [None, None], [None, None], supports)
    assert summary["answer_in_context"] is None
    assert summary["failures"] == {"retrieval": 0, "reading": 0}
    assert summary["measure"] == "cannot_tell"
    graded = [Support(True, "content_recall", 0.8), Support(None, "cannot_tell")]
    mixed = summarize(predictions, [True, None], [None, None], graded)
    assert mixed["answer_in_context"] == 1.0 and mixed["answer_in_context_n"] == 1
    assert mixed["failures"] == {"retrieval": 0, "reading": 1}
    assert mixed["mean_content_recall"] == 0.8

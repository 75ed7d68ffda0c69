"""Chunks follow the document's structure, respect the budget and can be cited exactly."""

from __future__ import annotations

import hashlib
from itertools import pairwise

import pytest

from shouldtune.rag.chunking import Chunk, chunk_document, count_tokens
from shouldtune.rag.documents import Document, Layout


def doc(text: str, layout: Layout = "markdown", path: str = "guide.md") -> Document:
    return Document(path, layout, text, hashlib.sha256(text.encode()).hexdigest())


def chunks_of(
    text: str, layout: Layout = "markdown", size: int = 50, overlap: int = 0
) -> list[Chunk]:
    return chunk_document(doc(text, layout), chunk_tokens=size, overlap=overlap)


MARKDOWN = """Intro paragraph before any heading.

# Product

The product is a robot.

## Battery

The battery holds 5200 mAh.

```
# not a heading, inside a fence
```

## Price
Setext Title
============

Under the setext title.
"""


def test_markdown_sections_carry_their_heading_path() -> None:
    chunks = chunks_of(MARKDOWN)
    paths = [(c.headings, c.text.split("\n")[0]) for c in chunks]
    assert paths == [
        ((), "Intro paragraph before any heading."),
        (("Product",), "The product is a robot."),
        (("Product", "Battery"), "The battery holds 5200 mAh."),
        (("Setext Title",), "Under the setext title."),
    ]
    battery = chunks[2]
    assert "# not a heading, inside a fence" in battery.text  # fenced code stays text
    assert battery.embed_text.startswith("Product > Battery\n")
    assert battery.citation() == "guide.md > Product > Battery"


def test_every_chunk_is_an_exact_span_with_a_stable_id() -> None:
    document = doc(MARKDOWN)
    first = chunk_document(document, chunk_tokens=50, overlap=0)
    again = chunk_document(document, chunk_tokens=50, overlap=0)
    assert [c.id for c in first] == [c.id for c in again]
    assert len({c.id for c in first}) == len(first)
    for chunk in first:
        assert document.text[chunk.start : chunk.end] == chunk.text
    moved = chunk_document(doc(MARKDOWN, path="other.md"), chunk_tokens=50, overlap=0)
    assert not {c.id for c in moved} & {c.id for c in first}  # the path is part of the id


def test_rst_heading_levels_follow_the_order_styles_appear() -> None:
    text = (
        "=====\nTitle\n=====\n\nTop text.\n\nSection\n-------\n\nSection text.\n\n"
        "Other\n-----\n\nOther text.\n"
    )
    chunks = chunks_of(text, layout="rst")
    assert [c.headings for c in chunks] == [
        ("Title",),
        ("Title", "Section"),
        ("Title", "Other"),
    ]
    assert [c.text for c in chunks] == ["Top text.", "Section text.", "Other text."]


def test_plain_text_has_no_headings() -> None:
    chunks = chunks_of("# looks like a heading\n\nbut this is text.\n", layout="text")
    assert [c.headings for c in chunks] == [()]


def test_budget_is_respected_and_paragraphs_stay_whole_when_they_fit() -> None:
    paragraphs = [f"Paragraph {i} has exactly seven tokens here." for i in range(20)]
    chunks = chunks_of("\n\n".join(paragraphs), layout="text", size=20)
    assert all(count_tokens(c.text) <= 20 for c in chunks)
    assert len(chunks) == 10  # two 8-token paragraphs per chunk
    assert all(c.text.count("Paragraph") == 2 for c in chunks)


def test_long_paragraphs_split_at_sentences_then_words() -> None:
    sentences = " ".join(f"Sentence number {i} ends here." for i in range(12))  # 6 tokens each
    chunks = chunks_of(sentences, layout="text", size=13)
    assert all(c.text.startswith("Sentence") and c.text.endswith(".") for c in chunks)
    assert all(count_tokens(c.text) <= 13 for c in chunks)
    run_on = " ".join(f"w{i}" for i in range(100))  # one sentence, no punctuation
    windows = chunks_of(run_on, layout="text", size=30)
    assert [count_tokens(c.text) for c in windows] == [30, 30, 30, 10]


def test_overlap_repeats_the_tail_of_the_previous_chunk() -> None:
    paragraphs = [f"Fact {i} is here." for i in range(12)]  # 5 tokens each
    text = "\n\n".join(paragraphs)
    plain = chunks_of(text, layout="text", size=20)
    overlapped = chunks_of(text, layout="text", size=20, overlap=5)
    assert sum(c.text.count("Fact") for c in plain) == 12
    for before, after in pairwise(overlapped):
        last = before.text.split("\n\n")[-1]
        assert after.text.startswith(last)  # the last paragraph is carried over
        assert after.start < before.end
    facts = {p for c in overlapped for p in c.text.split("\n\n")}
    assert facts == set(paragraphs)


def test_overlap_never_stalls_on_a_large_next_unit() -> None:
    text = "Tiny one.\n\n" + " ".join(["big"] * 19) + ".\n\nTiny two."
    chunks = chunks_of(text, layout="text", size=20, overlap=10)
    assert "".join(c.text for c in chunks).count("Tiny two.") >= 1
    assert len(chunks) <= 3


def test_chunks_never_cross_a_heading() -> None:
    text = "# A\n\nalpha text\n\n# B\n\nbeta text\n"
    chunks = chunks_of(text, size=1000, overlap=10)
    assert [c.text for c in chunks] == ["alpha text", "beta text"]


def test_pdf_chunks_know_their_page() -> None:
    text = "page one words\n\npage two words\n\n"
    document = Document("m.pdf", "text", text, "x", page_starts=(0, 16))
    chunks = chunk_document(document, chunk_tokens=3, overlap=0)
    assert [(c.text, c.page) for c in chunks] == [("page one words", 1), ("page two words", 2)]
    assert chunks[1].citation() == "m.pdf, page 2"


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        chunks_of("text", size=10, overlap=10)

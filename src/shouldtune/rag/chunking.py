"""Structure-aware chunking: split by headings, pack paragraphs into a token budget.

Sections come from Markdown headings (ATX `#` and setext underlines) and reStructuredText
adornments; plain text has one section. Within a section, whole paragraphs are packed into
chunks of at most `chunk_tokens`; a paragraph larger than that is cut at sentences, and a
sentence larger than that at words. The next chunk repeats the previous chunk's trailing
paragraphs or sentences worth up to `overlap` tokens, so a fact cut at a boundary is still
whole in one chunk. Chunks never cross sections: a heading changes the topic.

Tokens are counted as words and punctuation marks (`count_tokens`), a fast approximation
that does not need the embedder loaded and keeps chunk ids independent of it. all-MiniLM's
word pieces run about 1.1-1.3 per such token on English prose, so the default budget stays
well under the 256 pieces the embedder reads.

Each chunk is a contiguous span of the document text: `text == document.text[start:end]`,
so an answer can cite the exact place it came from.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from shouldtune.rag.documents import Document

CHUNKER_VERSION = 1  # part of the embedding cache key: bump when chunk boundaries change

_TOKEN = re.compile(r"\w+|[^\w\s]")
_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-{2,})[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_RST_ADORNMENT = re.compile(r"^([=\-`:'\"~^_*+#<>.])\1+[ \t]*$")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")


def count_tokens(text: str) -> int:
    """Words and punctuation marks: the chunker's fast stand-in for the embedder's tokens."""
    return len(_TOKEN.findall(text))


@dataclass(frozen=True)
class Chunk:
    """A span of one document, with what is needed to cite it."""

    id: str
    source: str
    headings: tuple[str, ...]
    start: int
    end: int
    text: str
    page: int | None = None

    @property
    def embed_text(self) -> str:
        """The text the embedder sees: the heading path gives a short chunk its topic."""
        if not self.headings:
            return self.text
        return " > ".join(self.headings) + "\n" + self.text

    def citation(self) -> str:
        parts = [self.source, *self.headings]
        page = f", page {self.page}" if self.page is not None else ""
        return " > ".join(parts) + page


def chunk_id(source: str, start: int, text: str) -> str:
    """Stable across runs: the same text at the same place of the same file, the same id."""
    return hashlib.sha256(f"{source}\0{start}\0{text}".encode()).hexdigest()[:16]


def chunking_key(chunk_tokens: int, overlap: int) -> str:
    return f"v{CHUNKER_VERSION}-t{chunk_tokens}-o{overlap}"


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    tokens: int


@dataclass(frozen=True)
class _Section:
    headings: tuple[str, ...]
    start: int
    end: int


def chunk_document(document: Document, *, chunk_tokens: int, overlap: int) -> list[Chunk]:
    if chunk_tokens < 1:
        raise ValueError("chunk_tokens must be at least 1")
    if not 0 <= overlap < chunk_tokens:
        raise ValueError("overlap must be at least 0 and smaller than chunk_tokens")
    text = document.text
    chunks: list[Chunk] = []
    for section in _sections(document):
        units = list(_units(text, section.start, section.end, chunk_tokens))
        for first, last in _pack(units, chunk_tokens, overlap):
            start, end = units[first].start, units[last - 1].end
            body = text[start:end]
            chunks.append(
                Chunk(
                    id=chunk_id(document.path, start, body),
                    source=document.path,
                    headings=section.headings,
                    start=start,
                    end=end,
                    text=body,
                    page=document.page_at(start),
                )
            )
    return chunks


# --- sections ----------------------------------------------------------------------------------


def _lines(text: str) -> list[tuple[int, str]]:
    """(offset, line without its newline) for every line."""
    out = []
    offset = 0
    for line in text.split("\n"):
        out.append((offset, line))
        offset += len(line) + 1
    return out


def _sections(document: Document) -> list[_Section]:
    text = document.text
    if document.layout == "text":
        return [_Section((), 0, len(text))]
    # (where the heading's lines start, where its body starts, level, title)
    headings = _rst_headings(text) if document.layout == "rst" else _markdown_headings(text)
    sections: list[_Section] = []
    stack: list[str] = []
    body_start = 0
    path: tuple[str, ...] = ()
    for line_start, next_body, level, title in headings:
        sections.append(_Section(tuple(path), body_start, line_start))
        stack = [*stack[: level - 1], title]
        path = tuple(stack)
        body_start = next_body
    sections.append(_Section(tuple(path), body_start, len(text)))
    return [s for s in sections if text[s.start : s.end].strip()]


def _markdown_headings(text: str) -> list[tuple[int, int, int, str]]:
    lines = _lines(text)
    found: list[tuple[int, int, int, str]] = []
    in_fence = False
    for index, (offset, line) in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        end = offset + len(line) + 1
        atx = _ATX.match(line)
        if atx:
            found.append((offset, end, len(atx.group(1)), atx.group(2).strip()))
            continue
        setext = _SETEXT.match(line)
        if setext and index > 0:
            prev_offset, prev = lines[index - 1]
            already = bool(found) and found[-1][0] == prev_offset
            if prev.strip() and not already and not _ATX.match(prev):
                level = 1 if setext.group(1)[0] == "=" else 2
                found.append((prev_offset, end, level, prev.strip()))
    return found


def _rst_headings(text: str) -> list[tuple[int, int, int, str]]:
    """Title lines with an underline (and optional overline) of one repeated punctuation mark.

    Levels follow the order in which adornment styles first appear, as reStructuredText does.
    """
    lines = _lines(text)
    styles: list[tuple[str, bool]] = []
    found: list[tuple[int, int, int, str]] = []
    index = 0
    while index < len(lines) - 1:
        offset, line = lines[index]
        title = line.strip()
        under = _RST_ADORNMENT.match(lines[index + 1][1])
        if title and not _RST_ADORNMENT.match(line) and under:
            mark = under.group(1)
            if len(lines[index + 1][1].rstrip()) >= len(title):
                overline = index > 0 and lines[index - 1][1].strip() == lines[index + 1][1].strip()
                style = (mark, overline)
                if style not in styles:
                    styles.append(style)
                start = lines[index - 1][0] if overline else offset
                body = lines[index + 2][0] if index + 2 < len(lines) else len(text)
                found.append((start, body, styles.index(style) + 1, title))
                index += 2
                continue
        index += 1
    return found


# --- units and packing ---------------------------------------------------------------------------


def _spans(text: str, start: int, end: int, separator: re.Pattern[str]) -> Iterator[_Span]:
    """Non-blank pieces of text[start:end] between separators, trimmed of whitespace."""
    position = start
    for match in separator.finditer(text, start, end):
        yield from _trimmed(text, position, match.start())
        position = match.end()
    yield from _trimmed(text, position, end)


def _trimmed(text: str, start: int, end: int) -> Iterator[_Span]:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return
    left = start + (len(piece) - len(piece.lstrip()))
    yield _Span(left, left + len(stripped), count_tokens(stripped))


def _units(text: str, start: int, end: int, budget: int) -> Iterator[_Span]:
    """Paragraphs; sentences of a paragraph over budget; word windows of a sentence over it."""
    for paragraph in _spans(text, start, end, _PARAGRAPH_BREAK):
        if paragraph.tokens <= budget:
            yield paragraph
            continue
        for sentence in _spans(text, paragraph.start, paragraph.end, _SENTENCE_END):
            if sentence.tokens <= budget:
                yield sentence
            else:
                yield from _windows(text, sentence, budget)


def _windows(text: str, span: _Span, budget: int) -> Iterator[_Span]:
    tokens = list(_TOKEN.finditer(text, span.start, span.end))
    for first in range(0, len(tokens), budget):
        window = tokens[first : first + budget]
        yield _Span(window[0].start(), window[-1].end(), len(window))


def _pack(units: list[_Span], budget: int, overlap: int) -> list[tuple[int, int]]:
    """Greedy packing of units into [first, last) ranges, each ending with new units."""
    ranges: list[tuple[int, int]] = []
    fresh = 0  # the first unit no chunk holds yet
    start = 0
    while fresh < len(units):
        # Overlap yields to progress: drop carried units until the first fresh one fits.
        while start < fresh and sum(u.tokens for u in units[start : fresh + 1]) > budget:
            start += 1
        end = fresh + 1
        total = sum(u.tokens for u in units[start:end])
        while end < len(units) and total + units[end].tokens <= budget:
            total += units[end].tokens
            end += 1
        ranges.append((start, end))
        fresh = start = end
        carried = 0
        # Never carry the whole chunk: the next one must differ by more than its tail.
        while start - 1 > ranges[-1][0] and carried + units[start - 1].tokens <= overlap:
            start -= 1
            carried += units[start].tokens
    return ranges

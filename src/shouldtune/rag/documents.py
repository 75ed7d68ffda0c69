"""Reading a docs folder: .md, .txt, .rst, .html and .pdf, and nothing outside the folder.

Every path that is read goes through `inside`, which refuses absolute paths, `..` components
and symbolic links that resolve outside the folder. A file that cannot be used (refused, too
large, undecodable, an unparseable PDF) is listed with its reason instead of stopping the run:
one bad file in a folder of hundreds should not cost the whole measurement.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from shouldtune.rag import RagError

Layout = Literal["markdown", "rst", "text"]

_KINDS: dict[str, str] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".rst": "rst",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}
SUPPORTED_SUFFIXES = tuple(sorted(_KINDS))


class DocsError(RagError):
    """A docs folder that cannot be used at all, or a path that would leave it."""


@dataclass(frozen=True)
class Document:
    """One readable file: its text as the chunker sees it, and where it came from."""

    path: str  # relative to the docs folder, POSIX separators: what answers cite
    layout: Layout
    text: str
    sha256: str  # of the file's bytes: the key of its cached embeddings
    page_starts: tuple[int, ...] = ()  # character offsets where PDF pages begin

    def page_at(self, offset: int) -> int | None:
        """The 1-based PDF page holding a character offset (None for other files)."""
        if not self.page_starts:
            return None
        page = 0
        for index, start in enumerate(self.page_starts):
            if start <= offset:
                page = index
        return page + 1


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass(frozen=True)
class DocumentSet:
    root: Path
    documents: tuple[Document, ...]
    skipped: tuple[Skipped, ...]
    total_bytes: int

    def corpus_sha256(self) -> str:
        """One hash for the whole folder's readable content (paths and file hashes)."""
        lines = "\n".join(f"{d.path}\t{d.sha256}" for d in self.documents)
        return hashlib.sha256(lines.encode()).hexdigest()

    def summary(self) -> dict[str, Any]:
        return {
            "folder": str(self.root),
            "documents": len(self.documents),
            "bytes": self.total_bytes,
            "corpus_sha256": self.corpus_sha256(),
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
        }


def inside(root: Path, relative: str) -> Path:
    """The real path of `relative` within `root`, or DocsError naming the path.

    Refused: absolute paths, any `..` component, and anything whose resolved location
    (after following symbolic links) is not inside the resolved root.
    """
    pure = PurePosixPath(relative.replace("\\", "/"))
    if pure.is_absolute() or Path(relative).is_absolute() or re.match(r"^[A-Za-z]:", relative):
        raise DocsError(f"{relative}: absolute paths are refused; give a path inside {root}")
    if ".." in pure.parts:
        raise DocsError(f"{relative}: '..' is refused; nothing outside {root} is read")
    base = root.resolve()
    target = (base / pure).resolve()
    if not target.is_relative_to(base):
        raise DocsError(f"{relative}: refused, it resolves to {target}, outside {base}")
    return target


def require_documents(found: DocumentSet) -> DocumentSet:
    """The set itself, or DocsError when nothing in the folder could be read."""
    if not found.documents:
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in found.skipped[:5])
        raise DocsError(
            f"{found.root}: no readable documents" + (f" ({reasons})" if reasons else "")
        )
    return found


def read_documents(root: Path, *, max_file_bytes: int, max_total_bytes: int) -> DocumentSet:
    """Every supported file under root (sorted, hidden files ignored), with the skips listed."""
    if not root.exists():
        raise DocsError(f"{root}: the docs folder does not exist")
    if not root.is_dir():
        raise DocsError(f"{root}: docs must be a folder of documents, not a file")
    documents: list[Document] = []
    skipped: list[Skipped] = []
    total = 0
    for relative in _walk(root, skipped):
        suffix = PurePosixPath(relative).suffix.lower()
        kind = _KINDS.get(suffix)
        if kind is None:
            skipped.append(Skipped(relative, f"unsupported file type '{suffix or relative}'"))
            continue
        try:
            target = inside(root, relative)
        except DocsError as error:
            skipped.append(Skipped(relative, f"refused: {error}"))
            continue
        except (OSError, RuntimeError) as error:  # a symbolic link loop, for one
            skipped.append(Skipped(relative, f"cannot resolve: {error}"))
            continue
        try:
            info = target.stat()
        except OSError as error:
            skipped.append(Skipped(relative, f"cannot read: {error.strerror or error}"))
            continue
        if not stat.S_ISREG(info.st_mode):
            # A named pipe would block the read forever; devices and sockets are not documents.
            skipped.append(Skipped(relative, "not a regular file"))
            continue
        size = info.st_size
        if size > max_file_bytes:
            skipped.append(
                Skipped(relative, f"{size} bytes, over max_file_bytes ({max_file_bytes})")
            )
            continue
        if total + size > max_total_bytes:
            skipped.append(
                Skipped(
                    relative,
                    f"would bring the folder to {total + size} bytes, over max_total_bytes "
                    f"({max_total_bytes})",
                )
            )
            continue
        try:
            data = _read_regular(target, max_file_bytes)
        except OSError as error:
            skipped.append(Skipped(relative, f"cannot read: {error.strerror or error}"))
            continue
        try:
            parsed = _parse(relative, kind, data)
        except Exception as error:  # a parser's bug on a hostile file costs that file only
            parsed = Skipped(relative, f"cannot parse: {type(error).__name__}: {error}")
        if isinstance(parsed, Skipped):
            skipped.append(parsed)
            continue
        total += size
        documents.append(parsed)
    return DocumentSet(root, tuple(documents), tuple(skipped), total)


def _read_regular(path: Path, max_bytes: int) -> bytes:
    """The file's bytes; opened without blocking and checked again, in case it was swapped for
    a pipe after the stat."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(0, "not a regular file")
        return handle.read(max_bytes + 1)


MAX_FOLDER_DEPTH = 32


def _walk(root: Path, skipped: list[Skipped]) -> list[str]:
    """Relative POSIX paths of the files under root; linked folders are never descended."""
    base = root.resolve()
    found: list[str] = []
    for folder, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(folder)
        kept = []
        for name in sorted(dirnames):
            if name.startswith("."):
                continue
            path = here / name
            if path.is_symlink():
                relative = path.relative_to(root).as_posix()
                try:
                    target = path.resolve()
                except (OSError, RuntimeError) as error:  # a loop of links
                    skipped.append(Skipped(relative, f"cannot resolve: {error}"))
                    continue
                if not target.is_relative_to(base):
                    skipped.append(
                        Skipped(relative, f"refused: a link to {target}, outside {base}")
                    )
                # A link to a folder inside root would only read the same files twice.
                continue
            kept.append(name)
        if kept and len(here.relative_to(root).parts) >= MAX_FOLDER_DEPTH:
            # os.walk recurses once per level: a tree thousands deep would exhaust the stack.
            for name in kept:
                relative = (here / name).relative_to(root).as_posix()
                skipped.append(Skipped(relative, f"deeper than {MAX_FOLDER_DEPTH} folders"))
            kept = []
        dirnames[:] = kept
        found.extend(
            (here / name).relative_to(root).as_posix()
            for name in sorted(filenames)
            if not name.startswith(".")
        )
    return sorted(found)


def _parse(relative: str, kind: str, data: bytes) -> Document | Skipped:
    digest = hashlib.sha256(data).hexdigest()
    page_starts: tuple[int, ...] = ()
    layout: Layout
    if kind == "pdf":
        pages = _pdf_pages(data)
        if isinstance(pages, str):
            return Skipped(relative, pages)
        text, page_starts = _join_pages(pages)
        layout = "text"
    elif kind == "html":
        text = html_to_text(data)
        layout = "markdown"
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            return Skipped(relative, f"not UTF-8 text (undecodable byte at offset {error.start})")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        layout = "rst" if kind == "rst" else "markdown" if kind == "markdown" else "text"
    if not text.strip():
        return Skipped(relative, "no text in the file")
    return Document(relative, layout, text, digest, page_starts)


def _pdf_pages(data: bytes) -> list[str] | str:
    """The text of each page, or the reason the PDF cannot be read."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            return "encrypted PDF (no password is tried beyond the empty one)"
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as error:
        return f"cannot read the PDF: {error}"
    if not any(page.strip() for page in pages):
        return "the PDF has no text layer (scanned pages are not read)"
    return pages


def _join_pages(pages: list[str]) -> tuple[str, tuple[int, ...]]:
    starts: list[int] = []
    parts: list[str] = []
    offset = 0
    for page in pages:
        starts.append(offset)
        chunk = page.strip() + "\n\n"
        parts.append(chunk)
        offset += len(chunk)
    return "".join(parts), tuple(starts)


_BLOCKS = (
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "aside",
    "pre",
    "blockquote",
    "table",
    "tr",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
)
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_BLANKS = re.compile(r"\n{3,}")


# Elements whose content is no document text (inside <head> only the title would be).
_HIDDEN = frozenset({"script", "style", "noscript", "template", "head", "svg"})
_HEADINGS = {f"h{level}": level for level in range(1, 7)}


class _TextOfHtml(HTMLParser):
    """One pass over the tags, so a long manual reads in time linear in its size.

    (Moving nodes in a parsed tree, as the first version did with BeautifulSoup, costs a scan
    of the siblings each time: a 2 MB page of flat paragraphs never finished.)
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden: list[str] = []  # the open hidden elements, innermost last
        self.heading: tuple[int, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self.hidden = [t for t in self.hidden if t != "head"]  # </head> is optional
        if tag in _HIDDEN:
            self.hidden.append(tag)
        elif self.hidden:
            return
        elif tag in _HEADINGS:
            self.heading = (_HEADINGS[tag], [])
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" and not self.hidden:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            if tag in self.hidden:
                while self.hidden and self.hidden.pop() != tag:
                    pass
        elif self.hidden:
            return
        elif tag in _HEADINGS and self.heading is not None:
            level, words = self.heading
            self.heading = None
            title = " ".join(" ".join(words).split())
            self.parts.append(f"\n\n{'#' * level} {title}\n\n" if title else "\n\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        if self.heading is not None:
            self.heading[1].append(data)
        else:
            self.parts.append(data)


def html_to_text(data: bytes) -> str:
    """HTML as Markdown-shaped text: headings become '#' lines, blocks become paragraphs.

    Keeping the headings lets the chunker split an HTML page by its sections like a
    Markdown file; scripts, styles and the <head> carry no document text.
    """
    from bs4.dammit import UnicodeDammit  # the page's encoding, as a browser would guess it

    parser = _TextOfHtml()
    parser.feed(UnicodeDammit(data, is_html=True).unicode_markup or "")
    parser.close()
    lines = [_SPACES.sub(" ", line).strip() for line in "".join(parser.parts).split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip() + "\n"

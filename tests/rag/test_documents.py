"""Reading a docs folder: every format, and nothing outside the folder."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from shouldtune.rag.documents import DocsError, DocumentSet, html_to_text, inside, read_documents
from tests.rag.pdf import tiny_pdf

BIG = 10_000


def read(root: Path, *, max_file_bytes: int = BIG, max_total_bytes: int = 10 * BIG) -> DocumentSet:
    return read_documents(root, max_file_bytes=max_file_bytes, max_total_bytes=max_total_bytes)


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """A docs folder with links out of it, a `..` link, an oversized and an undecodable file."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("SECRET outside the docs folder\n")
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "guide.md").write_text("# Guide\n\nThe widget is blue.\n")
    (docs / "sub" / "notes.txt").write_text("Notes about the widget.\n")
    (docs / "leak.md").symlink_to("../outside/secret.md")  # a `..` path out of the folder
    (docs / "absolute.md").symlink_to(outside / "secret.md")  # an absolute one
    (docs / "away").symlink_to(outside, target_is_directory=True)  # a linked folder
    (docs / "alias.md").symlink_to("guide.md")  # inside: allowed
    (docs / "huge.txt").write_text("x" * (BIG + 1))
    (docs / "latin1.txt").write_bytes("caf\xe9 au lait\n".encode("latin-1"))
    (docs / "picture.png").write_bytes(b"\x89PNG\r\n")
    (docs / ".hidden.md").write_text("not read\n")
    return docs


def test_links_leaving_the_folder_are_refused_and_named(hostile: Path) -> None:
    found = read(hostile)
    paths = [d.path for d in found.documents]
    assert paths == ["alias.md", "guide.md", "sub/notes.txt"]
    assert all("SECRET" not in d.text for d in found.documents)
    reasons = {s.path: s.reason for s in found.skipped}
    outside = (hostile.parent / "outside").resolve()
    for name in ("leak.md", "absolute.md", "away"):
        assert reasons[name].startswith("refused"), reasons[name]
        assert str(outside) in reasons[name]


def test_oversized_undecodable_and_unsupported_files_are_listed_not_fatal(hostile: Path) -> None:
    reasons = {s.path: s.reason for s in read(hostile).skipped}
    assert reasons["huge.txt"] == f"{BIG + 1} bytes, over max_file_bytes ({BIG})"
    assert reasons["latin1.txt"].startswith("not UTF-8 text")
    assert "unsupported file type '.png'" in reasons["picture.png"]
    assert ".hidden.md" not in reasons


def test_inside_refuses_dotdot_and_absolute_paths(hostile: Path) -> None:
    with pytest.raises(DocsError, match=r"\.\./outside/secret\.md: '\.\.' is refused"):
        inside(hostile, "../outside/secret.md")
    with pytest.raises(DocsError, match=re.escape("sub/../../x.md")):
        inside(hostile, "sub/../../x.md")
    with pytest.raises(DocsError, match="absolute paths are refused"):
        inside(hostile, "/etc/passwd")
    with pytest.raises(DocsError, match="outside"):
        inside(hostile, "leak.md")
    assert inside(hostile, "sub/notes.txt") == (hostile / "sub" / "notes.txt").resolve()


def test_total_cap_skips_what_does_not_fit(tmp_path: Path) -> None:
    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_text("y" * 40)
    found = read(tmp_path, max_total_bytes=100)
    assert [d.path for d in found.documents] == ["a.txt", "b.txt"]
    (skipped,) = found.skipped
    assert skipped.path == "c.txt" and "max_total_bytes (100)" in skipped.reason


def test_missing_folder_and_file_instead_of_folder_are_errors(tmp_path: Path) -> None:
    with pytest.raises(DocsError, match="does not exist"):
        read(tmp_path / "nope")
    (tmp_path / "file.md").write_text("x")
    with pytest.raises(DocsError, match="not a file"):
        read(tmp_path / "file.md")


def test_html_keeps_headings_and_paragraphs_and_drops_scripts() -> None:
    html = (
        b"<html><head><title>T</title><style>p{}</style></head><body>"
        b"<h1>Support</h1><p>Call us   on weekdays.</p><h2>Chat</h2>"
        b"<ul><li>One</li><li>Two</li></ul><script>alert('x')</script></body></html>"
    )
    text = html_to_text(html)
    assert text == "# Support\n\nCall us on weekdays.\n\n## Chat\n\n- One\n- Two\n"


def test_every_format_is_read(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A\n\nmarkdown text\n")
    (tmp_path / "b.rst").write_text("B\n=\n\nrst text\n")
    (tmp_path / "c.txt").write_text("\ufeffplain text\r\nsecond line\n")
    (tmp_path / "d.html").write_text("<h1>D</h1><p>html text</p>")
    (tmp_path / "e.pdf").write_bytes(tiny_pdf(["pdf page one", "pdf page two"]))
    (tmp_path / "f.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (tmp_path / "g.md").write_text("   \n")
    found = read(tmp_path)
    docs = {d.path: d for d in found.documents}
    assert [docs[p].layout for p in ("a.md", "b.rst", "c.txt", "d.html", "e.pdf")] == [
        "markdown",
        "rst",
        "text",
        "markdown",
        "text",
    ]
    assert docs["c.txt"].text == "plain text\nsecond line\n"  # BOM and CRLF gone
    assert docs["d.html"].text == "# D\n\nhtml text\n"
    pdf = docs["e.pdf"]
    assert "pdf page one" in pdf.text and "pdf page two" in pdf.text
    assert pdf.page_at(pdf.text.index("two")) == 2 and pdf.page_at(0) == 1
    reasons = {s.path: s.reason for s in found.skipped}
    assert reasons["f.pdf"].startswith("cannot read the PDF")
    assert reasons["g.md"] == "no text in the file"


def test_same_content_same_hash_and_corpus_hash_tracks_changes(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("same\n")
    (tmp_path / "b.md").write_text("same\n")
    first = read(tmp_path)
    a, b = first.documents
    assert a.sha256 == b.sha256
    os.utime(tmp_path / "a.md", (1, 1))
    assert read(tmp_path).corpus_sha256() == first.corpus_sha256()
    (tmp_path / "b.md").write_text("changed\n")
    assert read(tmp_path).corpus_sha256() != first.corpus_sha256()


def test_a_very_deep_tree_is_read_to_a_depth_and_says_where_it_stopped(tmp_path: Path) -> None:
    from shouldtune.rag.documents import MAX_FOLDER_DEPTH

    (tmp_path / "top.md").write_text("# Top\n\ntext\n")
    deep = tmp_path
    for _ in range(3 * MAX_FOLDER_DEPTH):
        deep = deep / "d"
    deep.mkdir(parents=True)
    (deep / "bottom.md").write_text("# Bottom\n\ntext\n")
    found = read(tmp_path)
    assert [d.path for d in found.documents] == ["top.md"]
    assert [s.reason for s in found.skipped] == [f"deeper than {MAX_FOLDER_DEPTH} folders"]


def test_a_long_flat_html_manual_reads_in_linear_time() -> None:
    import time

    def seconds(blocks: int) -> float:
        page = b"<html><body>" + b"<p>a paragraph of the manual</p><br>" * blocks + b"</body>"
        began = time.perf_counter()
        text = html_to_text(page)
        assert text.count("a paragraph") == blocks
        return time.perf_counter() - began

    # Ten times the blocks in well under a hundred times the time (quadratic would be ~100x).
    small, large = seconds(2_000), seconds(20_000)
    assert large < 30 * max(small, 1e-3)

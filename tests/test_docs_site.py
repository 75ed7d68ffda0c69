"""The docs site: every docs/ page is in mkdocs.yml's nav, and the README stays short.

A page added without a nav entry builds (as an omitted file) but no reader finds it, so this
test names it. The strict build itself (`make docs`) runs in .ci/run.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _nav_pages(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [page for item in node for page in _nav_pages(item)]
    if isinstance(node, dict):
        return [page for value in node.values() for page in _nav_pages(value)]
    return []


def test_every_docs_page_is_in_the_nav() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    listed = set(_nav_pages(config["nav"]))
    pages = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert not pages - listed, f"add to mkdocs.yml nav: {sorted(pages - listed)}"
    assert not listed - pages, f"nav names missing pages: {sorted(listed - pages)}"


def test_readme_is_short_and_points_at_the_docs() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 250
    for page in ("docs/concepts.md", "docs/spec.md"):
        assert page in readme
        assert (ROOT / page).exists()

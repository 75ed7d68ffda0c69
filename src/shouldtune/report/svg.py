"""A tiny SVG element builder that escapes every text and attribute value.

Chart labels are user data (rung names, labels from the examples file), so nothing reaches
the page without going through `markupsafe.escape`; only the builder's own output is
trusted as Markup.
"""

from __future__ import annotations

from collections.abc import Mapping

from markupsafe import Markup, escape

Attrs = Mapping[str, str | int | float | None]


def num(value: float) -> str:
    """Coordinates with two decimals at most: short files, no '1e-17'."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _attrs(attrs: Attrs) -> str:
    parts = []
    for key, value in attrs.items():
        if value is None:
            continue
        shown = num(value) if isinstance(value, float) else str(value)
        parts.append(f' {key.rstrip("_").replace("_", "-")}="{escape(shown)}"')
    return "".join(parts)


def el(tag: str, attrs: Attrs | None = None, *children: Markup | str) -> Markup:
    """`<tag attrs>children</tag>`; str children are escaped, Markup children kept."""
    inner = "".join(str(escape(child)) for child in children)
    return Markup(f"<{tag}{_attrs(attrs or {})}>{inner}</{tag}>")


def text(x: float, y: float, content: str, **attrs: str | int | float | None) -> Markup:
    return el("text", {"x": float(x), "y": float(y), **attrs}, content)


def title(content: str) -> Markup:
    """A hover tooltip for the enclosing element."""
    return el("title", None, content)


def svg(
    name: str, width: float, height: float, label: str, *children: Markup | str, series: int = 1
) -> Markup:
    """The root element. `data-chart` names the chart for tests and for the page's own CSS;
    `data-series` counts what it draws in different colours when that is more than one, and
    each legend entry carries `data-legend`, so a test can tell a chart without a legend."""
    return el(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "data-chart": name,
            "data-series": series if series > 1 else None,
            "viewBox": f"0 0 {num(width)} {num(height)}",
            "width": float(width),
            "height": float(height),
            "role": "img",
            "aria-label": label,
            "class": "chart",
        },
        title(label),
        *children,
    )


def truncate(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"

"""User text made safe for a terminal line: no markup opened, no control sequence sent.

Inputs, labels, file names and task names come from other people's files. Rich's own escape
stops them opening markup (`[bold]`), but an ESC byte passes through it, so a dataset could
recolour the terminal, retitle its window or move the cursor. Every terminal line that shows
user text goes through `escape` here: control characters are shown as `\\xNN` (tab and
newline kept), then markup is escaped.
"""

from __future__ import annotations

import re

from rich.markup import escape as escape_markup

# C0 controls but tab and newline, DEL, and the C1 range (0x9b alone is a CSI on some terminals).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """Control characters as `\\xNN`, so a person sees them and a terminal does not obey them."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def escape(text: str) -> str:
    """User text for a Rich line: control characters visible, markup escaped."""
    return escape_markup(visible(text))

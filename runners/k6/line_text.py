"""Makes a line printed by k6 (or by the script through it) safe to show and to keep: no control
sequences that would drive the user's terminal, and a bounded length with a marker where it was cut."""

from __future__ import annotations

import re

MAX_LINE_CHARS = 2000  # a line longer than this is cut, on screen and in the record
# CSI (`ESC [ ... final`), OSC (`ESC ] ... BEL|ST`, e.g. a window-title change), DCS/SOS/PM/APC strings,
# two-byte escapes, then any C0/C1 control left (tab excepted: it becomes spaces).
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x9b[0-?]*[ -/]*[@-~]"
    r"|\x9d[^\x07\x9c]*[\x07\x9c]?"
    r"|\x1b[ -~]?"
)
_CONTROLS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def strip_controls(text: str) -> str:
    """The text with terminal escape sequences and control characters removed (tabs become spaces).

    Args:
        text: One line as printed.

    Returns:
        Printable text only.
    """
    if text.isprintable():
        return text
    text = _ESCAPES.sub("", text)
    return _CONTROLS.sub("", text.replace("\t", "    "))


def cut_marker(cut_chars: int) -> str:
    """The note that ends a line that was cut."""
    return f" … [line cut: {cut_chars:,} more characters]"


def bounded(text: str, already_cut: int = 0, limit: int = MAX_LINE_CHARS) -> str:
    """The text cut at `limit` characters, with a marker saying how much was dropped.

    Args:
        text: The line (control sequences already removed).
        already_cut: Characters dropped before this call (a reader that stopped reading a huge line).
        limit: The most characters kept.

    Returns:
        The line, whole when it fits.
    """
    extra = max(0, len(text) - limit)
    if not extra and not already_cut:
        return text
    return text[:limit] + cut_marker(extra + already_cut)


def clean_line(text: str, already_cut: int = 0) -> str:
    """A printed line made safe to show and keep: controls stripped, length bounded."""
    return bounded(strip_controls(text), already_cut)

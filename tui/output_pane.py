"""k6's own output: bounded, wrapped to the pane's width, following new lines unless the user scrolled up."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.events import Resize
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from runners.model.frames import OutputLine

LOADWATCH_PREFIX = "▸ "
"""Marks the lines loadwatch itself wrote, so they stay recognisable without colour."""
CONTINUATION = "  "
"""Starts every wrapped row after a line's first, so a wrapped line reads as one."""

# k6 logs in logfmt (`time="..." level=warning msg="..."`) or, with --log-format json, `"level":"warning"`.
_LEVEL = re.compile(r'(?:\blevel=|"level":)"?(?P<level>error|fatal|panic|warning|warn)\b')


def line_kind(text: str) -> str:
    """How a line is styled: "loadwatch", "error", "warning" or "" (plain).

    Args:
        text: The line as shown.

    Returns:
        The kind, which names the component class `output-pane--<kind>`.
    """
    if text.startswith(LOADWATCH_PREFIX):
        return "loadwatch"
    if (match := _LEVEL.search(text)) is not None:
        return "warning" if match["level"].startswith("warn") else "error"
    return ""


def wrap_cuts(text: str, width: int) -> list[int]:
    """Where a line breaks into rows of at most `width` cells (the first row is wider by the indent).

    Args:
        text: The line.
        width: The pane's width in cells.

    Returns:
        The start offsets of each row, beginning with 0.
    """
    if width <= len(CONTINUATION) + 1:
        return [0]
    cuts = [0]
    room = width
    if text.isascii():  # the common case: one cell per character
        pos = width
        while pos < len(text):
            cuts.append(pos)
            pos += width - len(CONTINUATION)
        return cuts
    used = 0
    for i, ch in enumerate(text):
        w = cell_len(ch)
        if used + w > room:
            cuts.append(i)
            room = width - len(CONTINUATION)
            used = 0
        used += w
    return cuts


class OutputPane(ScrollView, can_focus=True):
    """A line-API view (renders only the visible rows) of at most `max_lines` lines, wrapped, following."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "output-pane--error",
        "output-pane--warning",
        "output-pane--loadwatch",
    }

    def __init__(self, *, max_lines: int = 2000, id: str | None = None) -> None:
        """Create the pane.

        Args:
            max_lines: How many lines to keep; older ones are dropped.
            id: The widget id.
        """
        super().__init__(id=id)
        self.max_lines = max_lines
        self._lines: deque[tuple[str, str]] = deque(maxlen=max_lines)  # (text, kind)
        self._first = 0  # absolute number of the oldest kept line
        self._rows: list[tuple[int, int, int]] = []  # (absolute line, start, end) of each wrapped row
        self._wrapped_at = 0
        self._moving = False  # set while this pane scrolls itself, so only the user can stop following
        self.following = True
        """True while new lines scroll into view; the user scrolling up turns it off, End turns it on."""
        self.unseen = 0
        """Lines that arrived while not following."""
        self.lines_dropped = 0
        """Lines not shown because more arrived at once than the pane keeps."""

    @property
    def lines(self) -> list[str]:
        """The kept lines, oldest first."""
        return [text for text, _ in self._lines]

    @property
    def line_count(self) -> int:
        """How many lines are kept."""
        return len(self._lines)

    def append(self, lines: Iterable[OutputLine], dropped: int = 0) -> None:
        """Write a batch of output lines at once.

        Args:
            lines: New lines, oldest first.
            dropped: How many lines before these were dropped on the way (said in a note).
        """
        texts: list[str] = []
        for line in lines:
            prefix = LOADWATCH_PREFIX if line.stream == "loadwatch" else ""
            texts.extend(f"{prefix}{part}" for part in line.text.splitlines() or [""])
        skipped = dropped
        keep = self.max_lines - 1 if skipped or len(texts) > self.max_lines else self.max_lines
        if len(texts) > keep:
            skipped += len(texts) - keep
            texts = texts[len(texts) - keep :]
        if skipped:
            texts.insert(0, f"{LOADWATCH_PREFIX}{skipped:,} output lines skipped (more than the pane keeps)")
            self.lines_dropped += skipped
        if texts:
            self.write_lines(texts)

    def clear(self) -> None:
        """Forget every line (a replay jumped to another position)."""
        self._first += len(self._lines)
        self._lines.clear()
        self._rows = []
        self.unseen = 0
        self._update_size()
        self._show_hint()

    def write_lines(self, texts: list[str]) -> None:
        """Add lines, wrap them at the current width and follow them when following.

        Args:
            texts: The lines, oldest first.
        """
        overflow = max(0, len(self._lines) + len(texts) - self.max_lines)
        start = self._first + len(self._lines)
        self._lines.extend((t, line_kind(t)) for t in texts)
        self._first += overflow
        if not self.following:
            self.unseen += len(texts)
        if self._wrapped_at:
            width = self._wrapped_at
            if overflow:
                self._rows = [r for r in self._rows if r[0] >= self._first]
            for n, text in enumerate(texts, start):
                if n >= self._first:
                    self._rows.extend(self._wrap(n, text, width))
        self._update_size()
        self._show_hint()

    def _wrap(self, n: int, text: str, width: int) -> list[tuple[int, int, int]]:
        cuts = wrap_cuts(text, width)
        return [(n, a, b) for a, b in zip(cuts, [*cuts[1:], len(text)], strict=True)]

    def _rewrap(self) -> None:
        width = self.scrollable_content_region.width
        if width <= 0:
            return  # hidden: wrapped when it is shown
        self._wrapped_at = width
        self._rows = []
        for n, (text, _) in enumerate(self._lines, self._first):
            self._rows.extend(self._wrap(n, text, width))
        self._update_size()

    def _update_size(self) -> None:
        size = Size(self._wrapped_at, len(self._rows))
        if size != self.virtual_size:
            # Not `self.virtual_size = size`: that reactive asks for a layout of the whole screen on every
            # batch of lines; the pane's own size does not change, only its scroll range does.
            self.set_reactive(OutputPane.virtual_size, size)
            self._scroll_update(size)
        if self.following:
            self.follow()
        else:
            self.refresh()

    def follow(self) -> None:
        """Scroll to the last line and keep following new ones."""
        self.following = True
        self.unseen = 0
        self._moving = True
        try:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)
        finally:
            self._moving = False
        self._show_hint()
        self.refresh()

    def _show_hint(self) -> None:
        self.border_subtitle = "" if self.following else f"{self.unseen:,} new lines · End to follow"

    def on_resize(self, _event: Resize) -> None:
        """Wrap again at the new width (also when the pane is shown after a tab switch)."""
        self._rewrap()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Stop following when the user scrolls up; follow again when they reach the bottom."""
        super().watch_scroll_y(old_value, new_value)
        if self._moving or not self._wrapped_at:
            return
        at_end = new_value >= self.max_scroll_y
        if at_end != self.following:
            if at_end:
                self.follow()
            elif new_value < old_value:
                self.following = False
                self._show_hint()

    def render_line(self, y: int) -> Strip:
        """Render one visible row.

        Args:
            y: The row on screen.

        Returns:
            The row.
        """
        width = self.scrollable_content_region.width
        index = round(self.scroll_y) + y
        base = self.rich_style
        if index >= len(self._rows) or index < 0:
            return Strip.blank(width, base)
        n, a, b = self._rows[index]
        text, kind = self._lines[n - self._first]
        style = base + self.get_component_rich_style(f"output-pane--{kind}", partial=True) if kind else base
        part = text[a:b] if a == 0 else CONTINUATION + text[a:b]
        return Strip([Segment(part, style)]).crop_extend(0, width, base)

    def line_style(self, kind: str) -> Style:
        """The style of a kind of line (for tests).

        Args:
            kind: "error", "warning" or "loadwatch".

        Returns:
            The style.
        """
        return self.get_component_rich_style(f"output-pane--{kind}", partial=True)

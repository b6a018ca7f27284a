"""k6's own output, bounded, with errors, warnings and loadwatch's notes styled apart."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import ClassVar

from rich.highlighter import Highlighter
from rich.style import Style
from rich.text import Text
from textual.widgets import Log

from runners.model.frames import OutputLine

LOADWATCH_PREFIX = "▸ "
"""Marks the lines loadwatch itself wrote, so they stay recognisable without colour."""

# k6 logs in logfmt (`time="..." level=warning msg="..."`) or, with --log-format json, `"level":"warning"`.
_LEVEL = re.compile(r'(?:\blevel=|"level":)"?(?P<level>error|fatal|panic|warning|warn)\b')


class OutputHighlighter(Highlighter):
    """Styles a whole line by what it is, with styles looked up by component class name."""

    def __init__(self, style_for: Callable[[str], Style]) -> None:
        """Create the highlighter.

        Args:
            style_for: Returns the style of a component class (cached by Textual, so cheap per line).
        """
        self.style_for = style_for

    def highlight(self, text: Text) -> None:
        """Style one line in place.

        Args:
            text: The line.
        """
        plain = text.plain
        if plain.startswith(LOADWATCH_PREFIX):
            text.stylize(self.style_for("output-pane--loadwatch"))
        elif (match := _LEVEL.search(plain)) is not None:
            kind = "warning" if match["level"].startswith("warn") else "error"
            text.stylize(self.style_for(f"output-pane--{kind}"))


class OutputPane(Log):
    """A `Log` (renders only the visible lines) capped at `max_lines`, written once per frame."""

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
        super().__init__(highlight=True, max_lines=max_lines, auto_scroll=True, id=id)
        self.highlighter = OutputHighlighter(self._line_style)
        self.lines_dropped = 0
        """Lines not shown because more arrived at once than the pane keeps."""

    def _line_style(self, component: str) -> Style:
        return self.get_component_rich_style(component, partial=True)

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
        limit = self.max_lines
        if limit is not None:
            # Only the last lines could stay anyway: skip writing and pruning the rest, and keep a row
            # for the note that says lines were skipped.
            keep = limit - 1 if skipped or len(texts) > limit else limit
            if len(texts) > keep:
                skipped += len(texts) - keep
                texts = texts[len(texts) - keep :]
        if skipped:
            texts.insert(0, f"{LOADWATCH_PREFIX}{skipped:,} output lines skipped (more than the pane keeps)")
            self.lines_dropped += skipped
        if texts:
            self.write_lines(texts)

"""The run's marks and events (rules, sources, state changes), with a flapping rule collapsed to one line."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from runners.model.frames import Mark, RunEvent
from runners.model.units import format_clock

MAX_GROUPS = 300
"""Event lines kept; older ones are dropped."""
COLLAPSE_DEPTH = 4
"""A new event joins one of this many latest lines when it is about the same rule or source."""


def subject_of(event: RunEvent) -> tuple[str, str]:
    """What an event is about, so a rule going pending/cancelled over and over folds into one line.

    Args:
        event: The event.

    Returns:
        (kind, subject): for a rule transition "rule metric", else the text without its numbers.
    """
    if event.kind == "breach" and ": " in event.text:
        head, rest = event.text.split(": ", 1)
        return event.kind, f"{head.split(' ', 1)[0]} {rest.split(' ', 1)[0]}"
    return event.kind, "".join(ch for ch in event.text if not ch.isdigit())


@dataclass(slots=True)
class EventGroup:
    """One line of the pane: the first event's time, the latest text, how many events it stands for."""

    key: tuple[str, str]
    first_t: float
    last_t: float
    kind: str
    text: str
    count: int = 1


class EventsPane(Static):
    """Marks first, then events newest last; the app hands every frame's events over, even when hidden."""

    def __init__(self, *, id: str | None = None) -> None:
        """Create the pane.

        Args:
            id: The widget id.
        """
        super().__init__("", id=id)
        self.groups: deque[EventGroup] = deque(maxlen=MAX_GROUPS)
        self._last_t = float("-inf")
        self._last_at_t: set[tuple[str, str]] = set()
        self._marks: tuple[Mark, ...] = ()
        self._started_at = 0.0
        self._dirty = True

    def add_events(self, events: tuple[RunEvent, ...], marks: tuple[Mark, ...], started_at: float) -> None:
        """Take the events not seen yet (frames repeat the most recent ones).

        Args:
            events: A frame's recent events, oldest first.
            marks: Every mark so far.
            started_at: The run's start (unix seconds), for run-time stamps.
        """
        self._started_at = started_at
        if marks != self._marks:
            self._marks = marks
            self._dirty = True
        for e in events:
            if e.kind == "mark" or e.t < self._last_t:
                continue
            if e.t == self._last_t and (e.kind, e.text) in self._last_at_t:
                continue
            if e.t > self._last_t:
                self._last_t = e.t
                self._last_at_t = set()
            self._last_at_t.add((e.kind, e.text))
            self._add(e)
            self._dirty = True

    def _add(self, e: RunEvent) -> None:
        key = subject_of(e)
        for group in list(self.groups)[-COLLAPSE_DEPTH:]:
            if group.key == key:
                group.count += 1
                group.last_t = e.t
                group.text = e.text
                return
        self.groups.append(EventGroup(key, e.t, e.t, e.kind, e.text))

    def redraw(self) -> None:
        """Draw the table if anything changed since the last draw (the app calls this when visible)."""
        if not self._dirty:
            return
        self._dirty = False
        table = Table(box=None, padding=(0, 1), expand=True, show_edge=False, header_style="bold")
        table.add_column("time", width=5, no_wrap=True)
        table.add_column("what", ratio=1)
        table.add_row("", Text("marks", style="bold"))
        for m in self._marks:
            note = Text(m.note) if m.note else Text("(instant mark)", style="dim")
            unsaved = Text("" if m.saved else "  (not saved yet)", style="bold")
            table.add_row(format_clock(m.elapsed_s), Text("⚑ ", style="bold") + note + unsaved)
        if not self._marks:
            table.add_row("", Text("no marks yet: m adds one with a note, M an instant one", style="dim"))
        table.add_row("", "")
        table.add_row("", Text("events (rules, sources, state)", style="bold"))
        for g in self.groups:
            line = Text(g.text, style="bold" if g.kind == "breach" and "CRITICAL" in g.text else "")
            if g.count > 1:
                span = format_clock(g.last_t - self._started_at)
                line.append(f"  ×{g.count} (last {span})", style="reverse" if g.kind == "breach" else "dim")
            table.add_row(format_clock(g.first_t - self._started_at), line)
        if not self.groups:
            table.add_row("", Text("no events yet", style="dim"))
        self.update(table)

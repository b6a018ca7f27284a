"""The marks typed during the run and the run's events (state changes, snapshots, breaches...)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from runners.model.frames import Mark, RunEvent
from tui.units import format_clock


class MarksPane(Static):
    """Marks first (newest last), then the recent events; times are run time (mm:ss)."""

    def show_marks(self, marks: tuple[Mark, ...], events: tuple[RunEvent, ...], started_at: float) -> None:
        """Redraw.

        Args:
            marks: All marks so far.
            events: The most recent events.
            started_at: The run's start (unix seconds), for run-time stamps.
        """
        table = Table(box=None, padding=(0, 1), expand=True, show_edge=False, header_style="bold")
        table.add_column("time", width=6)
        table.add_column("what")
        for m in marks:
            note = m.note or Text("(instant mark)", style="dim")
            unsaved = Text("" if m.saved else "  (not saved yet)", style="bold")
            table.add_row(
                format_clock(m.elapsed_s),
                Text("⚑ ", style="bold") + (note if isinstance(note, Text) else Text(note)) + unsaved,
            )
        if not marks:
            table.add_row("", Text("no marks yet: m adds one with a note, M an instant one", style="dim"))
        table.add_row("", "")
        table.add_row("", Text("events", style="bold"))
        for e in events[-30:]:
            if e.kind == "mark":
                continue
            table.add_row(format_clock(e.t - started_at), Text(f"{e.kind}: {e.text}", overflow="ellipsis"))
        self.update(table)

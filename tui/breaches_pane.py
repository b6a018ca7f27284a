"""The breaches pane: rules firing now on top (level, value, worst, since when), ended breaches below."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Static

from runners.model.rule_events import Breach
from runners.model.units import format_clock, format_seconds, format_value
from runners.rules.format import breach_label

TAGS = {"critical": "CRIT", "warning": "WARN"}
LABEL_WIDTH = 30
"""Rule name and glob match; with the rest a row is 74 columns, so it fits an 80-column terminal."""


def breach_clock(t: float, run_start_t: float | None) -> str:
    """A breach time as `mm:ss` into the run, or local `HH:MM:SS` when the run start is unknown.

    Args:
        t: Unix time.
        run_start_t: Unix time the run started, if known.

    Returns:
        The text.
    """
    if run_start_t is None:
        return time.strftime("%H:%M:%S", time.localtime(t))
    return format_clock(t - run_start_t)


def _fit(text: str, width: int) -> str:
    return text.ljust(width) if len(text) <= width else text[: width - 1] + "…"


def firing_row(b: Breach, run_start_t: float | None) -> str:
    """One line for a firing breach: level, rule (and what its glob matched), value now, worst, since when."""
    value = "no data" if b.data_missing else format_value(b.path, b.last)
    label = _fit(breach_label(b.rule, b.path, b.pattern), LABEL_WIDTH)
    worst = format_value(b.path, b.worst)
    return f"{TAGS[b.level]} {label} {value:>9} worst {worst:>9}  since {breach_clock(b.start, run_start_t)}"


def history_row(b: Breach, run_start_t: float | None) -> str:
    """One line for an ended breach: highest level, rule, from-to, duration, worst."""
    end = b.end if b.end is not None else b.start
    span = f"{breach_clock(b.start, run_start_t)}-{breach_clock(end, run_start_t)}"
    label = _fit(breach_label(b.rule, b.path, b.pattern), LABEL_WIDTH)
    worst = format_value(b.path, b.worst)
    return f"{TAGS[b.max_level]} {label} {span} {format_seconds(end - b.start):>6} worst {worst:>9}"


class BreachesPane(Vertical):
    """Shows breaches; the app calls `update_breaches` from each frame. Rows are reused, never rebuilt."""

    MAX_FIRING_ROWS: ClassVar[int] = 8
    """Firing rows shown; the rest are counted in a `+N more` line."""
    MAX_HISTORY_ROWS: ClassVar[int] = 20
    """Ended breaches shown, newest first."""

    DEFAULT_CSS = """
    BreachesPane {
        height: auto;
        max-height: 34;
        padding: 0 1;
    }
    BreachesPane Label {
        width: 1fr;
        height: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    BreachesPane .breaches-heading {
        color: $primary;
        text-style: bold;
    }
    BreachesPane .breach-row {
        display: none;
    }
    BreachesPane .breach-row.-shown {
        display: block;
    }
    BreachesPane .breach-row.-warning {
        color: $warning;
    }
    BreachesPane .breach-row.-critical {
        color: $error;
        text-style: bold;
    }
    BreachesPane .breach-row.-missing {
        text-style: italic;
    }
    BreachesPane:nocolor .breach-row.-critical {
        text-style: bold reverse;
    }
    BreachesPane #breaches-none, BreachesPane #breaches-more {
        color: $text-muted;
    }
    BreachesPane #breaches-waiting-title {
        display: none;
    }
    BreachesPane #breaches-waiting {
        display: none;
        height: auto;
        color: $warning;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    BreachesPane #breaches-history {
        height: auto;
        color: $text-muted;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        """Create the pane.

        Args:
            id: The widget id.
        """
        super().__init__(id=id)
        self._shown: tuple[object, ...] = ()

    def compose(self) -> ComposeResult:
        """Create the headings and a fixed pool of rows.

        Returns:
            The children.
        """
        yield Label("Firing", id="breaches-title", classes="breaches-heading", markup=False)
        yield Label("no rule firing", id="breaches-none", markup=False)
        for i in range(self.MAX_FIRING_ROWS):
            yield Label(id=f"breach-row-{i}", classes="breach-row", markup=False)
        yield Label(id="breaches-more", markup=False)
        yield Label("History", id="breaches-history-title", classes="breaches-heading", markup=False)
        yield Static("none yet", id="breaches-history", markup=False)
        yield Label(
            "Rules without a value", id="breaches-waiting-title", classes="breaches-heading", markup=False
        )
        yield Static("", id="breaches-waiting", markup=False)

    def update_breaches(
        self,
        firing: Sequence[Breach],
        history: Sequence[Breach],
        run_start_t: float | None,
        notes: Sequence[str] = (),
    ) -> None:
        """Show the breaches; does nothing when they are the same as last time.

        Args:
            firing: Firing now, in display order (`RuleEngine.firing()`: critical first).
            history: Ended breaches, newest first (`RuleEngine.history()`).
            run_start_t: Unix time the run started, for `mm:ss` times; None for clock times.
            notes: Rules without a value and why (`slow: metric.x.p95: no such metric yet`).
        """
        firing_rows = [(b.level, b.data_missing, firing_row(b, run_start_t)) for b in firing]
        lines = [history_row(b, run_start_t) for b in history[: self.MAX_HISTORY_ROWS]]
        shown = (*firing_rows, *lines, *notes)
        if shown == self._shown:
            return
        self._shown = shown
        self.query_one("#breaches-waiting-title", Label).display = bool(notes)
        waiting = self.query_one("#breaches-waiting", Static)
        waiting.display = bool(notes)
        waiting.update("\n".join(notes))
        critical = sum(b.level == "critical" for b in firing)
        title = "Firing"
        if firing:
            title = f"Firing: {len(firing)}" + (f" ({critical} critical)" if critical else "")
        self.query_one("#breaches-title", Label).update(title)
        self.query_one("#breaches-none", Label).display = not firing
        for i in range(self.MAX_FIRING_ROWS):
            row = self.query_one(f"#breach-row-{i}", Label)
            if i < len(firing_rows):
                level, missing, text = firing_rows[i]
                row.update(text)
                row.set_class(level == "critical", "-critical")
                row.set_class(level == "warning", "-warning")
                row.set_class(missing, "-missing")
            row.set_class(i < len(firing_rows), "-shown")
        more = len(firing_rows) - self.MAX_FIRING_ROWS
        more_label = self.query_one("#breaches-more", Label)
        more_label.display = more > 0
        more_label.update(f"+{more} more firing" if more > 0 else "")
        self.query_one("#breaches-history-title", Label).update(
            f"History: {len(history)}" if history else "History"
        )
        self.query_one("#breaches-history", Static).update("\n".join(lines) if lines else "none yet")

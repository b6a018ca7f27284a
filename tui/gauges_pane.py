"""The system-under-test gauges: one row per gauge series with value, bar, level, sparkline and state."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from collectors.gauges import GaugeReading, GaugeSnapshot
from runners.model.units import format_gauge_value

SPARK_WINDOW_S = 300.0
"""The sparkline shows at most the last five minutes."""
_BLOCKS = "▁▂▃▄▅▆▇█"
_EIGHTHS = " ▏▎▍▌▋▊▉"
_BAR_WIDTH = 10
_PARTS = ("value", "bar", "spark", "state")
_STATE_CLASSES = (
    "-plain",
    "-ok",
    "-warning",
    "-critical",
    "-stale",
    "-down",
    "-invalid",
    "-no_data",
    "-pending",
)
History = Mapping[tuple[str, str], Sequence[tuple[float, float]]]


def bar_text(value: float | None, maximum: float | None, width: int = _BAR_WIDTH) -> str:
    """A horizontal bar of `value` against `maximum`, in eighths of a cell.

    Args:
        value: The value; None draws an empty bar.
        maximum: The value of a full bar; None: no bar.
        width: Cells.

    Returns:
        Exactly `width` characters.
    """
    if maximum is None or maximum <= 0:
        return " " * width
    share = 0.0 if value is None or not math.isfinite(value) else min(1.0, max(0.0, value / maximum))
    eighths = round(share * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (_EIGHTHS[part] if part else "")).ljust(width, "░")[:width]


def sparkline_text(
    points: Sequence[tuple[float, float]], width: int, maximum: float | None, low_is_bad: bool = False
) -> str:
    """Unicode blocks of the last points, on a fixed 0..max scale when the gauge has one.

    Args:
        points: `(t, value)`, oldest first.
        width: Cells at most.
        maximum: Top of the scale; None scales to the data's own range.
        low_is_bad: Keep each bucket's lowest value instead of its highest (a hit rate).

    Returns:
        Up to `width` characters, newest on the right.
    """
    values = [v for _, v in points]
    if width < 1 or not values:
        return ""
    if len(values) > width:
        size = math.ceil(len(values) / width)
        pick = min if low_is_bad else max
        values = [pick(values[i : i + size]) for i in range(0, len(values), size)]
    low, high = (0.0, maximum) if maximum else (min(values), max(values))
    span = high - low
    top = len(_BLOCKS) - 1
    return "".join(
        _BLOCKS[top // 2 if span <= 0 else min(top, max(0, round((v - low) / span * top)))] for v in values
    )


def state_text(reading: GaugeReading, now: float) -> str:
    """What the state column says: the level when fresh, else what went wrong.

    Args:
        reading: The reading.
        now: The time now, to age stale values between polls.

    Returns:
        The text.
    """
    if reading.state == "ok":
        return {"warning": "warning", "critical": "CRITICAL"}.get(reading.level or "", "")
    if reading.state == "stale":
        age = (reading.age_s or 0.0) + max(0.0, now - reading.t)
        return f"stale {age:.0f}s · {reading.detail}"
    prefix = {"down": "down", "invalid": "invalid query", "no_data": "no data", "pending": "waiting"}[
        reading.state
    ]
    return f"{prefix}: {reading.detail}" if reading.detail else prefix


class GaugeRow(Horizontal):
    """One gauge series; its texts change in place and only when they differ."""

    def __init__(self, key: tuple[str, str]) -> None:
        """Create an empty row.

        Args:
            key: `(gauge, series)`.
        """
        super().__init__(classes="gauge-row -pending")
        self.key = key
        self._texts: dict[str, str] = {}
        name, series = key
        self._label = Static(f"{name} {series}".strip(), classes="gauge-label", markup=False)
        self._parts = {part: Static("", classes=f"gauge-{part}", markup=False) for part in _PARTS}
        self._shown: tuple[GaugeReading, Sequence[tuple[float, float]], float] | None = None

    def compose(self) -> ComposeResult:
        """The columns: label, value, bar, sparkline and state."""
        yield self._label
        yield from self._parts.values()

    def on_resize(self) -> None:
        """Fit the sparkline to the new width (a row first drawn before its layout, or a paused replay)."""
        if self._shown is not None:
            self.show(*self._shown)

    def show(self, reading: GaugeReading, points: Sequence[tuple[float, float]], now: float) -> None:
        """Show a reading and its recent points.

        Args:
            reading: The reading.
            points: `(t, value)` history of this series.
            now: The time now.
        """
        self._shown = (reading, points, now)
        has_levels = reading.warning is not None or reading.critical is not None
        level = reading.level if reading.state == "ok" else None
        state_class = ("-plain" if not has_levels else f"-{level}") if level else f"-{reading.state}"
        for cls in _STATE_CLASSES:
            self.set_class(cls == state_class, cls)
        recent = [p for p in points if p[0] >= now - SPARK_WINDOW_S]
        spark_width = max(0, self.size.width - 46) if self.size.width else 24
        self._set("value", format_gauge_value(reading.value, reading.unit))
        self._set("bar", bar_text(reading.value, reading.bar_max))
        self._set("spark", sparkline_text(recent, spark_width, reading.bar_max, reading.direction == "below"))
        self._set("state", state_text(reading, now))
        self.tooltip = f"{reading.name} {reading.series}: {reading.state} {reading.detail}".strip()

    def text(self, part: str) -> str:
        """What a column shows now ("value", "bar", "spark" or "state")."""
        return self._texts.get(part, "")

    def _set(self, part: str, text: str) -> None:
        if self._texts.get(part) != text:
            self._texts[part] = text
            self._parts[part].update(text)


class GaugesPane(Widget):
    """Gauges of the system under test, fed whole snapshots from the UI thread (never fetches)."""

    DEFAULT_CSS = """
    GaugesPane { height: auto; max-height: 50%; layout: vertical; }
    GaugesPane #gauges-source { height: 1; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis; }
    GaugesPane #gauges-source.-down { color: $error; }
    GaugesPane #gauges-rows { height: auto; max-height: 100%; }
    GaugeRow { height: 1; }
    GaugeRow .gauge-label { width: 22; text-wrap: nowrap; text-overflow: ellipsis; }
    GaugeRow .gauge-value { width: 11; text-align: right; padding-right: 1; text-style: bold; }
    GaugeRow .gauge-bar { width: 11; padding-right: 1; }
    GaugeRow .gauge-spark { width: auto; max-width: 60; padding-right: 1; color: $text-muted; }
    GaugeRow .gauge-state { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; color: $text-muted; }
    GaugeRow.-ok .gauge-value, GaugeRow.-ok .gauge-bar { color: $success; }
    GaugeRow.-warning .gauge-value, GaugeRow.-warning .gauge-bar, GaugeRow.-warning .gauge-state { color: $warning; }
    GaugeRow.-critical .gauge-value, GaugeRow.-critical .gauge-bar, GaugeRow.-critical .gauge-state { color: $error; }
    GaugeRow.-stale .gauge-value, GaugeRow.-stale .gauge-bar { color: $text-muted; text-style: italic; }
    GaugeRow.-stale .gauge-state { color: $warning; }
    GaugeRow.-down .gauge-state, GaugeRow.-invalid .gauge-state { color: $error; }
    GaugeRow.-down .gauge-spark, GaugeRow.-invalid .gauge-spark, GaugeRow.-no_data .gauge-spark { display: none; }
    GaugeRow:nocolor.-critical .gauge-value { text-style: bold reverse; }
    GaugeRow:nocolor.-warning .gauge-value { text-style: bold underline; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        """Create an empty pane.

        Args:
            id: The widget id.
        """
        super().__init__(id=id)
        self.rows: dict[tuple[str, str], GaugeRow] = {}
        self._source = Static("gauges: waiting for the first poll", id="gauges-source", markup=False)
        self._container = VerticalScroll(id="gauges-rows")
        self._pending: tuple[GaugeSnapshot, History, float | None] | None = None

    def compose(self) -> ComposeResult:
        """The source line above the rows."""
        yield self._source
        yield self._container

    def on_mount(self) -> None:
        """Show a snapshot that arrived before the pane was mounted."""
        if self._pending is not None:
            self.update_snapshot(*self._pending)

    def update_snapshot(self, snapshot: GaugeSnapshot, history: History, now: float | None = None) -> None:
        """Show a snapshot: rows are added, updated and removed by key, never rebuilt.

        Args:
            snapshot: The collector's latest snapshot.
            history: `(gauge, series)` to `(t, value)` points, oldest first.
            now: The time now (default: the wall clock), to age stale values.
        """
        if not self._container.is_attached:
            self._pending = (snapshot, history, now)  # rows can only be mounted once the pane is
            return
        self._pending = None
        now = time.time() if now is None else now
        self._source.update(f"{snapshot.source_state.upper()} · {snapshot.source_detail}")
        self._source.set_class(snapshot.source_state == "down", "-down")
        container = self._container
        wanted = [r.key for r in snapshot.readings]
        with self.app.batch_update():
            for key in [k for k in self.rows if k not in set(wanted)]:
                self.rows.pop(key).remove()
            previous: GaugeRow | None = None
            for reading in snapshot.readings:
                row = self.rows.get(reading.key)
                if row is None:
                    row = self.rows[reading.key] = GaugeRow(reading.key)
                    if previous is not None:
                        container.mount(row, after=previous)
                    elif container.children:
                        container.mount(row, before=0)
                    else:
                        container.mount(row)
                row.show(reading, history.get(reading.key, ()), now)
                previous = row

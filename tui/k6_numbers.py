"""The live k6 numbers as labelled tiles: the sliding window first, then the run totals."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult, RenderResult
from textual.containers import Grid
from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Label

from runners.model.frames import Frame
from tui.units import (
    PLACEHOLDER,
    format_bytes_rate,
    format_count,
    format_ms,
    format_percent,
    format_rate,
    format_vus,
)


class MetricTile(Widget):
    """One number with its label: the label on the left, the value right-aligned."""

    value: reactive[str] = reactive(PLACEHOLDER)
    """The formatted value."""

    def __init__(self, label: str, *, id: str) -> None:
        """Create a tile.

        Args:
            label: What the number is, short.
            id: The widget id (kebab-case).
        """
        super().__init__(id=id)
        self.label = label

    def render(self) -> RenderResult:
        """Render `label ... value` across the tile's width.

        Returns:
            The line.
        """
        gap = max(1, self.size.width - len(self.label) - len(self.value))
        return Content.assemble((self.label, "dim"), " " * gap, (self.value, "bold"))


# Each tile: id, label and how to read its value from a frame.
_TILES: tuple[tuple[str, str, Callable[[Frame], str]], ...] = (
    ("live-rps", "req/s", lambda f: format_rate(f.live.rps)),
    ("live-errors", "errors", lambda f: format_percent(f.live.error_rate)),
    ("live-iterations", "iter/s", lambda f: format_rate(f.live.iterations_per_s)),
    ("live-vus", "VUs", lambda f: format_vus(f.live.vus, f.live.vus_max)),
    ("live-p50", "p50", lambda f: format_ms(f.live.latency.p50)),
    ("live-p90", "p90", lambda f: format_ms(f.live.latency.p90)),
    ("live-p95", "p95", lambda f: format_ms(f.live.latency.p95)),
    ("live-p99", "p99", lambda f: format_ms(f.live.latency.p99)),
    ("live-max", "max", lambda f: format_ms(f.live.latency.max)),
    ("live-checks", "checks", lambda f: format_percent(f.live.checks_rate)),
    ("live-sent", "sent", lambda f: format_bytes_rate(f.live.data_sent_per_s)),
    ("live-received", "recv", lambda f: format_bytes_rate(f.live.data_received_per_s)),
    ("total-requests", "run req", lambda f: format_count(f.totals.requests)),
    ("total-failed", "run fail", lambda f: format_percent(f.totals.failed_rate)),
    ("total-p95", "run p95", lambda f: format_ms(f.totals.latency.p95)),
    ("total-p99", "run p99", lambda f: format_ms(f.totals.latency.p99)),
)
_FIRST_TOTAL = "total-requests"


class K6Numbers(Grid):
    """The grid of tiles; CSS decides its columns.

    The order reads well both ways: one column in a sidebar, or four across a narrow screen (rate row,
    latency row, the rest, then the run totals).
    """

    def compose(self) -> ComposeResult:
        """Create the section headings and the tiles.

        Returns:
            The children, in reading order.
        """
        yield Label("NOW", id="live-heading", classes="heading")
        for tile_id, label, _ in _TILES:
            if tile_id == _FIRST_TOTAL:
                yield Label("RUN TOTALS", id="total-heading", classes="heading")
            yield MetricTile(label, id=tile_id)

    def show_frame(self, frame: Frame) -> None:
        """Show the numbers of a frame.

        Args:
            frame: The latest frame.
        """
        self.query_one("#live-heading", Label).update(f"NOW ({frame.live.window_s} s window)")
        for tile_id, _, read in _TILES:
            self.query_one(f"#{tile_id}", MetricTile).value = read(frame)
        errors = self.query_one("#live-errors", MetricTile)
        errors.set_class(frame.live.error_rate > 0, "-bad")
        failed = self.query_one("#total-failed", MetricTile)
        failed.set_class(frame.totals.failed > 0, "-bad")

"""The live k6 numbers as labelled tiles: the sliding window first, then the run totals."""

from __future__ import annotations

from collections.abc import Callable

from rich.segment import Segment
from rich.style import Style
from textual.app import ComposeResult, RenderResult
from textual.containers import Grid
from textual.content import Content
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Label

from runners.model.frames import Frame
from runners.model.units import (
    PLACEHOLDER,
    format_bytes,
    format_bytes_rate,
    format_clock,
    format_count,
    format_ms,
    format_percent,
    format_rate,
    format_vus,
)

_DIM, _BOLD = Style(dim=True), Style(bold=True)


class MetricTile(Widget):
    """One number with its label: the label on the left, the value right-aligned."""

    value: reactive[str] = reactive(PLACEHOLDER)
    """The formatted value."""
    label: reactive[str] = reactive("")
    """What the number is (it changes when the run ends: `req/s` becomes `req/s avg`)."""

    def __init__(self, label: str, *, id: str) -> None:
        """Create a tile.

        Args:
            label: What the number is, short.
            id: The widget id (kebab-case).
        """
        super().__init__(id=id)
        self.label = label
        self._strip: Strip | None = None
        self._strip_key: tuple[object, ...] = ()

    def render(self) -> RenderResult:
        """Render `label ... value` across the tile's width (what `render_line` draws, as content).

        Returns:
            The line.
        """
        label, gap = self._layout()
        return Content.assemble((label, "dim"), " " * gap, (self.value, "bold"))

    def render_line(self, y: int) -> Strip:
        """The tile's one line as segments, kept until its text, width or style changes.

        Sixteen tiles change twice a second: through Textual's content rendering each cost about 0.1 ms
        a paint, most of it turning the same three pieces of text into segments.

        Args:
            y: The line (a tile has one).

        Returns:
            The line.
        """
        base = self.visual_style.rich_style
        key = (self.label, self.value, self.size.width, base)
        if self._strip is None or self._strip_key != key:
            label, gap = self._layout()
            segments = [
                Segment(label, base + _DIM),
                Segment(" " * gap, base),
                Segment(self.value, base + _BOLD),
            ]
            self._strip, self._strip_key = Strip(segments), key
        return self._strip if y == 0 else Strip.blank(self.size.width, base)

    def _layout(self) -> tuple[str, int]:
        # The value and its unit come first: a narrow tile shortens its label, never the number.
        label = self.label[: max(0, self.size.width - len(self.value) - 1)]
        return label, max(1, self.size.width - len(label) - len(self.value))


def active_seconds(frame: Frame) -> float:
    """Seconds between the run's first and last k6 sample (at least 1), for whole-run rates.

    Args:
        frame: A frame.

    Returns:
        The seconds.
    """
    t = frame.totals
    if t.first_sample_t is None or t.last_sample_t is None:
        return 1.0
    return max(1.0, t.last_sample_t - t.first_sample_t + 1)


def peak_vus(frame: Frame) -> float | None:
    """The most VUs seen in the frame's series (None when none were reported).

    Args:
        frame: A frame.

    Returns:
        The peak.
    """
    values = [p.vus for p in frame.series if p.vus is not None]
    return max(values) if values else frame.live.vus


Read = Callable[[Frame], str]
# Each tile: id, label and value while the run is live, then label and value once it ended (whole run).
_TILES: tuple[tuple[str, str, Read, str, Read], ...] = (
    ("live-rps", "req/s", lambda f: format_rate(f.live.rps),
     "req/s avg", lambda f: format_rate(f.totals.requests / active_seconds(f))),
    ("live-errors", "errors", lambda f: format_percent(f.live.error_rate),
     "errors", lambda f: format_percent(f.totals.failed_rate)),
    ("live-iterations", "iter/s", lambda f: format_rate(f.live.iterations_per_s),
     "iter/s avg", lambda f: format_rate(f.totals.iterations / active_seconds(f))),
    ("live-vus", "VUs", lambda f: format_vus(f.live.vus, f.live.vus_max),
     "VUs peak", lambda f: format_vus(peak_vus(f), None)),
    ("live-p50", "p50", lambda f: format_ms(f.live.latency.p50), "p50", lambda f: format_ms(f.totals.latency.p50)),
    ("live-p90", "p90", lambda f: format_ms(f.live.latency.p90), "p90", lambda f: format_ms(f.totals.latency.p90)),
    ("live-p95", "p95", lambda f: format_ms(f.live.latency.p95), "p95", lambda f: format_ms(f.totals.latency.p95)),
    ("live-p99", "p99", lambda f: format_ms(f.live.latency.p99), "p99", lambda f: format_ms(f.totals.latency.p99)),
    ("live-max", "max", lambda f: format_ms(f.live.latency.max), "max", lambda f: format_ms(f.totals.latency.max)),
    ("live-checks", "checks", lambda f: format_percent(f.live.checks_rate),
     "checks", lambda f: format_percent(f.totals.checks_rate)),
    ("live-sent", "sent", lambda f: format_bytes_rate(f.live.data_sent_per_s),
     "sent", lambda f: format_bytes(f.totals.data_sent)),
    ("live-received", "recv", lambda f: format_bytes_rate(f.live.data_received_per_s),
     "recv", lambda f: format_bytes(f.totals.data_received)),
    ("total-requests", "run req", lambda f: format_count(f.totals.requests),
     "requests", lambda f: format_count(f.totals.requests)),
    ("total-failed", "run fail", lambda f: format_percent(f.totals.failed_rate),
     "failed", lambda f: format_count(f.totals.failed)),
    ("total-p95", "run p95", lambda f: format_ms(f.totals.latency.p95), "avg", lambda f: format_ms(f.totals.latency_avg)),
    ("total-p99", "run p99", lambda f: format_ms(f.totals.latency.p99), "min", lambda f: format_ms(f.totals.latency_min)),
)  # fmt: skip
_FIRST_TOTAL = "total-requests"


class K6Numbers(Grid):
    """The grid of tiles; CSS decides its columns.

    The order reads well both ways: one column in a sidebar, or four across a narrow screen (rate row,
    latency row, the rest, then the run totals).
    """

    _heading = ""  # the live heading's text, set only when it changes

    def compose(self) -> ComposeResult:
        """Create the section headings and the tiles.

        Returns:
            The children, in reading order.
        """
        yield Label("NOW", id="live-heading", classes="heading")
        for tile_id, label, *_ in _TILES:
            if tile_id == _FIRST_TOTAL:
                yield Label("RUN TOTALS", id="total-heading", classes="heading")
            yield MetricTile(label, id=tile_id)

    def show_frame(self, frame: Frame) -> None:
        """Show the numbers of a frame: the window while k6 runs, the whole run once it ended.

        Args:
            frame: The latest frame.
        """
        ended = not frame.state.is_active
        self.set_class(ended, "-ended")
        heading = self.query_one("#live-heading", Label)
        if ended:
            text = f"WHOLE RUN ({format_clock(active_seconds(frame))} of samples) · run ended"
        else:
            text = f"NOW ({frame.live.window_s} s window)"
        if text != self._heading:  # Label.update lays the whole screen out again: only on a change
            self._heading = text
            heading.update(text)
        for tile_id, live_label, live_read, end_label, end_read in _TILES:
            tile = self.query_one(f"#{tile_id}", MetricTile)
            tile.label = end_label if ended else live_label
            tile.value = end_read(frame) if ended else live_read(frame)
        errors = self.query_one("#live-errors", MetricTile)
        errors.set_class((frame.totals.failed_rate if ended else frame.live.error_rate) > 0, "-bad")
        failed = self.query_one("#total-failed", MetricTile)
        failed.set_class(frame.totals.failed > 0, "-bad")

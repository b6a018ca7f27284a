"""The k6 pane: the live numbers and, over time, requests/s, error rate, p95/p99 latency and VUs."""

from __future__ import annotations

import math
import time

from textual.app import ComposeResult
from textual.containers import Container, Horizontal
from textual.timer import Timer

from runners.model.frames import Frame, Mark, SecondPoint
from tui.k6_charts import Line, SeriesChart
from tui.k6_numbers import K6Numbers


class K6Pane(Horizontal):
    """Numbers on every frame; charts at most once a second and only when a new second arrived."""

    MIN_REDRAW_INTERVAL_S = 1.0
    """Plotext rebuilds a whole chart per render (7 to 22 ms), so charts redraw at most this often."""

    def __init__(self, *, id: str | None = None) -> None:
        """Create the pane.

        Args:
            id: The widget id.
        """
        super().__init__(id=id)
        self._series: tuple[SecondPoint, ...] = ()
        self._marks: tuple[Mark, ...] = ()
        self.breach_starts: dict[str, list[float]] = {}  # chart id -> breach start times (unix s)
        self._drawn_last_t: int | None = None
        self._origin_t: int | None = None
        self._last_redraw = -math.inf
        self._redraw_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        """Create the numbers and the charts.

        Returns:
            The children.
        """
        yield K6Numbers(id="k6-numbers")
        with Container(id="k6-charts"):
            yield SeriesChart("requests/s", id="chart-rps")
            yield SeriesChart("error rate %", percent=True, id="chart-errors")
            yield SeriesChart("latency ms (window p95, p99)", id="chart-latency")
            yield SeriesChart("VUs", id="chart-vus")

    @property
    def origin_t(self) -> int | None:
        """The unix second the time axis counts from (the run's first sample), once known."""
        return self._origin_t

    def show_frame(self, frame: Frame) -> None:
        """Show a frame: numbers at once, charts when due.

        Args:
            frame: The latest frame.
        """
        self.query_one(K6Numbers).show_frame(frame)
        last = frame.series[-1].t if frame.series else None
        if last == self._drawn_last_t:  # also: a replay that seeks back before the first sample clears them
            return
        if self._origin_t is None and frame.series:
            # Latched once so every later pane can share the axis; totals know the first sample even
            # when the series has already been trimmed (a screen attached late).
            first = frame.series[0].t
            if frame.totals.first_sample_t is not None:
                first = min(first, math.floor(frame.totals.first_sample_t))
            self._origin_t = first
        self._series = frame.series
        self._marks = frame.marks
        wait = self._last_redraw + self.MIN_REDRAW_INTERVAL_S - time.monotonic()
        if wait <= 0:
            self.redraw_charts()
        elif self._redraw_timer is None:
            self._redraw_timer = self.set_timer(wait, self.redraw_charts, name="k6-charts")

    def redraw_charts(self) -> None:
        """Draw the charts from the latest series now (also used by tests to skip the throttle)."""
        if self._redraw_timer is not None:
            self._redraw_timer.stop()
            self._redraw_timer = None
        series = self._series
        if not series or self._origin_t is None:
            self._drawn_last_t = None
            for chart in self.query(SeriesChart):
                chart.draw((), ())
            return
        self._last_redraw = time.monotonic()
        self._drawn_last_t = series[-1].t
        origin = self._origin_t
        xs = [p.t - origin for p in series]
        marks = [m.t - origin for m in self._marks]

        def breaches(chart: str) -> list[float]:
            return [t - origin for t in self.breach_starts.get(chart, [])]

        self.query_one("#chart-rps", SeriesChart).draw(
            xs, [Line([float(p.requests) for p in series], "req/s", "primary")], marks, breaches("rps")
        )
        self.query_one("#chart-errors", SeriesChart).draw(
            xs, [Line([p.error_rate * 100 for p in series], "errors %", "error")], marks, breaches("errors")
        )
        self.query_one("#chart-latency", SeriesChart).draw(
            xs,
            [
                Line([p.window.p95 for p in series], "p95", "warning"),
                Line([p.window.p99 for p in series], "p99", "error"),
            ],
            marks,
            breaches("latency"),
        )
        self.query_one("#chart-vus", SeriesChart).draw(
            xs, [Line([p.vus for p in series], "VUs", "success")], marks, breaches("vus")
        )

"""The k6 pane: the numbers and, over time, requests/s, error rate, p95/p99 latency and VUs."""

from __future__ import annotations

import math
import re
import time

from textual.app import ComposeResult
from textual.containers import Container, Horizontal
from textual.events import Resize
from textual.timer import Timer

from runners.model.frames import Frame, SecondPoint, ThresholdRow
from tui.k6_charts import Line, Rule, SeriesChart
from tui.k6_numbers import K6Numbers
from tui.protocol_numbers import ProtocolNumbers, headline_protocol

CHARTS = ("rps", "errors", "latency", "vus")
"""The chart ids (`#chart-<id>`), in the order the chart selector shows them."""
SINGLE_CHART_BELOW = 120
"""Below this many columns the pane shows one chart at a time (`c` shows the next)."""

_CHART_OF_PATH = {"k6.rps": "rps", "k6.error_pct": "errors", "k6.p95_ms": "latency", "k6.p99_ms": "latency",
                  "k6.p90_ms": "latency", "k6.p50_ms": "latency", "k6.vus": "vus"}  # fmt: skip
# `p(95)<500`, `avg<=200`, `rate<0.01`: an aggregation, a comparison and a number.
_EXPRESSION = re.compile(
    r"^\s*(?P<agg>p\(\d+(?:\.\d+)?\)|avg|med|max|min|rate)\s*(?P<op>[<>]=?)\s*(?P<v>[\d.]+)\s*$"
)


def breach_rules(frame: Frame, origin: int) -> dict[str, list[Rule]]:
    """When each chart's metric started breaching (firing and past), labelled with the rule.

    Args:
        frame: The latest frame.
        origin: The unix second the time axis counts from.

    Returns:
        Chart id -> the breach starts (seconds on the axis, rule name).
    """
    out: dict[str, list[Rule]] = {}
    seen = set()
    for b in (*frame.firing, *frame.breach_history):
        chart = _CHART_OF_PATH.get(b.path)
        if chart is not None and (b.rule, b.start) not in seen:
            seen.add((b.rule, b.start))
            out.setdefault(chart, []).append(Rule(b.start - origin, f"!{b.rule}"))
    return out


def threshold_limits(rows: tuple[ThresholdRow, ...]) -> dict[str, list[Rule]]:
    """k6 thresholds on the whole-run metrics the charts show, as horizontal lines.

    Latency thresholds go on the latency chart, `http_req_failed` rates on the error chart (as %).
    Thresholds on a tagged sub-metric (`{name:...}`) belong to one endpoint and are left out.

    Args:
        rows: The frame's thresholds.

    Returns:
        Chart id -> (value, label) lines.
    """
    out: dict[str, list[Rule]] = {}
    for r in rows:
        match = _EXPRESSION.match(r.expression)
        if match is None or "{" in r.metric:
            continue
        value = float(match["v"])
        if r.metric == "http_req_duration" and match["agg"] != "rate":
            out.setdefault("latency", []).append(Rule(value, r.expression))
        elif r.metric == "http_req_failed" and match["agg"] == "rate":
            out.setdefault("errors", []).append(Rule(value * 100, f"{match['op']}{value * 100:g} %"))
    return out


class K6Pane(Horizontal):
    """Numbers on every frame; charts at most once a second and only when a new second arrived."""

    MIN_REDRAW_INTERVAL_S = 1.0
    """Plotext rebuilds a whole chart per render (7 to 22 ms), so charts redraw at most this often."""
    AFTER_SWITCH_S = 0.15
    """After a switch to this tab, new chart data waits this long (the switch paints first)."""

    def __init__(self, *, id: str | None = None) -> None:
        """Create the pane.

        Args:
            id: The widget id.
        """
        super().__init__(id=id)
        self._frame: Frame | None = None
        self._drawn_last_t: int | None = None
        self._drawn_state = ""
        self._origin_t: int | None = None
        self._last_redraw = -math.inf
        self._redraw_timer: Timer | None = None
        self.single_chart = False
        """True while the pane has room for one chart only (the `c` key shows the next)."""
        self.chart_index = 0
        """Which chart the selector shows."""

    def compose(self) -> ComposeResult:
        """Create the numbers and the charts.

        Returns:
            The children.
        """
        yield K6Numbers(id="k6-numbers")
        yield ProtocolNumbers(id="protocol-numbers")
        with Container(id="k6-charts"):
            yield SeriesChart("requests/s", id="chart-rps")
            yield SeriesChart("error rate %", percent=True, id="chart-errors")
            yield SeriesChart("latency ms (window)", id="chart-latency")
            yield SeriesChart("VUs", id="chart-vus")

    @property
    def origin_t(self) -> int | None:
        """The unix second the time axis counts from (the run's first sample), once known."""
        return self._origin_t

    def on_resize(self, event: Resize) -> None:
        """Switch between all charts and the one-chart selector by width."""
        self._use_selector(self.app.size.width < SINGLE_CHART_BELOW)

    def _use_selector(self, single: bool) -> None:
        self.single_chart = single
        self.set_class(single, "-single")
        for i, name in enumerate(CHARTS):
            chart = self.query_one(f"#chart-{name}", SeriesChart)
            chart.display = not single or i == self.chart_index
            chart.hint = f"{i + 1}/{len(CHARTS)} · c next chart" if single else ""
            chart.refresh()

    def next_chart(self) -> None:
        """Show the next chart in the selector."""
        self.chart_index = (self.chart_index + 1) % len(CHARTS)
        self._use_selector(self.single_chart)

    def show_frame(self, frame: Frame, *, just_shown: bool = False) -> None:
        """Show a frame: numbers at once, charts when due.

        Args:
            frame: The latest frame.
            just_shown: True when the tab was just switched to: the charts first paint their last picture
                and are redrawn a moment later, so the switch itself answers at once.
        """
        self._show_numbers(frame)
        last = frame.series[-1].t if frame.series else None
        # A replay that seeks back before the first sample has no series: the charts are cleared then.
        if last == self._drawn_last_t and frame.state.value == self._drawn_state:
            return
        if self._origin_t is None and frame.series:
            # Latched once so every later pane can share the axis; totals know the first sample even
            # when the series has already been trimmed (a screen attached late).
            first = frame.series[0].t
            if frame.totals.first_sample_t is not None:
                first = min(first, math.floor(frame.totals.first_sample_t))
            self._origin_t = first
        self._frame = frame
        wait = self._last_redraw + self.MIN_REDRAW_INTERVAL_S - time.monotonic()
        if just_shown:
            wait = max(wait, self.AFTER_SWITCH_S)
        if wait <= 0 or (not frame.state.is_active and not just_shown):
            self.redraw_charts()
        elif self._redraw_timer is None:
            self._redraw_timer = self.set_timer(wait, self.redraw_charts, name="k6-charts")

    def _show_numbers(self, frame: Frame) -> None:
        # A WebSocket or gRPC run has no requests/s: its own headline replaces the HTTP numbers.
        protocol = headline_protocol(frame)
        numbers, headline = self.query_one(K6Numbers), self.query_one(ProtocolNumbers)
        if numbers.display != (protocol is None):
            numbers.display = protocol is None
            headline.display = protocol is not None
        if protocol is None:
            numbers.show_frame(frame)
        else:
            headline.show_frame(frame, protocol)

    def redraw_charts(self) -> None:
        """Draw the charts from the latest series now (also used by tests to skip the throttle)."""
        if self._redraw_timer is not None:
            self._redraw_timer.stop()
            self._redraw_timer = None
        frame = self._frame
        if frame is None or not frame.series or self._origin_t is None:
            self._drawn_last_t = None
            self._drawn_state = frame.state.value if frame is not None else ""
            for chart in self.query(SeriesChart):
                chart.draw((), ())
            return
        series: tuple[SecondPoint, ...] = frame.series
        self._last_redraw = time.monotonic()
        self._drawn_last_t = series[-1].t
        self._drawn_state = frame.state.value
        origin = self._origin_t
        xs = [p.t - origin for p in series]
        marks = [Rule(m.t - origin, f"M{i}") for i, m in enumerate(frame.marks, 1)]
        breaches = breach_rules(frame, origin)
        limits = threshold_limits(frame.thresholds)

        def draw(chart: str, lines: list[Line]) -> None:
            self.query_one(f"#chart-{chart}", SeriesChart).draw(
                xs, lines, marks, breaches.get(chart, []), limits.get(chart, [])
            )

        rps = self.query_one("#chart-rps", SeriesChart)
        if headline_protocol(frame) is None:
            rps.chart_title = "requests/s"
            draw("rps", [Line([float(p.requests) for p in series], "req/s", "primary")])
        else:  # no HTTP requests (WebSocket, gRPC): the first chart follows the iterations instead
            rps.chart_title = "iterations/s"
            draw("rps", [Line([float(p.iterations) for p in series], "iter/s", "primary")])
        draw("errors", [Line([p.error_rate * 100 for p in series], "errors %", "error")])
        draw("latency", [Line([p.window.p95 for p in series], "p95", "warning"),
                         Line([p.window.p99 for p in series], "p99", "error", style="dotted")])  # fmt: skip
        draw("vus", [Line([p.vus for p in series], "VUs", "success")])

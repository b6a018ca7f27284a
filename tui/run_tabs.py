"""The tabs of the run screen: which panes each holds, and drawing only the visible one from a frame."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import TabbedContent, TabPane

from collectors.docker_config import DockerConfig
from runners.model.frames import Frame
from tui.breaches_pane import BreachesPane
from tui.containers_pane import ContainersPane
from tui.endpoint_details import CodesView, LatencyHistogram, ThresholdsView
from tui.endpoints_table import EndpointsTable
from tui.gauge_chart import GaugeChart
from tui.gauges_pane import GaugesPane
from tui.generator_pane import GeneratorPane
from tui.k6_pane import K6Pane
from tui.marks_pane import MarksPane
from tui.output_pane import OutputPane

_CHART_OF_PATH = {"k6.rps": "rps", "k6.error_pct": "errors", "k6.p95_ms": "latency", "k6.p99_ms": "latency",
                  "k6.p90_ms": "latency", "k6.p50_ms": "latency", "k6.vus": "vus"}  # fmt: skip


def breach_starts(frame: Frame) -> dict[str, list[float]]:
    """When each chart's metric started breaching (firing and past), for the vertical lines."""
    out: dict[str, list[float]] = {}
    for b in (*frame.firing, *frame.breach_history):
        chart = _CHART_OF_PATH.get(b.path)
        if chart is not None:
            out.setdefault(chart, []).append(b.start)
    return out


class RunTabs(Vertical):
    """Load, Endpoints, Server, Containers, Breaches, Marks. Hidden tabs are not drawn."""

    def __init__(
        self, output_max_lines: int, *, docker_config: DockerConfig | None = None, id: str | None = None
    ) -> None:
        """Create the tabs.

        Args:
            output_max_lines: Lines of k6 output kept on screen.
            docker_config: The `[docker]` settings whose CPU and memory levels colour the containers.
            id: The widget id.
        """
        super().__init__(id=id)
        self.output_max_lines = output_max_lines
        self.docker_config = docker_config
        self.gauge_index = 0
        self._gauge_chart_t = 0.0

    def compose(self) -> ComposeResult:
        """Lay out every tab.

        Returns:
            The tab panes.
        """
        with TabbedContent(id="tabbed", initial="tab-load"):
            with TabPane("1 Load", id="tab-load"):
                yield K6Pane(id="k6-pane")
                yield OutputPane(max_lines=self.output_max_lines, id="output-pane")
            with TabPane("2 Endpoints", id="tab-endpoints"):
                yield EndpointsTable(id="endpoints-table")
                with Horizontal(id="endpoint-details"):
                    with Vertical(id="codes-box"):
                        yield CodesView(id="codes-view")
                        yield ThresholdsView(id="thresholds-view")
                    yield LatencyHistogram(id="latency-histogram")
            with TabPane("3 Server", id="tab-system"):
                with Horizontal(id="server-top"):
                    yield GaugesPane(id="gauges-pane")
                    yield GaugeChart(id="gauge-chart")
                yield GeneratorPane(id="generator-pane")
            with TabPane("4 Containers", id="tab-containers"):
                yield ContainersPane(self.docker_config, id="containers-pane")
            with TabPane("5 Breaches", id="tab-breaches"):
                yield BreachesPane(id="breaches-pane")
            with TabPane("6 Marks", id="tab-marks"):
                yield MarksPane(id="marks-pane")

    def show_frame(self, frame: Frame) -> None:
        """Draw the visible tab from a frame; switching tabs draws the new one from the latest frame."""
        active = self.query_one(TabbedContent).active
        if active == "tab-load":
            pane = self.query_one(K6Pane)
            pane.breach_starts = breach_starts(frame)
            pane.show_frame(frame)
        elif active == "tab-endpoints":
            self.query_one(EndpointsTable).show_rows(frame.endpoints)
            self.query_one(CodesView).show_codes(frame.codes)
            self.query_one(LatencyHistogram).show_bins(frame.latency_bins)
            self.query_one(ThresholdsView).show_thresholds(frame.thresholds, frame.k6_exit_code)
        elif active == "tab-system":
            self._show_gauges(frame)
            self.query_one(GeneratorPane).show_generator(frame.generator)
        elif active == "tab-containers" and frame.containers is not None:
            self.query_one(ContainersPane).update_snapshot(frame.containers)
        elif active == "tab-breaches":
            self.query_one(BreachesPane).update_breaches(frame.firing, frame.breach_history, frame.started_at)
        elif active == "tab-marks":
            self.query_one(MarksPane).show_marks(frame.marks, frame.events, frame.started_at)

    def next_gauge(self) -> None:
        """Chart the next gauge on the Server tab (drawn with the next frame)."""
        self.gauge_index += 1
        self._gauge_chart_t = 0.0

    def _show_gauges(self, frame: Frame) -> None:
        pane = self.query_one(GaugesPane)
        snap = frame.gauges
        pane.display = snap is not None
        self.query_one(GaugeChart).display = snap is not None
        if snap is None:
            return
        pane.update_snapshot(snap, frame.gauge_history, now=frame.wall_t)
        names = list(dict.fromkeys(r.name for r in snap.readings))
        if not names or abs(frame.wall_t - self._gauge_chart_t) < 1.0:  # plotext costs ms: once a second
            return
        self._gauge_chart_t = frame.wall_t
        name = names[self.gauge_index % len(names)]
        unit = next(r.unit for r in snap.readings if r.name == name)
        origin = frame.series[0].t if frame.series else frame.started_at
        marks = [m.t - origin for m in frame.marks]
        breaches = [
            b.start - origin
            for b in (*frame.firing, *frame.breach_history)
            if b.path.startswith(f"gauge.{name}")
        ]
        self.query_one(GaugeChart).show_gauge(name, unit, frame.gauge_history, origin, marks, breaches)

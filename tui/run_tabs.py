"""The tabs of the run screen: which panes each holds, and drawing only the visible one from a frame."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Static, TabbedContent, TabPane

from collectors.docker_config import DockerConfig
from runners.model.frames import CodeCount, Frame
from tui.breaches_pane import BreachesPane
from tui.containers_pane import ContainersPane
from tui.endpoint_details import CodesView, LatencyHistogram, ThresholdsView
from tui.endpoints_table import EndpointsTable
from tui.events_pane import EventsPane
from tui.gauge_chart import GaugeChart
from tui.gauges_pane import GaugesPane
from tui.generator_pane import GeneratorPane
from tui.k6_pane import K6Pane
from tui.keys import TABS
from tui.metrics_pane import MetricsPane
from tui.output_pane import OutputPane
from tui.result_pane import ResultPane, run_codes

SERVER_HINT = """No gauges of the system under test are configured, so this tab shows only the load generator.
Add them to ./loadwatch.toml (or --config FILE) and run again, for example:

  [prometheus]
  url = "http://127.0.0.1:9090"
  presets = ["host", "postgres"]     # also pgbouncer, hikaricp, redis, cadvisor

  [[gauges]]
  name = "db_pool"
  query = "100 * hikaricp_connections_active / hikaricp_connections_max"
  unit = "%"

Without Prometheus, loadwatch scrapes /metrics itself: [scrape] targets = ["http://127.0.0.1:8080/metrics"].
README, "System under test and containers", lists every option."""


def whole_run_codes(frame: Frame) -> tuple[CodeCount, ...]:
    """The status codes of the whole run, from the endpoint rows (which count the whole run).

    Args:
        frame: A frame.

    Returns:
        The codes, most frequent first.
    """
    codes = run_codes(frame.endpoints)
    total = sum(n for _, n in codes) or 1
    kinds = {"0": "network"}
    return tuple(CodeCount(code, kinds.get(code, f"{code[0]}xx"), n, 100.0 * n / total) for code, n in codes)


class RunTabs(Vertical):
    """Load, Endpoints, Server, Containers, Breaches, Events, Metrics. Hidden tabs are not drawn."""

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
        self._short_labels: bool | None = None

    def compose(self) -> ComposeResult:
        """Lay out every tab.

        Returns:
            The tab panes.
        """
        label = {t.pane_id: f"{t.key} {t.label}" for t in TABS}
        with TabbedContent(id="tabbed", initial="tab-load"):
            with TabPane("0 Result", id="tab-result"), VerticalScroll(id="result-scroll"):
                yield ResultPane(id="result-pane")
            with TabPane(label["tab-load"], id="tab-load"):
                yield K6Pane(id="k6-pane")
                yield OutputPane(max_lines=self.output_max_lines, id="output-pane")
            with TabPane(label["tab-endpoints"], id="tab-endpoints"):
                yield EndpointsTable(id="endpoints-table")
                with Horizontal(id="endpoint-details"):
                    with Vertical(id="codes-box"):
                        yield CodesView(id="codes-view")
                        yield ThresholdsView(id="thresholds-view")
                    yield LatencyHistogram(id="latency-histogram")
            with TabPane(label["tab-system"], id="tab-system"):
                yield Static(SERVER_HINT, id="server-hint", markup=False)
                with Horizontal(id="server-top"):
                    yield GaugesPane(id="gauges-pane")
                    yield GaugeChart(id="gauge-chart")
                yield GeneratorPane(id="generator-pane")
            with TabPane(label["tab-containers"], id="tab-containers"):
                yield ContainersPane(self.docker_config, id="containers-pane")
            with TabPane(label["tab-breaches"], id="tab-breaches"):
                yield BreachesPane(id="breaches-pane")
            with TabPane(label["tab-events"], id="tab-events"), VerticalScroll(id="events-scroll"):
                yield EventsPane(id="events-pane")
            with TabPane(label["tab-metrics"], id="tab-metrics"):
                yield MetricsPane(id="metrics-pane")

    def on_mount(self) -> None:
        """The Result tab appears once the run has ended."""
        self.query_one(TabbedContent).hide_tab("tab-result")

    def use_short_labels(self, short: bool) -> None:
        """Shorten the tab labels so the bar fits a narrow terminal.

        Args:
            short: True for the short labels.
        """
        if short == self._short_labels:  # a new label lays the whole screen out again: only on a change
            return
        self._short_labels = short
        tabbed = self.query_one(TabbedContent)
        for t in TABS:
            tabbed.get_tab(t.pane_id).label = f"{t.key} {t.short if short else t.label}"
        tabbed.get_tab("tab-result").label = "0 Res" if short else "0 Result"

    def show_result(self, frame: Frame, report: str, *, replay: bool) -> None:
        """Show the Result tab, drawn from the final frame.

        Args:
            frame: The final frame.
            report: Where the report was written ("" while not written).
            replay: True when the run is a replay (no "replay this run" key).
        """
        tabbed = self.query_one(TabbedContent)
        tabbed.show_tab("tab-result")
        self.query_one(ResultPane).show_result(frame, report, replay=replay)

    def show_frame(self, frame: Frame, *, just_shown: bool = False) -> None:
        """Draw the visible tab from a frame; switching tabs draws the new one from the latest frame.

        Args:
            frame: The latest frame.
            just_shown: True right after a tab switch (charts then redraw a moment later).
        """
        self.query_one(EventsPane).add_events(frame.events, frame.marks, frame.started_at)
        active = self.query_one(TabbedContent).active
        if active == "tab-load":
            self.query_one(K6Pane).show_frame(frame, just_shown=just_shown)
        elif active == "tab-endpoints":
            self.query_one(EndpointsTable).show_rows(frame.endpoints)
            ended = not frame.state.is_active
            codes = whole_run_codes(frame) if ended else frame.codes
            self.query_one(CodesView).show_codes(codes, whole_run=ended)
            self.query_one(LatencyHistogram).show_bins(frame.latency_bins)
            self.query_one(ThresholdsView).show_thresholds(frame.thresholds, frame.k6_exit_code)
        elif active == "tab-system":
            self._show_gauges(frame)
            self.query_one(GeneratorPane).show_generator(frame.generator)
        elif active == "tab-containers" and frame.containers is not None:
            self.query_one(ContainersPane).update_snapshot(frame.containers)
        elif active == "tab-breaches":
            self.query_one(BreachesPane).update_breaches(
                frame.firing, frame.breach_history, frame.started_at, frame.rule_notes
            )
        elif active == "tab-events":
            self.query_one(EventsPane).redraw()
        elif active == "tab-metrics":
            self.query_one(MetricsPane).show_frame(frame)

    def next_gauge(self) -> None:
        """Chart the next gauge on the Server tab (drawn with the next frame)."""
        self.gauge_index += 1
        self._gauge_chart_t = 0.0

    def _show_gauges(self, frame: Frame) -> None:
        pane = self.query_one(GaugesPane)
        snap = frame.gauges
        configured = snap is not None
        self.query_one("#server-hint").display = not configured
        pane.display = snap is not None
        self.query_one(GaugeChart).display = configured
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

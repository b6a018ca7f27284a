"""The gauges pane and the gauge chart: rows by key, states in words, colours by level, shared time axis."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult

from collectors.gauges import GaugeReading, GaugeSnapshot, SourceState, State
from runners.model.units import format_gauge_value
from tui.gauge_chart import GaugeChart, gauge_lines
from tui.gauges_pane import GaugeRow, GaugesPane, bar_text, sparkline_text

T = 1_800_000_000.0


def reading(
    name: str,
    value: float | None,
    state: State = "ok",
    series: str = "",
    detail: str = "",
    age: float | None = None,
) -> GaugeReading:
    """A % reading with the seed procedures' pool levels (80 / 95)."""
    return GaugeReading(name, series, value, "%", state, detail, age, T, 80.0, 95.0, None, "above")


def snapshot(*readings: GaugeReading, state: SourceState = "ok") -> GaugeSnapshot:
    """A snapshot at T."""
    return GaugeSnapshot(
        T, "prometheus", readings, state, "Prometheus http://127.0.0.1:9090 · 3 queries in 2 ms"
    )


class PaneApp(App[None]):
    """The pane alone, and the chart."""

    def compose(self) -> ComposeResult:
        """Pane and chart."""
        yield GaugesPane(id="gauges")
        yield GaugeChart(id="gauge-chart")


def test_formatting() -> None:
    assert format_gauge_value(85.04, "%") == "85.0 %"
    assert format_gauge_value(31_457_280, "bytes") == "31.5 MB"
    assert format_gauge_value(512, "bytes") == "512 B"
    assert format_gauge_value(0.125, "seconds") == "125 ms"
    assert format_gauge_value(2.5, "seconds") == "2.50 s"
    assert format_gauge_value(1234, "count") == "1,234"
    assert format_gauge_value(0.5, "count") == "0.50"
    assert format_gauge_value(0.9876, "ratio") == "0.988"
    assert format_gauge_value(None, "%") == "—"
    assert bar_text(50, 100, 10) == "█████░░░░░"
    assert bar_text(250, 100, 4) == "████"
    assert bar_text(None, 100, 3) == "░░░"
    assert bar_text(5, None, 3) == "   "
    assert bar_text(53, 100, 10) == "█████▎░░░░"
    assert sparkline_text([(0, 0), (1, 50), (2, 100)], 10, 100) == "▁▅█"
    assert sparkline_text([(i, float(i)) for i in range(100)], 10, 100)[-1] == "█"
    assert len(sparkline_text([(i, float(i)) for i in range(100)], 10, None)) == 10
    assert sparkline_text([(0, 5), (1, 5)], 10, None) == "▄▄", "a flat line sits in the middle"


@pytest.mark.anyio
async def test_rows_are_diffed_by_key_and_show_each_state() -> None:
    app = PaneApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(GaugesPane)
        history = {("db_pool", "orders"): [(T - 4, 60.0), (T - 2, 70.0), (T, 85.0)]}
        pane.update_snapshot(
            snapshot(reading("db_pool", 85.0, series="orders"), reading("cpu", 97.0), reading("cache", 10.0)),
            history,
            now=T,
        )
        await pilot.pause()
        rows = dict(pane.rows)
        assert list(rows) == [("db_pool", "orders"), ("cpu", ""), ("cache", "")]
        orders = rows[("db_pool", "orders")]
        assert orders.text("value") == "85.0 %" and orders.has_class("-warning")
        assert orders.text("state") == "warning" and orders.text("spark") == "▅▆▇"
        assert rows[("cpu", "")].has_class("-critical") and rows[("cpu", "")].text("state") == "CRITICAL"
        assert rows[("cache", "")].has_class("-ok") and rows[("cache", "")].text("state") == ""

        pane.update_snapshot(
            snapshot(
                reading("db_pool", 85.0, "stale", "orders", "connection refused", age=12.0),
                reading("db_pool", None, "down", "users", "connection refused"),
                reading("cpu", None, "invalid", detail="parse error: unclosed left parenthesis"),
                reading("mem", None, "no_data", detail="the query returned no series"),
                state="down",
            ),
            history,
            now=T + 3,
        )
        await pilot.pause()
        assert pane.rows[("db_pool", "orders")] is orders, "rows are updated in place, not rebuilt"
        assert ("cache", "") not in pane.rows and len(app.query(GaugeRow)) == 4
        assert [row.key for row in app.query(GaugeRow)] == [
            ("db_pool", "orders"),
            ("db_pool", "users"),
            ("cpu", ""),
            ("mem", ""),
        ], "a new row is inserted where the snapshot has it"
        assert orders.has_class("-stale") and not orders.has_class("-warning")
        assert orders.text("state") == "stale 15s · connection refused"
        assert orders.text("value") == "85.0 %", "the last value stays on screen"
        assert pane.rows[("db_pool", "users")].text("state") == "down: connection refused"
        assert pane.rows[("cpu", "")].text("state") == "invalid query: parse error: unclosed left parenthesis"
        assert pane.rows[("mem", "")].text("state") == "no data: the query returned no series"
        assert app.query_one("#gauges-source").has_class("-down")


@pytest.mark.anyio
async def test_gauge_chart_uses_seconds_since_the_run_start() -> None:
    app = PaneApp()
    async with app.run_test(size=(100, 40)) as pilot:
        chart = app.query_one(GaugeChart)
        history = {
            ("memory", ""): [(T + 10, 30e6), (T + 12, 31e6)],
            ("db_pool", "a"): [(T + 11, 50.0)],
        }
        chart.show_gauge("memory", "bytes", history, origin_t=T)
        await pilot.pause()
        assert list(chart.shown_xs) == [10, 12]
        assert chart.chart_title == "memory (MB)"
        assert "memory" in app.export_screenshot()  # the plot renders with its title


def test_gauge_lines_align_series_on_one_axis() -> None:
    xs, lines = gauge_lines({"a": [(T + 1, 1.0), (T + 3, 3.0)], "b": [(T + 2, 2.0), (T - 5, 9.0)]}, T)
    assert xs == [1, 2, 3]
    assert [line.values for line in lines] == [[1.0, None, 3.0], [None, 2.0, None]]
    assert [line.label for line in lines] == ["a", "b"]


@pytest.fixture
def anyio_backend() -> str:
    """Textual runs on asyncio."""
    return "asyncio"

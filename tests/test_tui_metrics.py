"""The Metrics tab (k6's summary, live) and the protocol-aware Load tab, from real recorded k6 output."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from textual.widgets import TabbedContent

from runners.model.frames import RunState
from tests.metrics_frames import SHOP, SHOP_THRESHOLDS, WS, recorded_frame
from tests.tui_support import ScriptedRunControl
from tui.app import LoadwatchApp
from tui.fitted_table import Column, fitted_lines
from tui.help_screen import HelpScreen
from tui.k6_charts import SeriesChart
from tui.k6_numbers import K6Numbers, MetricTile
from tui.k6_pane import K6Pane
from tui.metrics_pane import MetricsPane
from tui.metrics_sections import heading
from tui.protocol_numbers import ProtocolNumbers

pytestmark = pytest.mark.anyio
SnapCompare = Callable[..., bool]
SIZES = pytest.mark.parametrize(
    "size", [(60, 20), (80, 24), (120, 40), (200, 60)], ids=["60x20", "80x24", "120x40", "200x60"]
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def body_text(app: LoadwatchApp) -> str:
    """The whole Metrics summary as text, as laid out at the pane's width (beyond the visible rows too)."""
    return "\n".join(line.plain for line in app.query_one(MetricsPane).lines)


def lines_with(text: str, needle: str) -> list[str]:
    return [line for line in text.splitlines() if needle in line]


def metric_row(text: str, name: str) -> list[str]:
    """The first table row of a metric (not its heading over its thresholds), split into cells."""
    return next(
        cells for line in text.splitlines() if (cells := line.split())[:1] == [name] and len(cells) > 1
    )


async def test_the_metrics_key_shows_k6s_summary_with_every_check_custom_metric_and_scenario() -> None:
    control = ScriptedRunControl([])
    app = LoadwatchApp(control)
    async with app.run_test(size=(160, 48)) as pilot:
        control.emit(recorded_frame(SHOP, SHOP_THRESHOLDS))
        await pilot.press("7")
        await pilot.pause()
        assert app.query_one(TabbedContent).active == "tab-metrics"
        assert isinstance(app.focused, MetricsPane)  # arrows and page keys scroll it
        text = body_text(app)
    # Checks by name, with pass %, passes and fails as k6 counted them (shop.k6.json: one slow item).
    assert "✗ fast" in text and lines_with(text, "✗ fast")[0].split()[2:5] == ["97.06", "%", "33"]
    assert "✓ status 200" in text and "✓ paid" in text and "shop › pay" in text
    # Thresholds under their metric, with the live value and verdict: the failing one says so.
    failed = lines_with(text, "rate<0.01")[0]
    assert "✗" in failed and "rate=6.00 %" in failed and "FAIL (live)" in failed
    assert "p(95)=" in lines_with(text, "p(95)<500")[0] and "pass (live)" in lines_with(text, "p(95)<500")[0]
    # Custom metrics of all four types, each with its type's columns.
    for name in ("item_time", "items_seen", "item_ok", "queue_depth"):
        assert lines_with(text, name), f"{name} missing"
    assert metric_row(text, "items_seen")[1] == "34"  # Counter: count first
    assert metric_row(text, "queue_depth")[1:] == ["6", "0", "9"]  # Gauge: last value, min, max
    assert metric_row(text, "item_ok")[1:] == ["100.00", "%", "34", "0"]  # Rate: %, passes, fails
    trend = metric_row(text, "item_time")
    assert trend[1] == "✓" and trend[3] == "ms"  # Trend: its threshold passes; avg of a time, in its unit
    # Scenarios: iterations, drops of the arrival-rate one, requests.
    buy = lines_with(text, "buy ")[-1].split()
    assert buy[:2] == ["buy", "13"] and "28" in buy and "16" in buy
    # Sections in k6's order, and the group tree with its checks.
    order = [text.index(f"█ {s}") for s in ("THRESHOLDS", "CHECKS", "SCENARIOS", "HTTP", "EXECUTION",
                                            "NETWORK", "CUSTOM", "GROUPS")]  # fmt: skip
    assert order == sorted(order)
    assert "▾ catalog" in text and "▾ pay" in text and "::shop::pay" in text


@pytest.mark.parametrize("width", [60, 80, 120, 200])
async def test_narrow_screens_drop_columns_never_rows(width: int) -> None:
    control = ScriptedRunControl([])
    app = LoadwatchApp(control)
    async with app.run_test(size=(width, 24)) as pilot:
        control.emit(recorded_frame(SHOP, SHOP_THRESHOLDS))
        await pilot.press("7")
        await pilot.pause()
        text = body_text(app)
        room = app.query_one(MetricsPane).scrollable_content_region.width
    assert max(len(line.rstrip()) for line in text.splitlines()) <= room
    assert len(lines_with(text, "http_req_tls_handshaking")) == 3  # whole, in HTTP and in two groups
    trend_header = lines_with(text, "Trend")[0].split()
    assert "p(95)" in trend_header and "avg" in trend_header  # the columns that matter stay
    assert ("p(99)" in trend_header) == (width >= 120)
    for name in ("✗ fast", "✓ paid", "items_seen", "queue_depth", "dropped"):
        assert lines_with(text, name), f"{name} missing at {width} columns"


async def test_help_lists_the_metrics_key() -> None:
    app = LoadwatchApp(ScriptedRunControl([]))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        (row,) = [r for r in screen.rows if r[1] == "Metrics"]
        assert row[0] == "7" and "summary" in row[2]


def test_folded_tag_sets_are_said() -> None:
    view = recorded_frame(SHOP, SHOP_THRESHOLDS).metrics
    assert view is not None
    assert "folded" not in heading(view, ended=False).plain
    text = heading(replace(view, folded_tagsets=1234), ended=False).plain
    assert "1,234 rare tag sets folded" in text and "cardinality bound" in text


def test_a_fitted_table_keeps_rows_and_its_most_needed_columns() -> None:
    columns = [Column("name", flex=True, justify="left"), Column("a", 3), Column("b", 1), Column("c", 2)]
    rows = [["a-long-metric-name", "111111", "222222", "333333"], ["x", "1", "2", "3"]]
    lines = [line.plain for line in fitted_lines(columns, rows, 34)]
    assert len(lines) == 3 and max(len(line) for line in lines) <= 34
    assert lines[0].split() == ["name", "b", "c"]  # "a" gave way first
    assert lines[1].startswith("a-long-metric-name")


async def test_a_websocket_run_headlines_sessions_and_messages_on_the_load_tab() -> None:
    control = ScriptedRunControl([])
    app = LoadwatchApp(control)
    async with app.run_test(size=(120, 40)) as pilot:
        control.emit(recorded_frame(WS))
        await pilot.pause()
        assert not app.query_one(K6Numbers).display and app.query_one(ProtocolNumbers).display
        tiles = {t.label: t.value for t in app.query_one(ProtocolNumbers).query(MetricTile) if t.display}
        assert (
            tiles["sessions"] == "34"
            and tiles["msgs sent/s"] == "75.0"
            and tiles["msgs received/s"] == "75.0"
        )
        assert tiles["connecting p95"].endswith(" ms") and tiles["VUs"] == "2/2"
        assert "req/s" not in tiles
        app.query_one(K6Pane).redraw_charts()  # the first chart follows iterations, not requests
        assert app.query_one("#chart-rps", SeriesChart).chart_title == "iterations/s"
        # An HTTP run's frame brings the HTTP numbers back.
        control.emit(recorded_frame(SHOP, SHOP_THRESHOLDS))
        await pilot.pause()
        assert app.query_one(K6Numbers).display and not app.query_one(ProtocolNumbers).display


@SIZES
def test_metrics_tab_snapshot(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    control = ScriptedRunControl([])
    frame = recorded_frame(SHOP, SHOP_THRESHOLDS)

    async def run_before(pilot: object) -> None:
        control.emit(frame)

    assert snap_compare(LoadwatchApp(control), terminal_size=size, press=["7"], run_before=run_before)


def test_metrics_tab_snapshot_at_the_end(snap_compare: SnapCompare) -> None:
    control = ScriptedRunControl([])
    frame = recorded_frame(SHOP, SHOP_THRESHOLDS, state=RunState.THRESHOLDS_FAILED)
    final = tuple(replace(r, final=True, judged_by="k6") for r in frame.thresholds)

    async def run_before(pilot: object) -> None:
        control.emit(replace(frame, thresholds=final, k6_exit_code=99))

    assert snap_compare(LoadwatchApp(control), terminal_size=(80, 24), press=["7"], run_before=run_before)

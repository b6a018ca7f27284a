"""`g` on the Server tab charts the next gauge, in turn, and wraps around."""

from __future__ import annotations

import dataclasses

import pytest

from collectors.gauges import GaugeReading, GaugeSnapshot
from runners.model.frames import Frame
from tests.tui_support import ScriptedRunControl, build_frame
from tui.app import LoadwatchApp
from tui.gauge_chart import GaugeChart

pytestmark = pytest.mark.anyio
NAMES = ("db_pool", "cache_hit", "cpu")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def with_gauges(i: int) -> Frame:
    """Scripted frame `i` with three gauges and a minute of their history."""
    frame = build_frame(i)
    t = frame.wall_t
    readings = tuple(GaugeReading(n, "", 10.0 * k, "%", "ok", "", 0.5, t) for k, n in enumerate(NAMES))
    history = {
        (n, ""): tuple((t - s, float(s % 7 + k)) for s in range(60, 0, -1)) for k, n in enumerate(NAMES)
    }
    return dataclasses.replace(frame, gauges=GaugeSnapshot(t, "scrape", readings, "ok", "3 targets"),
                               gauge_history=history)  # fmt: skip


async def test_g_charts_the_next_gauge_and_wraps() -> None:
    control = ScriptedRunControl([])
    app = LoadwatchApp(control)
    i = 40
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("3")
        control.emit(with_gauges(i))
        await pilot.pause()
        chart = app.query_one(GaugeChart)
        shown = [chart.gauge_name]
        for _ in range(len(NAMES)):
            await pilot.press("g")
            i += 3  # the chart redraws at most once a second of frame time
            control.emit(with_gauges(i))
            await pilot.pause()
            shown.append(chart.gauge_name)
        assert shown == [*NAMES, NAMES[0]]
        assert chart.chart_title == "db_pool (%)"

"""The endpoints tab (sorting from the keyboard) and the generator warning, driven by Pilot."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from runners.rules.generator import GeneratorWatch
from tests.endpoint_frames import ENDPOINTS, endpoint_frame, generator
from tests.tui_support import ScriptedRunControl, settle_endpoints
from tui.app import LoadwatchApp
from tui.endpoints_table import EndpointsTable
from tui.k6_charts import SeriesChart

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _app_with_frame(pilot_size: tuple[int, int] = (120, 36)) -> tuple[LoadwatchApp, ScriptedRunControl]:
    control = ScriptedRunControl([])
    return LoadwatchApp(control), control


async def test_worst_p95_first_and_keyboard_sorting() -> None:
    app, control = await _app_with_frame()
    async with app.run_test(size=(120, 36)) as pilot:
        control.emit(endpoint_frame())
        await pilot.press("2")
        await pilot.pause()
        table = app.query_one(EndpointsTable)
        assert table.order()[0] == "GET /api/search"  # worst p95 first
        assert table.order()[-1] == "other"
        table.focus()
        await pilot.press("o")  # next column: p99
        assert table.sort_column == "p99"
        await pilot.press("o")  # errors
        assert table.order()[:2] == ["GET /api/search", "POST /api/orders"]
        await pilot.press("r")  # fewest errors first, "other" still last
        assert table.order()[0] == "health" and table.order()[-1] == "other"
        for _ in range(len(["codes", "name"])):
            await pilot.press("o")
        assert table.sort_column == "name"
        assert table.order()[:4] == sorted(table.order()[:4], reverse=True)  # reversed name order


async def test_rows_are_diffed_not_rebuilt(monkeypatch: pytest.MonkeyPatch) -> None:
    app, control = await _app_with_frame()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("2")
        control.emit(endpoint_frame())
        await pilot.pause()
        table = app.query_one(EndpointsTable)
        rows_before = dict(table.rows)
        calls: list[str] = []
        for name in ("clear", "add_row", "remove_row"):
            original = getattr(table, name)

            def spy(*args: object, _name: str = name, _original: Callable[..., object] = original,
                    **kwargs: object) -> object:  # fmt: skip
                calls.append(_name)
                return _original(*args, **kwargs)

            monkeypatch.setattr(table, name, spy)
        # Next frame: one row's numbers change, one endpoint is new, one is gone.
        busier = dataclasses.replace(ENDPOINTS[0], requests=99_999)
        new = dataclasses.replace(ENDPOINTS[2], name="GET /api/cart")
        frame = dataclasses.replace(
            endpoint_frame(152), endpoints=(busier, *ENDPOINTS[1:2], new, *ENDPOINTS[3:])
        )
        control.emit(frame)
        await pilot.pause()
        assert sorted(calls) == ["add_row", "remove_row"], "one row added, one removed, nothing rebuilt"
        kept = [k for k in rows_before if k.value not in ("POST /api/orders",)]
        assert all(table.rows[k] is rows_before[k] for k in kept), "the other rows are the same objects"
        assert "99,999" in str(table.get_cell("GET /api/products", "requests"))
        assert set(table.order()) == {e.name for e in frame.endpoints}


async def test_generator_warning_stays_on_every_tab() -> None:
    watch = GeneratorWatch(limit_pct=85, for_s=10)
    app, control = await _app_with_frame()
    async with app.run_test(size=(120, 36)) as pilot:
        warning = "load generator saturated: CPU >= 85% for 10s+; latencies now measure the generator, not the target"
        control.emit(endpoint_frame(gen=generator(97.0, True, warning)))
        await pilot.pause()
        strip = app.query_one("#alert-strip")
        assert strip.display and "generator saturated" in str(strip.render())
        for tab in ("2", "3", "1"):
            await pilot.press(tab)
            await pilot.pause()
            assert strip.display
        assert watch.warning() == ""


@pytest.fixture(autouse=True)
def plot_on_the_ui_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Charts plot in a worker thread in the app; here on the UI thread, so every picture is complete."""
    monkeypatch.setattr(SeriesChart, "PLOT_IN_THREAD", False)


def test_generator_watch_needs_ten_seconds_above_the_limit() -> None:
    from collectors.host import HostSample

    w = GeneratorWatch(limit_pct=85, for_s=10)

    def s(t: float, cpu: float) -> HostSample:
        return HostSample(t, cpu, 30.0, 2, 20.0, 50_000_000, 5.0, 60_000_000)

    assert [w.feed(s(t, 95.0)) for t in range(10)] == [None] * 10
    assert w.feed(s(10, 95.0)) == "saturated"
    assert "saturated" in w.warning()
    assert w.feed(s(11, 40.0)) == "recovered"
    assert "was saturated" in w.warning()
    assert w.feed(s(12, 95.0)) is None and w.feed(s(13, 50.0)) is None  # short spikes do not count


SnapCompare = Callable[..., bool]


def test_endpoints_tab_snapshot(snap_compare: SnapCompare) -> None:
    control = ScriptedRunControl([])
    app = LoadwatchApp(control)

    async def run_before(pilot: Pilot[int]) -> None:
        control.emit(endpoint_frame())
        await pilot.press("2")
        await settle_endpoints(pilot)

    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)

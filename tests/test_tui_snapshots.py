"""Snapshot tests of the run screen at 60x20, 80x24, 120x40 and 200x60, from fixed frames (no clock, no k6)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot

from runners.model.frames import RunState
from tests.endpoint_frames import ended_frame, endpoint_frame
from tests.tui_support import ScriptedRunControl, build_frame, settle_endpoints
from tui.app import LoadwatchApp
from tui.k6_charts import SeriesChart
from tui.k6_pane import K6Pane

SnapCompare = Callable[..., bool]
RunBefore = Callable[[Pilot[int]], Awaitable[None]]
TINY = (60, 20)
SMALL = (80, 24)
MEDIUM = (120, 40)
LARGE = (200, 60)
SIZES = pytest.mark.parametrize(
    "size", [TINY, SMALL, MEDIUM, LARGE], ids=["60x20", "80x24", "120x40", "200x60"]
)


@pytest.fixture(autouse=True)
def plot_on_the_ui_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Charts plot in a worker thread in the app; here on the UI thread, so every picture is complete."""
    monkeypatch.setattr(SeriesChart, "PLOT_IN_THREAD", False)


def scripted_app(frames: int, *, then: RunState | None = None) -> tuple[LoadwatchApp, RunBefore]:
    """An app on a scripted run, and a `run_before` that feeds it frames and draws the charts.

    Args:
        frames: How many scripted frames to emit (two per second of the run).
        then: A final state to end the run in, if any.

    Returns:
        The app and the coroutine function for `snap_compare`.
    """
    control = ScriptedRunControl([])
    app = LoadwatchApp(control)

    async def run_before(pilot: Pilot[int]) -> None:
        for i in range(frames):
            control.emit(build_frame(i))
        control.emit(endpoint_frame(frames))
        if then is not None:
            control.emit(ended_frame(frames, then))
        await pilot.pause()
        # The throttle may have deferred the last chart redraw; draw now so the picture is fixed.
        app.query_one(K6Pane).redraw_charts()
        await pilot.pause()

    return app, run_before


@SIZES
def test_running(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    app, run_before = scripted_app(151)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_first_frame(snap_compare: SnapCompare) -> None:
    app, run_before = scripted_app(1)
    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)


def test_quit_question(snap_compare: SnapCompare) -> None:
    app, run_before = scripted_app(151)
    assert snap_compare(app, terminal_size=SMALL, press=["q"], run_before=run_before)


@SIZES
def test_end_of_run(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    app, run_before = scripted_app(239, then=RunState.THRESHOLDS_FAILED)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@SIZES
def test_end_of_run_load_tab(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    app, run_before = scripted_app(239, then=RunState.THRESHOLDS_FAILED)
    assert snap_compare(app, terminal_size=size, press=["1"], run_before=run_before)


@pytest.mark.parametrize("size", [TINY, SMALL], ids=["60x20", "80x24"])
def test_endpoints_tab_small(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    app, feed = scripted_app(151)

    async def run_before(pilot: Pilot[int]) -> None:
        await feed(pilot)
        await pilot.press("2")
        await settle_endpoints(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)

"""Snapshot tests of the live-run screen at 80x24 and 160x48, from fixed frames (no clock, no k6)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot

from runners.model.frames import RunState
from tests.tui_support import ScriptedRunControl, build_frame, final_frame
from tui.app import LoadwatchApp
from tui.k6_pane import K6Pane

SnapCompare = Callable[..., bool]
RunBefore = Callable[[Pilot[int]], Awaitable[None]]
SMALL = (80, 24)
LARGE = (160, 48)
SIZES = pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "160x48"])


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
        if then is not None:
            last = build_frame(frames - 1)
            control.emit(final_frame(last, then, exit_code=99, detail="k6 exited 99: thresholds crossed"))
        await pilot.pause()
        # The throttle may have deferred the last chart redraw; draw now so the picture is fixed.
        app.query_one(K6Pane).redraw_charts()
        await pilot.pause()

    return app, run_before


@SIZES
def test_running(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    app, run_before = scripted_app(151)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@SIZES
def test_first_frame(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    app, run_before = scripted_app(1)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_quit_question(snap_compare: SnapCompare) -> None:
    app, run_before = scripted_app(151)
    assert snap_compare(app, terminal_size=SMALL, press=["q"], run_before=run_before)


def test_thresholds_failed(snap_compare: SnapCompare) -> None:
    app, run_before = scripted_app(240, then=RunState.THRESHOLDS_FAILED)
    assert snap_compare(app, terminal_size=LARGE, run_before=run_before)

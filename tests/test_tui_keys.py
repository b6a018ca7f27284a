"""Every run key with Pilot: abort (twice), snapshot, mark with a note and empty, instant mark, pause, help."""

from __future__ import annotations

import json

import pytest

from runners.model.frames import RunState
from tests.tui_support import ScriptedRunControl, StopCall, build_frame, final_frame
from tui.app import LoadwatchApp
from tui.confirm_screen import ConfirmScreen
from tui.help_screen import HelpScreen
from tui.mark_dialog import MarkDialog

pytestmark = pytest.mark.anyio
SIZE = (120, 36)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def running() -> tuple[LoadwatchApp, ScriptedRunControl]:
    control = ScriptedRunControl([])
    return LoadwatchApp(control), control


async def test_abort_confirms_then_stops_gracefully_and_again_at_once() -> None:
    app, control = running()
    async with app.run_test(size=SIZE) as pilot:
        control.emit(build_frame(20))
        await pilot.pause()
        await pilot.press("a")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert control.stop_calls == []
        await pilot.press("a", "y")
        await app.workers.wait_for_complete()
        assert control.stop_calls == [StopCall(False, "abort key")]
        assert app.query_one("#run-stopping").display
        await pilot.press("a")  # again while stopping: hard, no question
        await app.workers.wait_for_complete()
        assert control.stop_calls[-1] == StopCall(True, "abort key")
        assert not isinstance(app.screen, ConfirmScreen)
        control.emit(final_frame(build_frame(20), RunState.ABORTED, exit_code=105))
        await pilot.pause()
        assert app.is_running, "after an abort the screen stays, with the final numbers"
        assert not app.query_one("#run-stopping").display


async def test_abort_is_hidden_when_no_run_is_active() -> None:
    app, control = running()
    async with app.run_test(size=SIZE) as pilot:
        control.emit(final_frame(build_frame(20), RunState.FINISHED, exit_code=0))
        await pilot.pause()
        assert app.check_action("abort_run", ()) is False
        await pilot.press("a")
        assert not isinstance(app.screen, ConfirmScreen)
        assert control.stop_calls == []


async def test_mark_with_a_note_and_with_an_empty_note() -> None:
    app, control = running()
    async with app.run_test(size=SIZE) as pilot:
        control.emit(build_frame(40))
        await pilot.pause()
        await pilot.press("m")
        assert isinstance(app.screen, MarkDialog)
        await pilot.press(*"scaled api", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, MarkDialog)
        await pilot.press("m", "enter")  # empty note
        await pilot.press("m", "x", "escape")  # cancelled: no mark
        await pilot.press("M")  # instant mark
        await pilot.pause()
        assert [m.note for m in control.marks] == ["scaled api", "", ""]


async def test_snapshot_writes_svg_and_values() -> None:
    app, control = running()
    async with app.run_test(size=SIZE) as pilot:
        control.emit(build_frame(40))
        await pilot.pause()
        await pilot.press("s")
        await app.workers.wait_for_complete()
        ((svg, values),) = control.snapshots
        assert svg is not None and svg.is_file() and svg.read_text().startswith("<svg")
        assert json.loads(values.read_text())["run_name"] == "checkout-ramp"


async def test_pause_freezes_the_display_and_resume_catches_up() -> None:
    app, control = running()
    async with app.run_test(size=SIZE) as pilot:
        control.emit(build_frame(10))
        await pilot.pause()
        await pilot.press("p")
        assert app.query_one("#run-paused").display
        control.emit(build_frame(60))
        await pilot.pause()
        assert "00:05" in str(app.query_one("#run-clock").render())
        await pilot.press("p")
        await pilot.pause()
        assert not app.query_one("#run-paused").display
        assert "00:30" in str(app.query_one("#run-clock").render())


async def test_help_lists_every_key() -> None:
    app, control = running()
    async with app.run_test(size=SIZE) as pilot:
        control.emit(build_frame(4))
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        keys = {row[1] for row in app.screen.rows}
        assert {"Abort", "Snapshot", "Mark", "Mark now", "Pause", "Help", "Quit"} <= keys
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)

"""The screen as a viewer of an engine process: `d` detaches, a read-only viewer cannot change the run."""

from __future__ import annotations

import pytest

from runners.engine.control import SessionControl
from runners.model.frames import RunState
from tests.tui_support import ScriptedRunControl, build_frame, final_frame
from tui.app import LoadwatchApp
from tui.confirm_screen import ConfirmScreen
from tui.mark_dialog import MarkDialog

pytestmark = pytest.mark.anyio
SIZE = (120, 36)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class ViewedRun(ScriptedRunControl):
    """A scripted run seen as an attached viewer sees it (runners.session.client.RemoteRun's extras)."""

    def __init__(self, *, read_only: bool = False) -> None:
        super().__init__([])
        self._read_only = read_only
        self.detached = 0

    @property
    def read_only(self) -> bool:
        """True for a watching-only viewer."""
        return self._read_only

    @property
    def can_annotate(self) -> bool:
        """No marks for a read-only viewer."""
        return not self._read_only and super().can_annotate

    def detach(self) -> None:
        """Count the detach."""
        self.detached += 1


async def test_d_detaches_and_leaves_the_screen() -> None:
    control = ViewedRun()
    assert isinstance(control, SessionControl)
    app = LoadwatchApp(control)
    async with app.run_test(size=SIZE) as pilot:
        control.emit(build_frame(20))
        await pilot.pause()
        assert app.check_action("detach", ()) is True
        await pilot.press("d")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert control.detached == 1 and app.detached and app.return_code == 0
    assert control.stop_calls == [], "detaching never stops the run"


async def test_d_is_hidden_for_a_run_in_this_process_and_once_the_run_ended() -> None:
    app = LoadwatchApp(ScriptedRunControl([]))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.check_action("detach", ()) is False
    control = ViewedRun()
    app = LoadwatchApp(control)
    async with app.run_test(size=SIZE) as pilot:
        control.emit(final_frame(build_frame(20), RunState.FINISHED, exit_code=0))
        await pilot.pause()
        assert app.check_action("detach", ()) is False
        await pilot.press("d")
        await pilot.pause()
        assert control.detached == 0


async def test_a_read_only_viewer_cannot_abort_mark_or_snapshot_and_quits_without_stopping() -> None:
    control = ViewedRun(read_only=True)
    app = LoadwatchApp(control)
    async with app.run_test(size=SIZE) as pilot:
        control.emit(build_frame(20))
        await pilot.pause()
        for action in ("abort_run", "mark", "instant_mark", "snapshot"):
            assert app.check_action(action, ()) is False, action
        await pilot.press("a", "m", "M", "s")
        await pilot.pause()
        assert not isinstance(app.screen, (ConfirmScreen, MarkDialog))
        assert control.stop_calls == [] and control.marks == [] and control.snapshots == []
        await pilot.press("q")  # leaves at once: watching only, nothing to stop
        await pilot.pause()
    assert control.stop_calls == []


async def test_quitting_a_steering_viewer_still_asks_and_names_detach() -> None:
    control = ViewedRun()
    app = LoadwatchApp(control)
    async with app.run_test(size=SIZE) as pilot:
        control.emit(build_frame(20))
        await pilot.pause()
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmScreen)
        assert "press d" in app.screen.detail

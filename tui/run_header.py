"""The one-line bar on top: run name, state, elapsed of planned time, VUs and the stopping indicator."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Label

from runners.model.frames import Frame, RunState
from runners.model.units import format_clock, format_vus
from tui.replay_bar import playback_text

STOP_NONE = ""
"""No stop was asked for by this screen."""
STOP_GRACEFUL = "graceful"
"""A graceful stop was asked for: k6 runs teardown and writes its summary."""
STOP_HARD = "hard"
"""k6 is being ended at once."""


class RunHeader(Horizontal):
    """Shows where the run is; the app sets the reactives from each frame."""

    run_name: reactive[str] = reactive("", repaint=False)
    """Short human name of the run."""
    state: reactive[RunState] = reactive(RunState.STARTING, repaint=False)
    """The run's state in the latest frame."""
    elapsed_s: reactive[float] = reactive(0.0, repaint=False)
    """Seconds since the run started."""
    planned_s: reactive[float | None] = reactive(None, repaint=False)
    """Planned duration in seconds, None when the script does not say."""
    vus: reactive[float | None] = reactive(None, repaint=False)
    """Virtual users now."""
    vus_max: reactive[float | None] = reactive(None, repaint=False)
    """Most virtual users the run may use."""
    detail: reactive[str] = reactive("", repaint=False)
    """One line on why the run is in its state."""
    stop_mode: reactive[str] = reactive(STOP_NONE, repaint=False)
    """Which stop the screen asked for."""
    paused: reactive[bool] = reactive(False, repaint=False)
    """True while the display is frozen (recording goes on)."""
    replay: reactive[str] = reactive("", repaint=False)
    """Playback status when replaying a record ("" when live)."""
    """Which stop this screen asked for: "", "graceful" or "hard" (bound to the app)."""

    def __init__(self, title: str, *, id: str | None = None) -> None:
        """Create the bar.

        Args:
            title: The app's title, shown first where there is room.
            id: The widget id.
        """
        super().__init__(id=id)
        self.app_title = title

    def compose(self) -> ComposeResult:
        """Lay out the parts of the bar.

        Returns:
            The labels, left to right.
        """
        yield Label(self.app_title, id="run-title")
        yield Label(id="run-name")
        yield Label(id="run-state")
        yield Label(id="run-clock")
        yield Label(id="run-vus")
        yield Label(id="run-stopping")
        yield Label("PAUSED display (p resumes; recording goes on)", id="run-paused")
        yield Label(id="run-replay")
        yield Label(id="run-detail")

    def show_frame(self, frame: Frame) -> None:
        """Take the values of a frame.

        Args:
            frame: The latest frame.
        """
        self.run_name = frame.run_name
        self.state = frame.state
        self.elapsed_s = frame.elapsed_s
        self.planned_s = frame.planned_s
        self.vus = frame.live.vus
        self.vus_max = frame.live.vus_max
        self.detail = frame.status_detail
        self.replay = playback_text(frame.playback) if frame.playback else frame.replay

    def watch_run_name(self, run_name: str) -> None:
        """Show the run name."""
        self.query_one("#run-name", Label).update(run_name)

    def watch_state(self, old: RunState, new: RunState) -> None:
        """Show the state, coloured by a CSS class per state."""
        label = self.query_one("#run-state", Label)
        label.remove_class(f"-{old.value}")
        label.add_class(f"-{new.value}")
        label.update(new.value.replace("_", " ").upper())
        self._show_stopping()
        self._watch_vus()

    def _set(self, selector: str, text: str) -> None:
        # A label of the same length keeps its width: skip the layout pass a 2 Hz clock would cost.
        label = self.query_one(selector, Label)
        old = str(label.content)
        if text != old:
            label.update(text, layout=len(text) != len(old))

    def _watch_clock(self) -> None:
        self._set("#run-clock", f"{format_clock(self.elapsed_s)} / {format_clock(self.planned_s)}")

    watch_elapsed_s = _watch_clock
    watch_planned_s = _watch_clock

    def _watch_vus(self) -> None:
        label = self.query_one("#run-vus", Label)
        label.display = self.state.is_active  # once k6 ended there are no VUs "now"
        self._set("#run-vus", f"VUs {format_vus(self.vus, self.vus_max)}")

    watch_vus = _watch_vus
    watch_vus_max = _watch_vus

    def watch_detail(self, detail: str) -> None:
        """Show why the run is in its state."""
        self.query_one("#run-detail", Label).update(detail)

    def watch_paused(self, paused: bool) -> None:
        """Show the frozen-display indicator, with the instant on screen (to the tenth: `replay --at` finds it)."""
        label = self.query_one("#run-paused", Label)
        label.display = paused
        if paused:
            tenths = int(max(0.0, self.elapsed_s) * 10) % 10
            label.update(f"PAUSED at {format_clock(self.elapsed_s)}.{tenths} (p resumes; recording goes on)")

    def watch_replay(self, replay: str) -> None:
        """Show the playback status of a replay."""
        label = self.query_one("#run-replay", Label)
        label.display = bool(replay)
        label.update(f"REPLAY {replay}")

    def watch_stop_mode(self) -> None:
        """Show or hide the stopping indicator."""
        self._show_stopping()

    def _show_stopping(self) -> None:
        # The engine's STOPPING state and this screen's own request both count; a hard stop says so.
        stopping = self.state.is_active and (self.stop_mode != STOP_NONE or self.state is RunState.STOPPING)
        label = self.query_one("#run-stopping", Label)
        label.display = stopping
        label.set_class(self.stop_mode == STOP_HARD, "-hard")
        label.update("KILLING k6…" if self.stop_mode == STOP_HARD else "STOPPING…")

"""The loadwatch app for one live run: composes the panes and wires frames and keys to them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Static, TabbedContent
from textual.worker import Worker, WorkerState

from runners.engine.control import PlaybackControl, RunControl
from runners.engine.exit_status import exit_status_for
from runners.model.frames import Frame, Mark
from tui.breach_banner import BreachBanner
from tui.confirm_screen import ConfirmScreen
from tui.containers_pane import ContainersPane
from tui.frame_feed import FrameFeed
from tui.help_screen import HelpScreen
from tui.mark_dialog import MarkDialog
from tui.output_pane import OutputPane
from tui.record_banner import RecordBanner
from tui.run_header import STOP_GRACEFUL, STOP_HARD, STOP_NONE, RunHeader
from tui.run_tabs import RunTabs
from tui.units import format_clock

QUIT_QUESTION = "A run is in progress. Stop k6 gracefully and quit?"


class LoadwatchApp(App[int]):
    """Watches one run; the return value is the exit code for the command line (see `runners.engine.exit_status`)."""

    CSS_PATH = "app.tcss"
    # Screen classes the CSS lays out by; Textual types these without ClassVar, so mypy refuses one.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]  # noqa: RUF012
    # ctrl+c and ctrl+q replace Textual's defaults (a hint, and a quit that would leave k6 unwatched).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit_app", "Quit", id="quit", tooltip="Stop the run (asks first) and quit"),
        Binding("ctrl+c", "quit_app", "Quit", show=False, priority=True, id="quit-ctrl-c"),
        Binding("ctrl+q", "quit_app", "Quit", show=False, priority=True, id="quit-ctrl-q"),
        Binding(
            "a",
            "abort_run",
            "Abort",
            id="abort-run",
            tooltip="Stop k6 gracefully (asks first); again: at once",
        ),
        Binding(
            "s", "snapshot", "Snapshot", id="snapshot", tooltip="Save the screen (SVG) and every value (JSON)"
        ),
        Binding("m", "mark", "Mark", id="mark", tooltip="Add a mark with a note"),
        Binding("M", "instant_mark", "Mark now", id="instant-mark", tooltip="Add a mark with no note"),
        Binding(
            "p", "toggle_pause", "Pause", id="pause-display", tooltip="Freeze the display (recording goes on)"
        ),
        Binding("question_mark", "help", "Help", id="help", tooltip="Every key and what it does"),
        Binding(
            "R",
            "write_report",
            "Report",
            id="write-report",
            tooltip="Write report.md and report.html (run ended)",
        ),
        Binding("1", "show_tab('tab-load')", "Load", show=False, id="tab-load"),
        Binding("2", "show_tab('tab-endpoints')", "Endpoints", show=False, id="tab-endpoints"),
        Binding("3", "show_tab('tab-system')", "Server", show=False, id="tab-system"),
        Binding("g", "next_gauge", "Chart next gauge", show=False, id="next-gauge"),
        Binding("4", "show_tab('tab-containers')", "Containers", show=False, id="tab-containers"),
        Binding("5", "show_tab('tab-breaches')", "Breaches", show=False, id="tab-breaches"),
        Binding("6", "show_tab('tab-marks')", "Marks", show=False, id="tab-marks"),
        Binding("space", "play_pause", "Play/pause", id="replay-play", tooltip="Replay: play or pause"),
        Binding("plus,equals_sign", "replay_faster", "Faster", id="replay-faster", tooltip="Replay: faster"),
        Binding("minus", "replay_slower", "Slower", id="replay-slower", tooltip="Replay: slower"),
        Binding("right", "replay_seek(10)", "+10s", show=False, id="replay-forward"),
        Binding("left", "replay_seek(-10)", "-10s", show=False, id="replay-back"),
        Binding("end", "replay_seek(1e9)", "End", show=False, id="replay-end"),
        Binding("home", "replay_seek(-1e9)", "Start", show=False, id="replay-start"),
    ]
    OUTPUT_MAX_LINES: ClassVar[int] = 2000
    """Lines of k6 output kept on screen."""
    GRACEFUL_STOP_TIMEOUT_S: ClassVar[float] = 30.0
    """How long a graceful stop may take before k6 is ended at once and the app leaves."""
    HARD_STOP_TIMEOUT_S: ClassVar[float] = 5.0
    """How long to wait for the final frame after a hard stop before leaving anyway."""

    stop_mode: reactive[str] = reactive(STOP_NONE)
    """Which stop this app asked for: "", "graceful" or "hard"; the header shows it."""
    paused: reactive[bool] = reactive(False)
    """True while the display is frozen; frames keep coming and are recorded."""

    class FrameArrived(Message):
        """A frame from the engine thread; a newer one supersedes one not yet handled."""

        def __init__(self, frame: Frame) -> None:
            """Wrap a frame.

            Args:
                frame: The frame the engine produced.
            """
            super().__init__()
            self.frame = frame

        def can_replace(self, message: Message) -> bool:
            """Frames are whole snapshots and output lines travel in the feed, so only the newest counts.

            Args:
                message: A message queued after this one.

            Returns:
                True when it is another frame.
            """
            return isinstance(message, LoadwatchApp.FrameArrived)

    def __init__(
        self, control: RunControl, *, title: str | None = None, on_ready: Callable[[], None] | None = None
    ) -> None:
        """Create the app for one run.

        Args:
            control: The run to watch and steer.
            title: Shown first in the header; "loadwatch" when None.
            on_ready: Called once the first screen is drawn (the CLI starts k6 there).
        """
        super().__init__()
        self._on_ready = on_ready
        self._keymap: dict[str, str] = {}
        self.control = control
        self.title = title or "loadwatch"
        self._feed = FrameFeed(self.OUTPUT_MAX_LINES)
        self._stop_timer: Timer | None = None
        self._last_frame: Frame | None = None
        self._aborting = False
        self._quitting = False

    def compose(self) -> ComposeResult:
        """Lay out the screen.

        Returns:
            The header, the k6 pane, the output pane and the footer.
        """
        with Vertical(id="top-bar"):
            yield RunHeader(self.title, id="run-header").data_bind(
                LoadwatchApp.stop_mode, LoadwatchApp.paused
            )
            yield Static("", id="alert-strip")
            yield BreachBanner(id="breach-banner")
            yield RecordBanner(id="record-banner")
        yield RunTabs(self.OUTPUT_MAX_LINES, id="tabs")
        yield Footer()

    def on_mount(self) -> None:
        """Show what is known before the first frame and start listening to the engine."""
        header = self.query_one(RunHeader)
        header.run_name = self.control.run_name
        header.state = self.control.state
        self.query_one(OutputPane).border_title = "k6 output"
        self.control.add_listener(self._on_engine_frame)
        if self._keymap:
            self.set_keymap(self._keymap)
        if self._on_ready is not None:
            self.call_after_refresh(self._on_ready)

    def _on_engine_frame(self, frame: Frame) -> None:
        # Runs on the engine's thread: hand over only, never touch widgets here.
        self._feed.push(frame)
        self.post_message(self.FrameArrived(frame))

    def on_loadwatch_app_frame_arrived(self, message: FrameArrived) -> None:
        """Show a frame in every pane, and leave once a stop this app asked for has completed."""
        frame = message.frame
        self._last_frame = frame
        if self._quitting and not frame.state.is_active:
            self.exit(exit_status_for(frame.state))
            return
        if not frame.state.is_active and self.stop_mode != STOP_NONE:
            self.stop_mode = STOP_NONE  # an abort completed: stay, showing the final numbers
        if frame.container_events:  # events are not repeated in later frames: hand them over even when paused
            self.query_one(ContainersPane).add_events(frame.container_events)
        if self.paused:
            return  # output waits in the (bounded) feed until the display resumes
        self._show(frame)

    def _show(self, frame: Frame) -> None:
        lines, dropped = self._feed.drain_output()
        with self.batch_update():
            self.query_one(RunHeader).show_frame(frame)
            self.query_one(OutputPane).append(lines, dropped)
            self._show_alerts(frame)
            self.query_one(BreachBanner).show_breaches(frame.firing)
            self.query_one(RecordBanner).show_problem(frame.record_problem)
            self._show_active_tab(frame)
        if frame.bell:
            self.bell()

    @classmethod
    def binding_ids(cls) -> set[str]:
        """The ids users can remap in the `[keys]` table of loadwatch.toml."""
        return {b.id for b in cls.BINDINGS if isinstance(b, Binding) and b.id}

    def use_keymap(self, keymap: dict[str, str]) -> None:
        """Remap keys by binding id (from the configuration); applied when the app mounts."""
        self._keymap = dict(keymap)

    def _show_alerts(self, frame: Frame) -> None:
        strip = self.query_one("#alert-strip", Static)
        warning = frame.generator.warning if frame.generator else ""
        strip.display = bool(warning)
        strip.set_class(bool(frame.generator and frame.generator.saturated), "-critical")
        if warning:
            strip.update(f"⚠ {warning}")

    def _show_active_tab(self, frame: Frame) -> None:
        self.query_one(RunTabs).show_frame(frame)

    def action_next_gauge(self) -> None:
        """Chart the next gauge on the Server tab."""
        self.query_one(RunTabs).next_gauge()
        if self._last_frame is not None:
            self._show_active_tab(self._last_frame)

    def action_show_tab(self, tab: str) -> None:
        """Switch to a tab and draw it from the latest frame."""
        self.query_one(TabbedContent).active = tab

    def on_tabbed_content_tab_activated(self, _event: TabbedContent.TabActivated) -> None:
        """Draw the newly visible tab at once."""
        if self._last_frame is not None:
            self._show_active_tab(self._last_frame)

    # ---- run keys ------------------------------------------------------------------------------------
    @property
    def is_replay(self) -> bool:
        """True when the control plays a record back."""
        return isinstance(self.control, PlaybackControl)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey out keys that do not apply now (abort with no run, marks in a replay, playback live)."""
        if action == "abort_run":
            return None if self.is_replay or not self.control.state.is_active else True
        if action in ("mark", "instant_mark"):
            return True if self.control.can_annotate and self.control.state.is_active else None
        if action == "write_report":
            return (
                True
                if self._last_frame and self._last_frame.run_dir and not self.control.state.is_active
                else None
            )
        if action.startswith(("play_pause", "replay_")):
            return self.is_replay
        return True

    def action_abort_run(self) -> None:
        """Abort: confirm, then stop k6 gracefully; pressed while stopping, end k6 at once."""
        if isinstance(self.screen, ConfirmScreen) or not self.control.state.is_active:
            return
        if self._aborting or self.stop_mode != STOP_NONE:
            self._aborting = True
            self.stop_mode = STOP_HARD
            self._send_abort(hard=True)
            return
        question = "Abort the run? k6 stops gracefully (teardown and its summary still run)."
        detail = "Press a again while stopping to end k6 at once."
        self.push_screen(ConfirmScreen(question, detail=detail), self._on_abort_answer)

    def _on_abort_answer(self, yes: bool | None) -> None:
        if yes and self.control.state.is_active:
            self._aborting = True
            self.stop_mode = STOP_GRACEFUL
            self._send_abort(hard=False)

    @work(thread=True, exit_on_error=False, group="stop", description="abort the run")
    def _send_abort(self, *, hard: bool) -> None:
        self.control.request_stop(hard=hard, reason="abort key")

    def action_mark(self) -> None:
        """Open the note dialog; Enter saves the mark to disk before the dialog closes."""
        if not self.control.can_annotate:
            self.notify("marks can only be added during a live run", severity="warning")
            return
        elapsed = self._last_frame.elapsed_s if self._last_frame else 0.0
        self.push_screen(MarkDialog(format_clock(elapsed), self._save_mark), self._on_mark_saved)

    def _save_mark(self, note: str) -> Mark:
        return self.control.add_mark(note)

    def _on_mark_saved(self, mark: Mark | None) -> None:
        if mark is None:
            return
        what = f"mark at {format_clock(mark.elapsed_s)}"
        note = f": {mark.note}" if mark.note else ""
        if mark.saved:
            self.notify(f"{what} saved{note}")
        else:  # the disk refused it: say so, it is written once space returns
            self.notify(f"{what} not saved yet{note} (the record cannot be written; kept in memory until it can)",
                        severity="warning", timeout=10)  # fmt: skip

    def action_instant_mark(self) -> None:
        """Add a mark with no note, at once."""
        if not self.control.can_annotate:
            return
        try:
            mark = self.control.add_mark("")
        except (RuntimeError, OSError) as exc:
            self.notify(f"mark not saved: {exc}", severity="error")
            return
        self._on_mark_saved(mark)

    def action_snapshot(self) -> None:
        """Save the screen as SVG and every current value as JSON into the run record."""
        try:  # a full disk or a closed record is a message, never a crash of the screen (and the test)
            folder = self.control.snapshot_dir()
            name = f"screen-{len(list(folder.glob('screen-*.svg'))) + 1:03d}.svg"
            svg = Path(self.save_screenshot(filename=name, path=str(folder)))
        except (RuntimeError, OSError) as exc:
            self.notify(f"snapshot not saved: {exc}", severity="error", timeout=10)
            return
        try:
            json_path = self.control.save_snapshot(svg)
        except (RuntimeError, OSError) as exc:
            self.notify(f"screen saved to {svg}; values not saved: {exc}", severity="warning", timeout=8)
            return
        self.notify(f"snapshot saved: {svg.name} and {json_path.name} in {folder}", timeout=8)

    def action_write_report(self) -> None:
        """Write the run's report into its folder (off the UI thread) and say where."""
        if self._last_frame is None or not self._last_frame.run_dir or self.control.state.is_active:
            self.notify("the report is written once the run has ended", severity="warning")
            return
        self.notify("writing the report…")
        self._write_report(Path(self._last_frame.run_dir))

    @work(
        thread=True, exclusive=True, exit_on_error=False, group="report", description="write the run's report"
    )
    def _write_report(self, run_dir: Path) -> None:
        from runners.record.index import get_baseline
        from runners.report.writer import write_report

        baseline = get_baseline(run_dir.parent)
        paths = write_report(run_dir, run_dir, baseline if baseline != run_dir else None)
        names = ", ".join(str(p) for p in paths[:2])
        self.call_from_thread(self.notify, f"report written: {names}", timeout=15)

    def action_toggle_pause(self) -> None:
        """Freeze or unfreeze the display; recording is not affected."""
        self.paused = not self.paused
        if not self.paused and self._last_frame is not None:
            self._show(self._last_frame)

    def action_help(self) -> None:
        """Show every key and what it does."""
        rows = []
        for binding in self.BINDINGS:
            if isinstance(binding, Binding):
                keys = ", ".join(
                    self.get_key_display(Binding(k, binding.action)) for k in binding.key.split(",")
                )
                rows.append((keys, binding.description, binding.tooltip))
        rows += [
            ("o / r", "Endpoints: sort by the next column / reverse", ""),
            ("ctrl+p", "Command palette", ""),
        ]
        self.push_screen(HelpScreen(rows))

    def action_play_pause(self) -> None:
        """Replay: play or pause."""
        if isinstance(self.control, PlaybackControl):
            self.control.toggle_play()

    def action_replay_faster(self) -> None:
        """Replay: faster."""
        if isinstance(self.control, PlaybackControl):
            self.control.faster()

    def action_replay_slower(self) -> None:
        """Replay: slower."""
        if isinstance(self.control, PlaybackControl):
            self.control.slower()

    def action_replay_seek(self, delta: float) -> None:
        """Replay: move the position by delta seconds."""
        if isinstance(self.control, PlaybackControl):
            self.control.seek(delta)

    def action_quit_app(self) -> None:
        """Quit: at once when no run is active, else confirm and stop gracefully.

        Pressed again while stopping, k6 is ended at once; a third time, the app leaves without waiting.
        """
        if isinstance(self.screen, ConfirmScreen):
            return
        if self.stop_mode == STOP_GRACEFUL:
            self._stop(hard=True)
        elif self.stop_mode == STOP_HARD or not self.control.state.is_active or self.is_replay:
            self.exit(exit_status_for(self.control.state))
        else:
            detail = "Press q again while stopping to end k6 at once."
            self.push_screen(ConfirmScreen(QUIT_QUESTION, detail=detail), self._on_quit_answer)

    async def action_quit(self) -> None:
        """Route Textual's own quit (command palette, `app.quit`) through the confirming quit."""
        self.action_quit_app()

    def _on_quit_answer(self, yes: bool | None) -> None:
        if not yes:
            return
        if self.control.state.is_active:
            self._stop(hard=False)
        else:  # the run ended while the question was open
            self.exit(exit_status_for(self.control.state))

    def _stop(self, *, hard: bool) -> None:
        self._quitting = True
        self.stop_mode = STOP_HARD if hard else STOP_GRACEFUL
        if self._stop_timer is not None:
            self._stop_timer.stop()
        timeout = self.HARD_STOP_TIMEOUT_S if hard else self.GRACEFUL_STOP_TIMEOUT_S
        self._stop_timer = self.set_timer(timeout, self._on_stop_overdue, name="stop-overdue")
        self._send_stop(hard=hard, then_exit=False)

    def _on_stop_overdue(self) -> None:
        # No final frame in time: make sure k6 ends, then leave without waiting any longer.
        self._send_stop(hard=True, then_exit=True)

    @work(thread=True, exit_on_error=False, group="stop", description="ask the engine to stop k6")
    def _send_stop(self, *, hard: bool, then_exit: bool) -> None:
        # A thread, because an engine may wait on k6's REST API or a signal here.
        self.control.request_stop(hard=hard, reason="quit")
        if then_exit:
            self.call_from_thread(self.exit, exit_status_for(self.control.state))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Say so when asking the engine to stop failed."""
        if event.worker.group == "stop" and event.state is WorkerState.ERROR:
            self.notify(f"Could not stop k6: {event.worker.error}", severity="error", timeout=10)
        if event.worker.group == "report" and event.state is WorkerState.ERROR:
            self.notify(f"Report not written: {event.worker.error}", severity="error", timeout=10)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Offer the app's actions in the command palette, with quit going through the confirmation.

        Args:
            screen: The screen the palette was opened on.

        Yields:
            The commands.
        """
        for command in super().get_system_commands(screen):
            if command.title != "Quit":
                yield command
        yield SystemCommand("Quit", "Stop the run (asks first while k6 runs) and quit", self.action_quit_app)

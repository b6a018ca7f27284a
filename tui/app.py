"""The loadwatch app for one live run: composes the panes and wires frames and keys to them."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from functools import cached_property, partial
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.events import Resize
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Static, TabbedContent
from textual.worker import Worker, WorkerState

from collectors.docker_config import DockerConfig
from runners.engine.control import PlaybackControl, RunControl, SessionControl
from runners.engine.exit_status import exit_status_for
from runners.model.frames import Frame, Mark
from runners.model.units import format_clock
from tui.breach_banner import BreachBanner
from tui.confirm_screen import ConfirmScreen
from tui.containers_pane import ContainersPane
from tui.endpoints_table import EndpointsTable
from tui.frame_feed import FrameFeed
from tui.help_screen import HelpScreen
from tui.k6_charts import paint_waiting_charts
from tui.k6_pane import K6Pane
from tui.keys import APP_BINDINGS, ENDED_ONLY, LIVE_ONLY, TAB_BINDINGS, TAB_OF_ACTION, TABS
from tui.mark_dialog import MarkDialog
from tui.metrics_pane import MetricsPane
from tui.output_pane import OutputPane
from tui.record_banner import RecordBanner
from tui.run_header import STOP_GRACEFUL, STOP_HARD, STOP_NONE, RunHeader
from tui.run_tabs import RunTabs

QUIT_QUESTION = "A run is in progress. Stop k6 gracefully and quit?"


class LoadwatchApp(App[int]):
    """Watches one run; the return value is the exit code for the command line (see `runners.engine.exit_status`)."""

    CSS_PATH = "app.tcss"
    # Screen classes the CSS lays out by; Textual types these without ClassVar, so mypy refuses one.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]  # noqa: RUF012
    # ctrl+c and ctrl+q replace Textual's defaults (a hint, and a quit that would leave k6 unwatched).
    # Every key is bound here, at the app, so it works wherever the focus is; `check_action` decides which
    # apply on the visible tab and in this phase of the run (and the footer shows only those).
    BINDINGS: ClassVar[list[BindingType]] = [*APP_BINDINGS, *TAB_BINDINGS]
    TINY_BELOW: ClassVar[int] = 72
    """Below this many columns the screen gets the `-tiny` class (side panes stack or give way)."""
    NARROW_TABS_BELOW: ClassVar[int] = 100
    """Below this many columns the tab bar uses short labels."""
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
        self,
        control: RunControl,
        *,
        title: str | None = None,
        on_ready: Callable[[], None] | None = None,
        docker_config: DockerConfig | None = None,
    ) -> None:
        """Create the app for one run.

        Args:
            control: The run to watch and steer.
            title: Shown first in the header; "loadwatch" when None.
            on_ready: Called once the first screen is drawn (the CLI starts k6 there).
            docker_config: The `[docker]` settings (their CPU and memory levels colour the containers).
        """
        super().__init__()
        self._on_ready = on_ready
        self._docker_config = docker_config
        self._keymap: dict[str, str] = {}
        self.control = control
        self.title = title or "loadwatch"
        self._feed = FrameFeed(self.OUTPUT_MAX_LINES)
        self._stop_timer: Timer | None = None
        self._last_frame: Frame | None = None
        self._shown_frame: Frame | None = None  # on screen: older than the last one while paused
        self._aborting = False
        self._quitting = False
        self.detached = False
        """True once `d` left the run going (the command line says how to attach again)."""
        self._ended_shown = False
        self.report_written = ""
        """Where the report went, once `R` wrote it."""
        self.replay_requested = False
        """True when the user asked to replay this run after quitting (the CLI starts the replay)."""

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
        yield RunTabs(self.OUTPUT_MAX_LINES, docker_config=self._docker_config, id="tabs")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        """Show what is known before the first frame and start listening to the engine."""
        header = self.query_one(RunHeader)
        header.run_name = self.control.run_name
        header.state = self.control.state
        self.query_one(OutputPane).border_title = "k6 output"
        self.query_one(RunTabs).use_short_labels(self.size.width < self.NARROW_TABS_BELOW)
        self.control.add_listener(self._on_engine_frame)
        if self._keymap:
            self.set_keymap(self._keymap)
        if self._on_ready is not None:
            self.call_after_refresh(self._on_ready)
        # Everything built so far (modules, widgets, styles) lives as long as the app: keep it out of the
        # collector's full passes, which otherwise stall a key press by hundreds of ms on a busy box.
        self.call_after_refresh(gc.freeze)

    def _on_engine_frame(self, frame: Frame) -> None:
        # Runs on the engine's thread: hand over only, never touch widgets here.
        self._feed.push(frame)
        self.post_message(self.FrameArrived(frame))

    def on_loadwatch_app_frame_arrived(self, message: FrameArrived) -> None:
        """Show a frame in every pane, and leave once a stop this app asked for has completed."""
        frame = message.frame
        self._last_frame = frame
        if self._quitting and not frame.state.is_active:
            self.exit(exit_status_for(frame.state, frame.k6_exit_code))
            return
        if not frame.state.is_active and self.stop_mode != STOP_NONE:
            self.stop_mode = STOP_NONE  # an abort completed: stay, showing the final numbers
        if frame.container_events and not frame.rewound:  # not repeated later: hand over even when paused
            self.query_one(ContainersPane).add_events(frame.container_events)
        if self.paused:
            return  # output waits in the (bounded) feed until the display resumes
        self._show(frame)

    def _show(self, frame: Frame) -> None:
        self._shown_frame = frame
        rewound = self._feed.take_rewound()
        lines, dropped = self._feed.drain_output()
        with self.batch_update():
            if rewound:  # a replay jumped: output and container events start over at the new position
                self.query_one(OutputPane).clear()
                self.query_one(ContainersPane).clear_events()
                self.query_one(ContainersPane).add_events(frame.container_events)
            self.query_one(RunHeader).show_frame(frame)
            # Rule and source events have their own tab; the output pane keeps k6's lines and loadwatch's notes.
            self.query_one(OutputPane).append([x for x in lines if x.stream != "event"], dropped)
            self._show_alerts(frame)
            # Once the run ended nothing fires "now": the Result tab lists what fired (a replay at its end
            # shows what the live screen showed then).
            ended = not frame.state.is_active
            self.query_one(BreachBanner).show_breaches(() if ended else frame.firing)
            self.query_one(RecordBanner).show_problem(frame.record_problem)
            self._show_active_tab(frame)
            paint_waiting_charts()  # pictures plotted since the last frame: in this frame's pass
            if not frame.state.is_active and not self._ended_shown:
                self._show_end(frame)
        if frame.bell:
            self.bell()

    def _show_end(self, frame: Frame) -> None:
        # Once, when k6 has ended: the Result tab comes up and the keys of a finished run replace the live ones.
        self._ended_shown = True
        self.query_one(RunTabs).show_result(frame, self.report_written, replay=self.is_replay)
        if not self.is_replay:  # a replay seeking to its end keeps the tab the user is looking at
            self.query_one(TabbedContent).active = "tab-result"
        self.refresh_bindings()

    def on_resize(self, event: Resize) -> None:
        """Shorten the tab labels on a narrow terminal and re-check which keys apply (the chart selector)."""
        self.query_one(RunTabs).use_short_labels(event.size.width < self.NARROW_TABS_BELOW)
        # Below 80 columns the footer keeps the app's keys and drops Textual's palette hint (ctrl+p still works).
        self.query_one(Footer).show_command_palette = event.size.width >= 80
        self.screen.set_class(event.size.width < self.TINY_BELOW, "-tiny")
        self.call_after_refresh(self.refresh_bindings)

    @classmethod
    def binding_ids(cls) -> set[str]:
        """The ids users can remap in the `[keys]` table of loadwatch.toml."""
        return {b.id for b in cls.BINDINGS if isinstance(b, Binding) and b.id}

    def use_keymap(self, keymap: dict[str, str]) -> None:
        """Remap keys by binding id (from the configuration); applied when the app mounts."""
        self._keymap = dict(keymap)

    def _show_alerts(self, frame: Frame) -> None:
        strip = self.query_one("#alert-strip", Static)
        warning = frame.generator.warning if frame.generator and frame.state.is_active else ""
        strip.display = bool(warning)
        strip.set_class(bool(frame.generator and frame.generator.saturated), "-critical")
        text, old = f"⚠ {warning}", str(strip.content)
        # The same warning comes with every frame while the generator is busy: a layout pass each time
        # cost the screen more than the rest of the frame, so only a new text is drawn (laid out when longer).
        if warning and text != old:
            strip.update(text, layout=len(text) != len(old))

    def _show_active_tab(self, frame: Frame) -> None:
        self.query_one(RunTabs).show_frame(frame)

    @property
    def active_tab(self) -> str:
        """The id of the visible tab."""
        return self._tabbed.active

    def action_next_gauge(self) -> None:
        """Chart the next gauge on the Server tab."""
        self.query_one(RunTabs).next_gauge()
        if self._shown_frame is not None:
            self._show_active_tab(self._shown_frame)

    def action_next_chart(self) -> None:
        """Show the next chart where the screen has room for one only."""
        self.query_one(K6Pane).next_chart()

    def action_follow_output(self) -> None:
        """Scroll the k6 output to its end and follow new lines again."""
        self.query_one(OutputPane).follow()

    def action_output_page(self, direction: int) -> None:
        """Page the k6 output up or down (leaving the end stops following)."""
        pane = self.query_one(OutputPane)
        if direction < 0:
            pane.scroll_page_up(animate=False)
        else:
            pane.scroll_page_down(animate=False)

    def action_sort_next(self) -> None:
        """Sort the visible table by its next column."""
        if self.active_tab == "tab-containers":
            self.query_one(ContainersPane).action_cycle_sort()
        else:
            self.query_one(EndpointsTable).action_sort_next()

    def action_sort_reverse(self) -> None:
        """Reverse the endpoints' order."""
        self.query_one(EndpointsTable).action_sort_reverse()

    def action_show_tab(self, tab: str) -> None:
        """Switch to a tab and draw it from the latest frame."""
        if tab == "tab-result" and not self._ended_shown:
            return
        self.query_one(TabbedContent).active = tab

    def on_tabbed_content_tab_activated(self, _event: TabbedContent.TabActivated) -> None:
        """Draw the newly visible tab at once (from the frame on screen: the frozen one while paused), and
        show its keys in the footer."""
        if self._shown_frame is not None:
            self.query_one(RunTabs).show_frame(self._shown_frame, just_shown=True)
        if self.active_tab == "tab-metrics":  # arrows and page keys scroll the summary
            self.query_one(MetricsPane).focus()
        self.refresh_bindings()

    # ---- run keys ------------------------------------------------------------------------------------
    # `check_action` runs for every binding each time the footer is built: isinstance against a
    # runtime-checkable Protocol and DOM queries cost milliseconds there, so these are looked up once.
    @cached_property
    def is_replay(self) -> bool:
        """True when the control plays a record back."""
        return isinstance(self.control, PlaybackControl)

    @cached_property
    def _is_session(self) -> bool:
        return isinstance(self.control, SessionControl)

    @property
    def is_read_only(self) -> bool:
        """True for an attached viewer that may only watch."""
        return self._is_session and getattr(self.control, "read_only", False)

    @cached_property
    def _tabbed(self) -> TabbedContent:
        return self.query_one(TabbedContent)

    @cached_property
    def _k6_pane(self) -> K6Pane:
        return self.query_one(K6Pane)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Which keys apply now: True enabled, None greyed out, False hidden (and not in the footer).

        Tab keys apply on their tab; live keys while a live run is active; report and replay once it ended;
        playback keys in a replay.
        """
        tabs = TAB_OF_ACTION.get(action)
        if tabs is not None:
            try:
                if self.active_tab not in tabs:
                    return False
            except NoMatches:  # asked before the tabs were composed
                return False
            if action == "next_chart":
                return self._k6_pane.single_chart
            return not (action == "follow_output" and self.is_replay)
        active = self.control.state.is_active
        if action == "detach":  # only a run served by an engine process can be left running
            return self._is_session and active
        if self.is_read_only and action in ("abort_run", "mark", "instant_mark", "snapshot"):
            return False  # a read-only viewer watches; the keys that change the run are not its
        if action in LIVE_ONLY:
            if self.is_replay or not active:
                return False
            return True if action == "abort_run" or self.control.can_annotate else None
        if action in ENDED_ONLY:
            if self.is_replay and action == "replay_run":
                return False
            if active:
                return False
            return True if self._last_frame is not None and self._last_frame.run_dir else None
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

    def action_detach(self) -> None:
        """Leave this screen; the run goes on in its engine process (`loadwatch attach` to come back)."""
        if not isinstance(self.control, SessionControl):
            return
        self.detached = True
        self._send_detach()

    @work(thread=True, exit_on_error=False, group="detach", description="detach from the run")
    def _send_detach(self) -> None:
        assert isinstance(self.control, SessionControl)
        self.control.detach()
        self.call_from_thread(self.exit, 0)

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
        """Save the screen as SVG and every current value as JSON into the run record.

        Only drawing the SVG needs this thread; writing it and the values (the frame, whole, under the
        recorder's lock that the engine also takes) runs in a worker, so keys answer while it saves.
        """
        svg = self.export_screenshot()
        self._save_snapshot(svg)

    @work(thread=True, exit_on_error=False, group="snapshot", description="save a snapshot")
    def _save_snapshot(self, svg: str) -> None:
        try:  # a full disk or a closed record is a message, never a crash of the screen (and the test)
            folder = self.control.snapshot_dir()
            svg_path = folder / f"screen-{len(list(folder.glob('screen-*.svg'))) + 1:03d}.svg"
            svg_path.write_text(svg, encoding="utf-8")
        except (RuntimeError, OSError) as exc:
            self.call_from_thread(self.notify, f"snapshot not saved: {exc}", severity="error", timeout=10)
            return
        try:
            json_path = self.control.save_snapshot(svg_path)
        except (RuntimeError, OSError) as exc:
            text = f"screen saved to {svg_path}; values not saved: {exc}"
            self.call_from_thread(self.notify, text, severity="warning", timeout=8)
            return
        text = f"snapshot saved: {svg_path.name} and {json_path.name} in {folder}"
        self.call_from_thread(self.notify, text, timeout=8)

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
        self.call_from_thread(self._on_report_written, names)

    def _on_report_written(self, names: str) -> None:
        self.report_written = names
        self.notify(f"report written: {names}", timeout=15)
        if self._last_frame is not None and self._ended_shown:
            self.query_one(RunTabs).show_result(self._last_frame, names, replay=self.is_replay)

    def _exit_status(self) -> int:
        """The process' exit status for the run as it stands (k6's own code passed through where k6 failed)."""
        frame = self._last_frame
        return exit_status_for(self.control.state, frame.k6_exit_code if frame is not None else None)

    def action_replay_run(self) -> None:
        """Leave this screen and play the run back from its record (the command line starts the replay)."""
        if self.control.state.is_active or self.is_replay:
            return
        self.replay_requested = True
        self.exit(self._exit_status())

    def action_toggle_pause(self) -> None:
        """Freeze or unfreeze the display; recording is not affected."""
        self.paused = not self.paused
        if not self.paused and self._last_frame is not None:
            self._show(self._last_frame)

    def action_help(self) -> None:
        """Show every key of this kind of run (live or replay) and what it does."""
        rows = []
        for binding in self.BINDINGS:
            if not isinstance(binding, Binding) or binding.key.startswith("ctrl+"):
                continue
            name = binding.action.split("(", 1)[0]
            if name not in TAB_OF_ACTION and name in LIVE_ONLY | ENDED_ONLY and self.is_replay:
                continue
            if name in ("play_pause", "replay_faster", "replay_slower", "replay_seek") and not self.is_replay:
                continue
            keys = ", ".join(self.get_key_display(Binding(k, binding.action)) for k in binding.key.split(","))
            rows.append((keys, binding.description, binding.tooltip))
        rows.append(("ctrl+p", "Command palette", "every action, searchable"))
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
        elif (
            self.stop_mode == STOP_HARD
            or not self.control.state.is_active
            or self.is_replay
            or self.is_read_only
        ):
            self.exit(self._exit_status())
        else:
            detail = "Press q again while stopping to end k6 at once."
            if isinstance(self.control, SessionControl):
                detail += " To leave the run going instead, answer no and press d (detach)."
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
            self.exit(self._exit_status())

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
            self.call_from_thread(self.exit, self._exit_status())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Say so when asking the engine to stop failed."""
        if event.worker.group == "stop" and event.state is WorkerState.ERROR:
            self.notify(f"Could not stop k6: {event.worker.error}", severity="error", timeout=10)
        if event.worker.group == "snapshot" and event.state is WorkerState.ERROR:
            self.notify(f"Snapshot not saved: {event.worker.error}", severity="error", timeout=10)
        if event.worker.group == "report" and event.state is WorkerState.ERROR:
            self.notify(f"Report not written: {event.worker.error}", severity="error", timeout=10)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Offer every action of the app and of the screen on top in the command palette.

        Textual's own Quit and Screenshot are replaced: quit goes through the confirmation, and a snapshot
        saves the screen into the run's record.

        Args:
            screen: The screen the palette was opened on.

        Yields:
            The commands.
        """
        for command in super().get_system_commands(screen):
            if command.title not in ("Quit", "Screenshot"):
                yield command
        seen: set[str] = set()
        for binding in self.BINDINGS:
            if not isinstance(binding, Binding) or binding.action in seen:
                continue
            seen.add(binding.action)
            name = binding.action.split("(", 1)[0]
            tabs = TAB_OF_ACTION.get(name)
            if tabs is None and self.check_action(name, ()) is False:
                continue  # not of this phase: live keys after the run, playback keys in a live run
            title = binding.description if name != "show_tab" else f"Tab: {binding.description}"
            key = self.get_key_display(binding)
            yield SystemCommand(title, f"{binding.tooltip or binding.description} (key {key})",
                                partial(self._run_from_palette, binding.action, tabs))  # fmt: skip
        if screen is not self.screen_stack[0]:
            for binding in screen.BINDINGS:
                if isinstance(binding, Binding):
                    yield SystemCommand(binding.description, binding.tooltip or binding.description,
                                        partial(self.run_action, binding.action, screen))  # fmt: skip

    async def _run_from_palette(self, action: str, tabs: frozenset[str] | None) -> None:
        # A tab's key run from another tab goes to its tab first, so "Sort" works from anywhere.
        if tabs is not None and self.active_tab not in tabs:
            self.query_one(TabbedContent).active = next(t.pane_id for t in TABS if t.pane_id in tabs)
        await self.run_action(action)

"""Runs the screen as a viewer of a run served by an engine host: keys, hang-up, and what is printed after."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from collectors.docker_config import DockerConfig
from runners.engine.exit_status import EXIT_FAILED, exit_status_for
from runners.engine.terminal_watch import TerminalWatch
from runners.record.index import read_summary
from runners.report.run_card import card_lines
from runners.session.client import RemoteRun
from tui.app import LoadwatchApp

LEAVE_WITHIN_S = 3.0
"""After a hang-up signal, a viewer that cannot shut its screen down cleanly leaves anyway."""
TERMINAL_GONE_GRACE_S = 0.3
"""After its terminal was seen gone (poll hang-up), how long the viewer gives its screen to close."""
RECORDED_WAIT_S = 30.0
"""How long the viewer waits, once the run ended, for the engine to finish writing the record."""


def view_run(
    remote: RemoteRun, keymap: dict[str, str], *, launcher: bool, docker_config: DockerConfig | None = None
) -> int:
    """Show the run until the user quits or detaches, or the terminal goes away.

    Args:
        remote: The attached run.
        keymap: The `[keys]` remapping.
        launcher: True for the screen that launched the run (it tells the engine when to start k6).
        docker_config: The `[docker]` settings (their CPU and memory levels colour the containers).

    Returns:
        The exit status for the command line.
    """
    title = "loadwatch" if launcher else "loadwatch (attached" + (", read-only)" if remote.read_only else ")")

    def ready() -> None:  # the first screen is drawn: a launched run starts k6 now
        if remote.launch_error:
            app.exit(remote.launch_code)
        elif launcher:
            remote.send_start()

    app = LoadwatchApp(remote, title=title, on_ready=ready, docker_config=docker_config)
    app.use_keymap(keymap)
    if launcher:
        threading.Thread(
            target=_leave_if_launch_fails, args=(remote, app), name="launch-watch", daemon=True
        ).start()
    lost = _HangupHandler(remote, app)
    watch = TerminalWatch(lost.from_thread, fds=(0,), signal_grace_s=0.5)
    for sig in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lost.from_signal)
    signal.signal(signal.SIGUSR1, lost.exit_app)
    watch.start()
    try:
        app.run()
    finally:
        watch.stop()
    gone = None if lost.reason else watch.check()
    if gone is not None:  # the screen ended on the dead terminal before the signal or the watch could say so
        lost.after_screen(gone)
    if lost.reason:
        return 0  # the engine applies its on_hangup setting; nothing to print on a terminal that is gone
    name, folder = remote.run_name, remote.run_dir
    if remote.launch_error:
        print(f"loadwatch: {remote.launch_error}", file=sys.stderr)
        return remote.launch_code
    if app.detached:
        print(f"loadwatch: detached; run {name} goes on (engine pid {remote.engine_pid}).")
        print(f"  attach again: loadwatch attach {folder.name}")
        return 0
    if remote.engine_lost:
        remote.close()
        print(f"loadwatch: run {name}: {remote.lost_reason} ({folder})", file=sys.stderr)
        return EXIT_FAILED
    if remote.state.is_active:
        if launcher and remote.first_frame_t is None:
            remote.close()  # the engine abandons a run whose screen never came up
            print(
                "loadwatch: the screen could not start, so k6 was not started (try --headless)",
                file=sys.stderr,
            )
            return 1
        if remote.read_only or app.stop_mode:
            remote.detach()  # watching only, or a stop is already on its way
        else:
            remote.hangup("screen closed")
        print(f"loadwatch: left run {name} ({remote.state.value}; {folder})")
        return _exit_status(remote)
    remote.wait_closed(RECORDED_WAIT_S)  # the engine closes the socket once the record is complete
    _print_closing_card(remote, app.report_written)
    if app.replay_requested:
        from runners.engine.replay import ReplayControl

        control = ReplayControl(folder, speed=1.0)
        LoadwatchApp(control, title="replay", docker_config=control.docker_config()).run()
        control.close()
    return _exit_status(remote)


def _print_closing_card(remote: RemoteRun, report: str) -> None:
    """What stays in the terminal after the screen closes: the verdict and where everything is."""
    summary = read_summary(remote.run_dir)
    if not summary:  # no final summary (k6 never started): the record's path still matters
        print(f"loadwatch: run {remote.run_name}: {remote.state.value} ({remote.run_dir})")
        return
    started_at = remote.last_frame.started_at if remote.last_frame else None
    paths = [Path(p.strip()) for p in report.split(",") if p.strip()]
    print("\n".join(card_lines(summary, started_at=started_at, report=paths, title="loadwatch")))


def _leave_if_launch_fails(remote: RemoteRun, app: LoadwatchApp) -> None:
    """The engine did not start (k6 missing, a bad k6 argument): leave the screen and say why."""
    remote.wait_connected(120)
    if remote.launch_error:
        with contextlib.suppress(RuntimeError):  # the app is not running yet: its on_ready leaves instead
            app.call_from_thread(app.exit, remote.launch_code)


class _HangupHandler:
    """The terminal is gone or the viewer is being ended: tell the engine, then leave quickly."""

    def __init__(self, remote: RemoteRun, app: LoadwatchApp) -> None:
        self.remote = remote
        self.app = app
        self.reason = ""
        self._lock = threading.Lock()

    def _once(self, reason: str, grace_s: float = LEAVE_WITHIN_S) -> bool:
        with self._lock:
            if self.reason:
                return False
            self.reason = reason
        with contextlib.suppress(OSError):
            self.remote.hangup(reason)
        threading.Thread(
            target=self._leave_anyway, args=(grace_s,), name="viewer-exit-watchdog", daemon=True
        ).start()
        return True

    def from_signal(self, signum: int, _frame: FrameType | None) -> None:
        """A signal handler (main thread)."""
        name = signal.Signals(signum).name
        reason = "terminal lost (SIGHUP)" if signum == signal.SIGHUP else f"viewer ended ({name})"
        if self._once(reason):
            self.app.call_later(self.app.exit)

    def from_thread(self, reason: str) -> None:
        """The terminal watch saw the terminal hang up (its own thread)."""
        # The engine has been told; with the terminal gone the screen's input reader only spins on EOF and
        # nothing can be shown, so the viewer leaves at once rather than after the usual grace.
        if self._once(f"terminal lost ({reason}, no SIGHUP)", TERMINAL_GONE_GRACE_S):
            os.kill(os.getpid(), signal.SIGUSR1)  # the main thread's handler asks the app to exit

    def after_screen(self, reason: str) -> None:
        """The screen has ended and the terminal is found gone: tell the engine (nothing left to exit)."""
        self._once(f"terminal lost ({reason})", TERMINAL_GONE_GRACE_S)

    def exit_app(self, _signum: int, _frame: FrameType | None) -> None:
        """SIGUSR1 handler (main thread): leave the app."""
        self.app.call_later(self.app.exit)

    def _leave_anyway(self, grace_s: float) -> None:
        # A screen writing to a terminal that is gone can hang; this process owns nothing, so it may just go.
        time.sleep(grace_s)
        os._exit(0)


def _exit_status(remote: RemoteRun) -> int:
    """The viewer's exit status: the run's, with k6's own code passed through where k6 failed."""
    frame = remote.last_frame
    return exit_status_for(remote.state, frame.k6_exit_code if frame is not None else None)

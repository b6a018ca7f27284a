"""The engine host: a background process that owns one run (k6, collectors, rules, record) and serves it.

It has no terminal (its own session, standard streams on /dev/null and the run's engine.log), so a lost
terminal cannot reach it; SIGTERM and SIGINT stop the run, SIGHUP is ignored. It tells the process that
launched it when it is ready, through an inherited pipe, and exits once the run is over and recorded.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from runners.config.session import HangupPolicy
from runners.engine.exit_status import EXIT_FAILED, exit_status_for
from runners.engine.gc_policy import tune_for_ingest
from runners.engine.live import RunEngine
from runners.session.registry import own_info, register, socket_path_for, unregister
from runners.session.server import SessionServer

START_WAIT_S = 60.0
"""How long a run launched with a screen waits for that screen to ask for k6 to start."""
LOG_NAME = "engine.log"


class ReadyPipe:
    """The launcher's end of the start-up handshake: one JSON line, then the pipe is closed."""

    def __init__(self, fd: int | None) -> None:
        """Write to `fd` (None: nobody is waiting).

        Args:
            fd: The inherited pipe's write end.
        """
        self._fd = fd

    def send(self, **data: Any) -> None:
        """Say ready (or why not) and close the pipe.

        Args:
            **data: JSON-ready fields: ok, and socket/run_dir/run_name or error/code.
        """
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.write(fd, (json.dumps(data) + "\n").encode())
        except OSError:
            pass  # the launcher is gone: nothing to tell
        finally:
            os.close(fd)


def _to_log(run_dir: Path) -> None:
    """Standard output and error go to the run's engine.log from now on (owner-only)."""
    fd = os.open(run_dir / LOG_NAME, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def serve_run(
    engine: RunEngine,
    runs_dir: Path,
    ready: ReadyPipe,
    *,
    detached: bool,
    on_hangup: HangupPolicy,
    on_finished: Callable[[], None] | None = None,
) -> int:
    """Serve one run until it is over and recorded.

    Args:
        engine: The run (not started).
        runs_dir: The runs folder (one of the places its socket may go).
        ready: Where to say ready.
        detached: Start k6 at once (`--detach`); else wait for the launching screen's Start.
        on_hangup: What a lost terminal does to a run that is attached.
        on_finished: Called once the run is recorded, before viewers are let go (e.g. --json-summary).

    Returns:
        The exit status for how the run ended.
    """
    start_lock = threading.Lock()
    gone = threading.Event()  # the launching screen left before k6 started

    def start() -> None:
        with start_lock:
            if not gone.is_set():
                engine.start()

    def abandon() -> None:
        with start_lock:
            if not engine.started:
                gone.set()

    path = socket_path_for(runs_dir, os.getpid())
    server = SessionServer(
        engine, path, on_hangup=on_hangup, detached=detached, on_start=start, on_abandon=abandon
    )
    server.start()
    info = own_info(path, engine.run_dir, engine.run_name)
    register(info)
    _install_signals(engine)
    try:
        _to_log(engine.run_dir)
        if detached:
            engine.start()
        ready.send(ok=True, socket=str(path), run_dir=str(engine.run_dir), run_name=engine.run_name,
                   pid=os.getpid(), started=engine.started)  # fmt: skip
        waited = 0.0
        while not engine.started:
            if gone.wait(0.2) or waited > START_WAIT_S:
                print(f"loadwatch: no screen asked to start k6 within {START_WAIT_S:.0f} s", file=sys.stderr)
                with start_lock:
                    gone.set()
                    if not engine.started:
                        engine.abandon()
                        return EXIT_FAILED
            waited += 0.2
        tune_for_ingest()
        while not engine.wait(0.5):
            pass
        if on_finished is not None:
            on_finished()
        return exit_status_for(engine.state, engine.k6.exit_code)
    finally:
        server.close(flush_s=2.0)
        unregister(info)


def _install_signals(engine: RunEngine) -> None:
    presses = {"n": 0}

    def handler(signum: int, _frame: FrameType | None) -> None:
        presses["n"] += 1
        name = signal.Signals(signum).name
        threading.Thread(target=engine.request_stop, kwargs={"hard": presses["n"] > 1, "reason": name},
                         daemon=True).start()  # fmt: skip

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)

"""Owns one k6 child process: spawn, read its three streams, stop it gracefully or hard, reap it.

The JSON samples go to a dedicated pipe (`--out json=/dev/fd/N`), not to stdout: k6's stdout carries the
banner, progress and summary, and `json=-` would splice them into the JSON (facts/k6.md §0.5). A pipe
rather than a FIFO means k6 never blocks on a reader that is gone; the reader thread drains it without
pause so k6 is never back-pressured. k6 gets its own process group (not its own session, see `_own`),
so Ctrl-C in the terminal reaches loadwatch alone. The child gets PR_SET_PDEATHSIG=SIGKILL, so a `kill -9` of
loadwatch cannot leave k6 running unwatched; it is spawned from a thread that lives exactly as long as
k6 (the death signal fires when the spawning *thread* ends).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

import httpx

_PR_SET_PDEATHSIG = 1
_prctl: Callable[..., int] | None
try:
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux
    _prctl = None


def _die_with_parent() -> None:  # runs in the child between fork and exec: keep it minimal
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _widen_pipe(fd: int) -> None:
    """Ask for a 1 MiB pipe: fewer, larger reads, and room if the reader is briefly descheduled."""
    with contextlib.suppress(OSError, AttributeError):  # capped by pipe-max-size, or not Linux
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)


LineSink = Callable[[str, str, int], None]  # (stream, text, characters cut off its end)
ChunkSink = Callable[[bytes], None]


@dataclass(frozen=True, slots=True)
class StopInfo:
    """Who asked k6 to stop, and how."""

    reason: str
    hard: bool
    t: float


class K6Process:
    """A running (or finished) k6. All methods are safe to call from any thread."""

    READ_SIZE = 1 << 20
    MAX_LINE_BYTES = 64 * 1024

    def __init__(
        self, argv: list[str], env: dict[str, str], api_port: int, on_json: ChunkSink, on_line: LineSink
    ) -> None:
        self.argv = argv
        self.env = env
        self.api_port = api_port
        self._on_json = on_json
        self._on_line = on_line
        self._proc: subprocess.Popen[bytes] | None = None
        self._started = threading.Event()
        self._done = threading.Event()
        self._lock = threading.Lock()
        self.exit_code: int | None = None
        self.spawn_error: str | None = None
        self.stop_info: StopInfo | None = None
        self._owner = threading.Thread(target=self._own, name="k6-owner", daemon=True)

    # ---- life --------------------------------------------------------------------------------------
    def start(self, timeout_s: float = 10.0) -> None:
        """Spawn k6 (from a dedicated owner thread) and return once it is running or failed to start."""
        self._owner.start()
        self._started.wait(timeout_s)

    @property
    def pid(self) -> int | None:
        """k6's PID once spawned."""
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        """True while the k6 process is alive."""
        return self._started.is_set() and not self._done.is_set() and self.spawn_error is None

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait for k6 to exit and its streams to drain; True when it has."""
        return self._done.wait(timeout_s)

    def _own(self) -> None:
        r, w = os.pipe()
        _widen_pipe(w)
        json_target = f"/dev/fd/{w}"
        argv = [a.replace("{json_target}", json_target) for a in self.argv]
        try:
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self.env,
                pass_fds=(w,),
                # Its own process group, so the terminal's signals reach loadwatch only, which decides; not
                # its own session: with the kernel's autogroup scheduling a new session is a new CPU group,
                # and k6 then ran at 0.42 of its speed on a busy box (benchmarks/overhead.py, README).
                process_group=0,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - only calls prctl, set up before fork
            )
        except OSError as exc:
            os.close(r)
            os.close(w)
            self.spawn_error = f"could not start k6: {exc}"
            self._started.set()
            self._done.set()
            return
        finally:
            self._started.set()
        os.close(w)
        proc = self._proc
        assert proc.stdout is not None and proc.stderr is not None
        readers = [
            threading.Thread(target=self._read_json, args=(r,), name="k6-json", daemon=True),
            threading.Thread(
                target=self._read_lines, args=(proc.stdout, "stdout"), name="k6-out", daemon=True
            ),
            threading.Thread(
                target=self._read_lines, args=(proc.stderr, "stderr"), name="k6-err", daemon=True
            ),
        ]
        for t in readers:
            t.start()
        self.exit_code = proc.wait()
        for t in readers:
            t.join(timeout=10.0)  # the pipes close when k6 exits; the bound guards a grandchild holding one
        self._done.set()

    def _read_json(self, fd: int) -> None:
        try:
            while True:
                chunk = os.read(fd, self.READ_SIZE)
                if not chunk:
                    return
                self._on_json(chunk)
        finally:
            os.close(fd)

    def _read_lines(self, stream: IO[bytes], name: str) -> None:
        # A script can print one line of any size; keep the first MAX_LINE_BYTES of it and count the rest
        # while reading on, so memory stays bounded whatever it prints.
        with stream:
            while raw := stream.readline(self.MAX_LINE_BYTES):
                cut = 0
                if not raw.endswith(b"\n"):
                    while (more := stream.readline(self.MAX_LINE_BYTES)) and not more.endswith(b"\n"):
                        cut += len(more)
                    cut += len(more.rstrip(b"\r\n"))
                self._on_line(name, raw.decode("utf-8", "replace").rstrip("\r\n"), cut)

    # ---- control -----------------------------------------------------------------------------------
    def request_stop(self, *, hard: bool = False, reason: str = "user") -> None:
        """Graceful: REST `stopped:true` (k6 runs teardown and writes its summary), SIGINT if that fails.
        Hard: two SIGINTs (k6 exits at once), then SIGKILL if it is still there after 3 s."""
        with self._lock:
            if self.stop_info is None or (hard and not self.stop_info.hard):
                self.stop_info = StopInfo(reason=reason, hard=hard, t=time.time())
        if not self.running:
            return
        if hard:
            threading.Thread(target=self._hard_stop, name="k6-kill", daemon=True).start()
        else:
            threading.Thread(target=self._graceful_stop, name="k6-stop", daemon=True).start()

    def _graceful_stop(self) -> None:
        body = {"data": {"type": "status", "id": "default", "attributes": {"stopped": True}}}
        try:
            resp = httpx.patch(f"http://127.0.0.1:{self.api_port}/v1/status", json=body, timeout=2.0)
            if resp.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        self._signal(signal.SIGINT)

    def _hard_stop(self) -> None:
        self._signal(signal.SIGINT)
        time.sleep(0.1)
        self._signal(signal.SIGINT)
        if not self._done.wait(3.0):
            self._signal(signal.SIGKILL)

    def _signal(self, sig: int) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(sig)


def json_placeholder() -> str:
    """The token in an argument list that K6Process replaces with its JSON pipe's path."""
    return "{json_target}"

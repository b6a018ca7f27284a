"""The viewer's side of a run's socket: a RunControl whose frames come from an engine in another process.

The screen consumes it exactly as it consumes the in-process engine: listeners get every frame (on this
client's reader thread), and abort, mark and snapshot are sent to the engine and answered.
"""

from __future__ import annotations

import contextlib
import dataclasses
import getpass
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from runners.engine.control import FrameListener
from runners.model.frames import (
    Frame,
    LiveStats,
    Mark,
    OutputLine,
    Percentiles,
    RunState,
    SecondPoint,
    Totals,
)
from runners.session.protocol import (
    VERSION,
    AddMark,
    Detach,
    FrameMsg,
    Hangup,
    Hello,
    Message,
    MessageReader,
    Notice,
    ProtocolError,
    Refused,
    Reply,
    Resync,
    SaveSnapshot,
    Start,
    Stop,
    ToEngine,
    Welcome,
    encode,
)

REPLY_TIMEOUT_S = 10.0
RESYNC_EVERY_S = 2.0
"""A viewer whose series has a gap asks for a whole one at most this often."""
STALE_AFTER_S = 3.0
"""No frame for this long from a run that is active: the screen says the engine is not responding."""


class SessionRefusedError(ConnectionError):
    """The engine refused this viewer (another user, another protocol version)."""


def viewer_label() -> str:
    """Who this viewer is, as the run record shows it: user and terminal.

    Returns:
        e.g. "alice on /dev/pts/3".
    """
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = f"uid {os.getuid()}"
    try:
        where = os.ttyname(0)
    except OSError:
        where = f"pid {os.getpid()}"
    return f"{user} on {where}"


def empty_frame(run_name: str, state: RunState, detail: str, run_dir: str = "") -> Frame:
    """A frame with no numbers, for a run that never sent one.

    Args:
        run_name: The run's name.
        state: Its state.
        detail: Why.
        run_dir: Its record folder.

    Returns:
        The frame.
    """
    none = Percentiles()
    live = LiveStats(window_s=10, rps=0.0, error_rate=0.0, latency=none, iterations_per_s=0.0,
                     data_sent_per_s=0.0, data_received_per_s=0.0, checks_rate=None, vus=None, vus_max=None)  # fmt: skip
    return Frame(seq=0, wall_t=time.time(), run_name=run_name, state=state, elapsed_s=0.0, planned_s=None,
                 live=live, totals=Totals(), series=(), new_output=(), k6_exit_code=None, status_detail=detail,
                 parse_errors=0, dropped_output_lines=0, run_dir=run_dir)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Connection:
    """A socket whose handshake is done."""

    sock: socket.socket
    reader: MessageReader
    welcome: Welcome


def open_session(
    path: Path, *, read_only: bool = False, viewer: str | None = None, timeout_s: float = 5.0
) -> Connection:
    """Connect to the run served at `path` and say hello.

    Args:
        path: The run's socket.
        read_only: Watch only: abort, mark and snapshot are refused.
        viewer: How this viewer is named in the record (default: user and terminal).
        timeout_s: How long the handshake may take.

    Returns:
        The connection.

    Raises:
        SessionRefusedError: the engine refused this viewer.
        OSError: nothing answers at `path` (ConnectionError when it answers nonsense).
    """
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout_s)
        sock.connect(str(path))
        reader = MessageReader(sock)
        hello = Hello(version=VERSION, viewer=viewer or viewer_label(), read_only=read_only)
        # Refused before the hello arrived: the reason is still waiting to be read.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(encode(hello))
        first = reader.read()
        if isinstance(first, Refused):
            raise SessionRefusedError(first.reason)
        if not isinstance(first, Welcome):
            raise ConnectionError("the engine closed the connection without a welcome")
        sock.settimeout(1.0)
    except (OSError, ProtocolError) as exc:
        sock.close()
        if isinstance(exc, OSError):
            raise
        raise ConnectionError(str(exc)) from exc
    return Connection(sock, reader, first)


class RemoteRun:
    """A live run in an engine host process, seen through its socket. Implements RunControl.

    The connection may still be under way when the screen starts (a launched run's engine boots while the
    screen draws): until it is up the run shows as starting, and commands wait for it.
    """

    def __init__(self, opener: Callable[[], Connection], *, run_name: str, read_only: bool = False) -> None:
        """Connect with `opener` on this client's own thread.

        Args:
            opener: Returns a connection whose handshake is done, or raises (the screen then says why).
            run_name: The run's name until the engine's welcome says it.
            read_only: Whether this viewer only watches.
        """
        self._opener = opener
        self._run_name = run_name
        self._read_only = read_only
        self._sock: socket.socket | None = None
        self._reader: MessageReader | None = None
        self.welcome: Welcome | None = None
        self._connected = threading.Event()
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._listeners: list[FrameListener] = []
        self._held: Frame | None = None  # frames before the first listener, merged
        self._notices: list[OutputLine] = []
        self._last: Frame | None = None
        self._state = RunState.STARTING
        self._replies: dict[int, Reply] = {}
        self._reply_cond = threading.Condition(self._lock)
        self._next_req = 1
        self._last_msg_t = time.monotonic()
        self._leaving = False
        self._start_wanted = False
        self._series: list[SecondPoint] = []  # the whole series, rebuilt from each frame's tail
        self._resync_t = -RESYNC_EVERY_S
        self.engine_lost = False
        self.lost_reason = ""
        self.launch_error = ""  # set when the connection could not be made at all
        self.launch_code = 0  # ... with the exit status the command line should give
        self.first_frame_t: float | None = None
        self._thread = threading.Thread(target=self._run, name="session-client", daemon=True)
        self._thread.start()

    @classmethod
    def connect(
        cls, path: Path, *, read_only: bool = False, viewer: str | None = None, timeout_s: float = 5.0
    ) -> RemoteRun:
        """Attach to the run served at `path`, the handshake done before this returns.

        Args:
            path: The run's socket.
            read_only: Watch only: abort, mark and snapshot are refused.
            viewer: How this viewer is named in the record (default: user and terminal).
            timeout_s: How long the handshake may take.

        Returns:
            The attached run.

        Raises:
            SessionRefusedError: the engine refused this viewer.
            OSError: nothing answers at `path`.
        """
        conn = open_session(path, read_only=read_only, viewer=viewer, timeout_s=timeout_s)
        remote = cls(lambda: conn, run_name=conn.welcome.run_name, read_only=read_only)
        remote.wait_connected(timeout_s)
        return remote

    def wait_connected(self, timeout_s: float) -> bool:
        """Wait for the handshake (or for its failure).

        Args:
            timeout_s: The most to wait.

        Returns:
            True when connected.
        """
        self._connected.wait(timeout_s)
        return self.welcome is not None

    # ---- RunControl --------------------------------------------------------------------------------
    @property
    def run_name(self) -> str:
        """Short human name of the run."""
        return self.welcome.run_name if self.welcome else self._run_name

    @property
    def state(self) -> RunState:
        """The state in the latest frame (FAILED once the engine is gone mid-run)."""
        return self._state

    @property
    def read_only(self) -> bool:
        """True for a viewer that may only watch."""
        return self.welcome.read_only if self.welcome else self._read_only

    @property
    def run_dir(self) -> Path:
        """The run's record folder (empty until connected)."""
        return Path(self.welcome.run_dir) if self.welcome else Path()

    @property
    def last_frame(self) -> Frame | None:
        """The latest frame received."""
        return self._last

    @property
    def engine_pid(self) -> int:
        """The engine host's pid (0 until connected)."""
        return self.welcome.engine_pid if self.welcome else 0

    def add_listener(self, listener: FrameListener) -> None:
        """Receive every frame from now on; the first listener also gets what arrived before it."""
        with self._lock:
            self._listeners.append(listener)
            held, self._held = self._held, None
        if held is not None:
            listener(held)

    def request_stop(self, *, hard: bool = False, reason: str = "user") -> None:
        """Ask the engine to stop k6.

        Raises:
            RuntimeError: refused (read-only) or the engine is gone.
        """
        self._call(Stop(req=self._req(), hard=hard, reason=reason))

    @property
    def can_annotate(self) -> bool:
        """Marks and snapshots: a steering viewer of a run that is still active."""
        return (
            self.welcome is not None and not self.read_only and not self.engine_lost and self._state.is_active
        )

    def add_mark(self, note: str, *, by: str = "user") -> Mark:
        """Record a mark; the engine answers once it is on disk (`by` is this viewer's label there)."""
        reply = self._call(AddMark(req=self._req(), note=note))
        if reply.mark is None:
            raise RuntimeError("the engine did not return the mark")
        return reply.mark

    def save_snapshot(self, svg_path: Path | None) -> Path:
        """Ask the engine to write every current value as JSON beside this screen's SVG."""
        reply = self._call(SaveSnapshot(req=self._req(), svg=str(svg_path) if svg_path else None))
        return Path(reply.path)

    def snapshot_dir(self) -> Path:
        """The run's snapshot folder (same machine, same user as the engine)."""
        folder = self.run_dir / "snapshots"
        folder.mkdir(mode=0o700, exist_ok=True)
        return folder

    # ---- session -----------------------------------------------------------------------------------
    def send_start(self) -> None:
        """Tell the engine the screen is up: a run launched with a screen starts k6 now (or once connected)."""
        with self._lock:
            if self.welcome is None:
                self._start_wanted = True
                return
        with contextlib.suppress(OSError):
            self._send(Start())

    def detach(self) -> None:
        """Leave on purpose; the run goes on."""
        self._leave(Detach())

    def hangup(self, reason: str) -> None:
        """Say this viewer's terminal is gone (the engine applies its on_hangup setting) and leave."""
        self._leave(Hangup(reason))

    def close(self) -> None:
        """Leave without a word (as a crash would); prefer detach or hangup."""
        self._leave(None)

    def wait_closed(self, timeout_s: float) -> bool:
        """Wait until the engine closes the connection (it does once the run is recorded).

        Args:
            timeout_s: The most to wait.

        Returns:
            True when it closed.
        """
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def _leave(self, message: ToEngine | None) -> None:
        self._leaving = True
        sock = self._sock
        if sock is None:
            return
        if message is not None:
            with contextlib.suppress(OSError):
                self._send(message)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def _req(self) -> int:
        with self._lock:
            req = self._next_req
            self._next_req += 1
        return req

    def _send(self, message: ToEngine) -> None:
        if self._sock is None and not self._connected.wait(REPLY_TIMEOUT_S):
            raise OSError("not connected to the engine yet")
        if self._sock is None:
            raise OSError(f"no engine: {self.launch_error or self.lost_reason}")
        data = encode(message)
        with self._send_lock:
            self._sock.sendall(data)

    def _call(self, message: Stop | AddMark | SaveSnapshot) -> Reply:
        if self.engine_lost:
            raise RuntimeError(f"the engine is gone: {self.lost_reason}")
        try:
            self._send(message)
        except OSError as exc:
            raise RuntimeError(f"cannot reach the engine: {exc}") from exc
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        with self._reply_cond:
            while message.req not in self._replies:
                left = deadline - time.monotonic()
                if left <= 0 or self.engine_lost:
                    raise RuntimeError("the engine did not answer" if left <= 0 else "the engine is gone")
                self._reply_cond.wait(min(left, 0.5))
            reply = self._replies.pop(message.req)
        if not reply.ok:
            raise RuntimeError(reply.error)
        return reply

    # ---- the reader thread -------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            conn = self._opener()
        except (OSError, ProtocolError) as exc:
            self.launch_error = str(exc) or type(exc).__name__
            self.launch_code = int(getattr(exc, "code", 1) or 1)
            self._connected.set()
            self._lost(self.launch_error, launching=True)
            return
        with self._lock:
            self._sock, self._reader, self.welcome = conn.sock, conn.reader, conn.welcome
            self._state = RunState(conn.welcome.state)
            start = self._start_wanted
        self._connected.set()
        if start:
            self.send_start()
        self._read_loop(conn.reader)

    def _read_loop(self, reader: MessageReader) -> None:
        reason = "the engine closed the connection"
        try:
            while True:
                try:
                    message = reader.read()
                except TimeoutError:
                    self._check_stale()
                    continue
                if message is None:
                    break
                self._last_msg_t = time.monotonic()
                self._handle(message)
        except (OSError, ProtocolError) as exc:
            reason = f"connection to the engine failed: {exc}"
        if not self._leaving:
            self._lost(reason)

    def _handle(self, message: Message) -> None:
        if isinstance(message, FrameMsg):
            if self.first_frame_t is None:
                self.first_frame_t = time.monotonic()
            self._deliver(self._with_series(message))
        elif isinstance(message, Reply):
            with self._reply_cond:
                self._replies[message.req] = message
                self._reply_cond.notify_all()
        elif isinstance(message, Notice):
            with self._lock:
                self._notices.append(OutputLine(time.time(), "loadwatch", message.text))

    def _with_series(self, message: FrameMsg) -> Frame:
        """The frame with its whole series: a tail is appended to the series this viewer has."""
        frame = message.frame
        if message.series_cut is None:
            self._series = list(frame.series)
            return frame
        have = self._series
        if not have or have[-1].t < message.series_cut - 1:  # missed more than the tail holds
            now = time.monotonic()
            if now - self._resync_t > RESYNC_EVERY_S:
                self._resync_t = now
                with contextlib.suppress(OSError):
                    self._send(Resync())
        first = frame.series[0].t if frame.series else message.series_cut
        merged = [p for p in have if p.t < first]
        merged.extend(frame.series)
        self._series = merged[-message.series_len :] if message.series_len else merged
        return dataclasses.replace(frame, series=tuple(self._series))

    def _deliver(self, frame: Frame) -> None:
        with self._lock:
            if self._notices:
                frame = dataclasses.replace(frame, new_output=(*frame.new_output, *self._notices))
                self._notices.clear()
            self._state = frame.state
            self._last = frame
            listeners = list(self._listeners)
            if not listeners:
                held = self._held
                if held is not None:
                    frame = dataclasses.replace(
                        frame,
                        new_output=(*held.new_output, *frame.new_output),
                        container_events=(*held.container_events, *frame.container_events),
                    )
                self._held = frame
                return
        for listener in listeners:
            listener(frame)

    def _check_stale(self) -> None:
        quiet = time.monotonic() - self._last_msg_t
        last = self._last
        if last is None or not last.state.is_active or quiet < STALE_AFTER_S:
            return
        detail = f"engine not responding for {quiet:.0f} s (pid {self.engine_pid})"
        self._deliver(
            dataclasses.replace(last, status_detail=detail, new_output=(), container_events=(), bell=False)
        )

    def _lost(self, reason: str, *, launching: bool = False) -> None:
        """The connection ended while no goodbye was said: the engine process is gone (or never came)."""
        last = self._last
        if last is not None and not last.state.is_active:
            return  # the run had ended: the engine left after its last frame
        self.engine_lost = True
        if launching:
            self.lost_reason = f"the engine did not start: {reason}"
        else:
            self.lost_reason = (f"engine process {self.engine_pid} is gone ({reason}); the record keeps "
                                "everything up to its last second")  # fmt: skip
        with self._reply_cond:
            self._reply_cond.notify_all()
        base = last or empty_frame(
            self.run_name, RunState.FAILED, "", str(self.run_dir) if self.welcome else ""
        )
        line = OutputLine(time.time(), "loadwatch", self.lost_reason)
        self._deliver(dataclasses.replace(base, seq=base.seq + 1, state=RunState.FAILED, status_detail=self.lost_reason,
                                          new_output=(line,), container_events=(), bell=False))  # fmt: skip

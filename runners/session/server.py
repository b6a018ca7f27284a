"""Serves one run over its Unix socket: frames out to every viewer, commands in from any of them.

The engine only ever appends to a bounded inbox; one broadcaster thread encodes each frame once and queues
it for every viewer, whose own writer thread sends it. A slow viewer therefore loses frames, never slows
the engine. Who sent a command (abort, mark, snapshot) goes into the run record with it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from collectors.docker_model import ContainerEvent
from runners.config.session import HangupPolicy
from runners.engine.control import FrameListener
from runners.model.frames import Frame, Mark, OutputLine, RunState
from runners.record.schema import EventKind
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
    Welcome,
    encode,
    tail_message,
)
from runners.session.registry import secure_dir
from runners.session.viewer_link import ViewerLink, peer_uid

BACKLOG_LINES = 2000  # output lines a newly attached viewer gets (as many as the screen keeps)
BACKLOG_EVENTS = 200
INBOX_FRAMES = 20
HELLO_TIMEOUT_S = 5.0


class HostedRun(Protocol):
    """What the server needs from the engine it serves (runners.engine.live.RunEngine is one)."""

    @property
    def run_name(self) -> str:
        """Short human name of the run."""
        ...

    @property
    def state(self) -> RunState:
        """The current state."""
        ...

    @property
    def started(self) -> bool:
        """True once k6 was started."""
        ...

    run_dir: Path

    def add_listener(self, listener: FrameListener) -> None:
        """Receive every frame (on the engine's thread)."""
        ...

    def request_stop(self, *, hard: bool = False, reason: str = "user", by: str = "") -> None:
        """Stop k6."""
        ...

    def add_mark(self, note: str, *, by: str = "user") -> Mark:
        """Record a mark durably."""
        ...

    def save_snapshot(self, svg_path: Path | None, *, by: str = "user") -> Path:
        """Record every current value as JSON."""
        ...

    def record_event(self, kind: EventKind, data: dict[str, Any]) -> None:
        """Put an event into the run record."""
        ...


class SessionServer:
    """The run's socket. Start it before the engine, so the first frame reaches every viewer."""

    def __init__(
        self,
        run: HostedRun,
        path: Path,
        *,
        on_hangup: HangupPolicy = "stop",
        detached: bool = False,
        on_start: Callable[[], None] | None = None,
        on_abandon: Callable[[], None] | None = None,
    ) -> None:
        """Serve `run` at `path` (its folder must be owner-only).

        Args:
            run: The engine.
            path: The socket path.
            on_hangup: What a lost terminal does while a run is attached: stop it, or leave it detached.
            detached: True when the run was started with no screen (`--detach`).
            on_start: Called once when a viewer asks to start k6.
            on_abandon: Called when the launching screen went away before k6 was started.
        """
        self.run = run
        self.path = path
        self.on_hangup = on_hangup
        self.detached = detached
        self._on_start = on_start
        self._on_abandon = on_abandon
        self._lock = threading.Lock()
        self._viewers: dict[int, ViewerLink] = {}
        self._next_id = 1
        self._inbox: deque[Frame] = deque(maxlen=INBOX_FRAMES)
        self._inbox_lock = threading.Lock()
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._last: Frame | None = None
        self._lines: deque[OutputLine] = deque(maxlen=BACKLOG_LINES)
        self._container_events: deque[ContainerEvent] = deque(maxlen=BACKLOG_EVENTS)
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._threads = [
            threading.Thread(target=self._accept_loop, name="session-accept", daemon=True),
            threading.Thread(target=self._broadcast_loop, name="session-broadcast", daemon=True),
        ]
        self.refused = 0

    # ---- life --------------------------------------------------------------------------------------
    def start(self) -> None:
        """Listen (socket 0600) and follow the engine's frames."""
        self.path.unlink(missing_ok=True)
        old = os.umask(0o177)
        try:
            try:
                self._sock.bind(str(self.path))
            except FileNotFoundError:  # another engine removed the (then empty) folder: make it again
                secure_dir(self.path.parent)
                self._sock.bind(str(self.path))
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)
        self._sock.listen(16)
        self.run.add_listener(self._on_frame)
        for t in self._threads:
            t.start()

    def close(self, flush_s: float = 2.0) -> None:
        """Send what is queued (the final frame) for up to `flush_s`, then close every connection.

        Args:
            flush_s: How long viewers get to take the last frames.
        """
        self._closing.set()
        self._wake.set()
        if self._threads[1].is_alive():
            self._threads[1].join(timeout=2.0)  # the broadcaster hands out the frames still in the inbox
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self._sock.close()
        self.path.unlink(missing_ok=True)
        with self._lock:
            viewers = list(self._viewers.values())
        for v in viewers:
            v.flush(flush_s)
            v.close()

    @property
    def viewers(self) -> int:
        """How many viewers are attached."""
        with self._lock:
            return len(self._viewers)

    # ---- frames ------------------------------------------------------------------------------------
    def _on_frame(self, frame: Frame) -> None:
        # The engine's thread: append and return.
        with self._inbox_lock:
            self._inbox.append(frame)
        self._wake.set()

    def _take_inbox(self) -> Frame | None:
        with self._inbox_lock:
            frames = list(self._inbox)
            self._inbox.clear()
        if not frames:
            return None
        if len(frames) == 1:
            return frames[0]
        return dataclasses.replace(
            frames[-1],
            new_output=tuple(line for f in frames for line in f.new_output),
            container_events=tuple(e for f in frames for e in f.container_events),
            bell=any(f.bell for f in frames),
        )

    def _broadcast_loop(self) -> None:
        while True:
            self._wake.wait(1.0)
            self._wake.clear()
            frame = self._take_inbox()
            if frame is not None:
                with self._lock:
                    watched = bool(self._viewers)
                # Encoded once for every viewer, and only while someone watches. Viewers that have the series
                # get its last seconds only: at 15 minutes a whole one is ~240 KiB a frame.
                tail = encode(tail_message(frame)) if watched else b""
                full = b""
                with self._lock:
                    self._last = frame
                    self._lines.extend(frame.new_output)
                    self._container_events.extend(frame.container_events)
                    for v in self._viewers.values():
                        data = tail
                        if v.needs_full:
                            full = full or encode(FrameMsg(frame))
                            data, v.needs_full = full, False
                        v.send_frame(data, len(frame.new_output))
            if self._closing.is_set() or (frame is not None and not frame.state.is_active):
                with self._inbox_lock:
                    if not self._inbox:
                        return

    # ---- connections -------------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._closing.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handshake, args=(conn,), name="session-hello", daemon=True).start()

    def _handshake(self, conn: socket.socket) -> None:
        try:
            pid, uid = peer_uid(conn)
            if uid != os.getuid():
                self.refused += 1
                conn.sendall(
                    encode(Refused(f"this run belongs to uid {os.getuid()}; uid {uid} may not attach"))
                )
                self.run.record_event(
                    EventKind.VIEWER_REFUSED, {"text": f"viewer of uid {uid} (pid {pid}) refused"}
                )
                conn.close()
                return
            conn.settimeout(HELLO_TIMEOUT_S)
            reader = MessageReader(conn)
            hello = reader.read()
            if not isinstance(hello, Hello):
                conn.close()
                return
            if hello.version != VERSION:
                conn.sendall(
                    encode(Refused(f"protocol version {hello.version} not spoken (this engine: {VERSION})"))
                )
                conn.close()
                return
            conn.settimeout(None)
        except (OSError, ProtocolError):
            with contextlib.suppress(OSError):
                conn.close()
            return
        self._admit(conn, reader, hello, pid)

    def _admit(self, conn: socket.socket, reader: MessageReader, hello: Hello, pid: int) -> None:
        with self._lock:
            viewer_id = self._next_id
            self._next_id += 1
            link = ViewerLink(conn, reader, viewer_id, hello, pid, self._on_message, self._on_closed)
            link.send(
                Welcome(version=VERSION, viewer_id=viewer_id, label=link.label, run_name=self.run.run_name,
                        run_dir=str(self.run.run_dir), state=self.run.state.value, engine_pid=os.getpid(),
                        started=self.run.started, detached=self.detached, on_hangup=self.on_hangup,
                        read_only=link.read_only)
            )  # fmt: skip
            if self._last is not None:  # the catch-up frame: the latest, with the output backlog
                catch_up = dataclasses.replace(
                    self._last, new_output=tuple(self._lines), container_events=tuple(self._container_events)
                )
                link.send_frame(encode(FrameMsg(catch_up)), len(catch_up.new_output))
                link.needs_full = False
            others = list(self._viewers.values())
            self._viewers[viewer_id] = link
        link.start()
        mode = "read-only" if link.read_only else "can steer the run"
        self.run.record_event(EventKind.VIEWER, {"text": f"{link.label} attached ({mode})", "viewer": link.label,
                                         "action": "attached", "read_only": link.read_only, "pid": pid})  # fmt: skip
        for other in others:
            other.send(Notice(f"{link.label} attached ({mode})"))

    def _writers_left(self, leaving: ViewerLink) -> int:
        with self._lock:
            return sum(1 for v in self._viewers.values() if v is not leaving and not v.read_only)

    def _on_closed(self, link: ViewerLink) -> None:
        with self._lock:
            self._viewers.pop(link.viewer_id, None)
            others = list(self._viewers.values())
        if self._closing.is_set():
            return
        how = "detached" if link.said_goodbye and not link.hangup_reason else "lost"
        reason = link.hangup_reason or ("" if link.said_goodbye else "connection lost")
        self.run.record_event(EventKind.VIEWER, {"text": f"{link.label} {how}" + (f": {reason}" if reason else ""),
                                         "viewer": link.label, "action": how, "reason": reason})  # fmt: skip
        for other in others:
            other.send(Notice(f"{link.label} {how}" + (f" ({reason})" if reason else "")))
        if how == "lost" and not link.read_only:
            self._viewer_lost(link, reason)

    def _viewer_lost(self, link: ViewerLink, reason: str) -> None:
        """A steering viewer went away without detaching: apply the hangup setting."""
        if self._writers_left(link):
            return  # someone else still watches and steers
        if not self.run.started:
            if self._on_abandon is not None and not self.detached:
                self._on_abandon()
            return
        if self.on_hangup == "stop" and not self.detached and self.run.state.is_active:
            self.run.request_stop(reason=reason if "terminal" in reason else f"viewer lost ({reason})",
                                  by=link.label)  # fmt: skip
        else:
            self.detached = True

    # ---- commands ----------------------------------------------------------------------------------
    def _on_message(self, link: ViewerLink, message: Message) -> None:
        if isinstance(message, Detach):
            link.said_goodbye = True
            if not link.read_only:
                self.detached = True
            link.close()
        elif isinstance(message, Resync):
            link.needs_full = True
        elif isinstance(message, Hangup):
            link.said_goodbye = True
            link.hangup_reason = message.reason or "terminal lost"
            link.close()
        elif link.read_only and isinstance(message, (Start, Stop, AddMark, SaveSnapshot)):
            req = getattr(message, "req", 0)
            link.send(Reply(req=req, ok=False, error="this viewer is read-only"))
        elif isinstance(message, Start):
            if self._on_start is not None and not self.run.started:
                self._on_start()
        elif isinstance(message, Stop):
            self._command(link, message.req, lambda: self._stop(link, message))
        elif isinstance(message, AddMark):
            self._command(link, message.req, lambda: self.run.add_mark(message.note, by=link.label))
        elif isinstance(message, SaveSnapshot):
            svg = Path(message.svg) if message.svg else None
            self._command(link, message.req, lambda: self.run.save_snapshot(svg, by=link.label))

    def _stop(self, link: ViewerLink, message: Stop) -> None:
        self.run.request_stop(hard=message.hard, reason=message.reason, by=link.label)
        with self._lock:
            others = [v for v in self._viewers.values() if v is not link]
        how = "at once" if message.hard else "gracefully"
        for other in others:
            other.send(Notice(f"{link.label} stopped the run {how} ({message.reason})"))

    def _command(self, link: ViewerLink, req: int, call: Callable[[], object]) -> None:
        try:
            result = call()
        except (RuntimeError, OSError, ValueError) as exc:
            link.send(Reply(req=req, ok=False, error=str(exc)))
            return
        if isinstance(result, Mark):
            link.send(Reply(req=req, ok=True, mark=result))
        elif isinstance(result, Path):
            link.send(Reply(req=req, ok=True, path=str(result)))
        else:
            link.send(Reply(req=req, ok=True))

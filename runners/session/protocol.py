"""The engine/viewer wire format: versioned msgpack messages, each prefixed by its length.

Documented for other clients in docs/session-protocol.md; bump VERSION on any incompatible change.
"""

from __future__ import annotations

import bisect
import dataclasses
import socket
import struct

import msgspec

from runners.model.frames import Frame, Mark

VERSION = 1
"""The protocol version a viewer names in its Hello; the engine refuses any other."""
MAX_MESSAGE = 32 * 1024 * 1024
"""Largest message either side accepts (a frame with 15 minutes of history and 2,000 lines is ~1 MB)."""
SERIES_TAIL_S = 30
"""Seconds of series each frame carries after a viewer's first (it has the rest already)."""
_LENGTH = struct.Struct(">I")


class Hello(msgspec.Struct, tag="hello"):
    """Viewer -> engine, first: who is watching, and whether it may change the run."""

    version: int
    viewer: str  # a human label, e.g. "alice on /dev/pts/3"
    read_only: bool = False


class Welcome(msgspec.Struct, tag="welcome"):
    """Engine -> viewer, the answer to Hello; frames follow."""

    version: int
    viewer_id: int
    label: str  # how this viewer's commands are recorded ("viewer 2 (alice on /dev/pts/3)")
    run_name: str
    run_dir: str
    state: str
    engine_pid: int
    started: bool
    detached: bool
    on_hangup: str
    read_only: bool


class Refused(msgspec.Struct, tag="refused"):
    """Engine -> viewer: the connection is refused (another user, a version it does not speak)."""

    reason: str


class FrameMsg(msgspec.Struct, tag="frame"):
    """Engine -> viewer: one frame. `new_output` holds every line since the frame this viewer got last.

    With `series_cut` set, `frame.series` holds only the points with `t >= series_cut` (the last
    SERIES_TAIL_S seconds); the viewer appends them to the series it has and keeps the last `series_len`
    points. A viewer whose series does not reach back to the cut asks for a full one with Resync.
    """

    frame: Frame
    series_cut: int | None = None
    series_len: int = 0


class Resync(msgspec.Struct, tag="resync"):
    """Viewer -> engine: send the whole series with the next frame (this viewer missed too many)."""


class Notice(msgspec.Struct, tag="notice"):
    """Engine -> viewer: something to show in the output pane ("viewer 2 attached (read-only)", frames dropped)."""

    text: str


class Start(msgspec.Struct, tag="start"):
    """Viewer -> engine: the screen is up, start k6 (a run launched with a screen waits for it)."""


class Stop(msgspec.Struct, tag="stop"):
    """Viewer -> engine: stop k6, gracefully or at once."""

    req: int
    hard: bool = False
    reason: str = "user"


class AddMark(msgspec.Struct, tag="mark"):
    """Viewer -> engine: record a mark; the Reply comes once it is on disk."""

    req: int
    note: str = ""


class SaveSnapshot(msgspec.Struct, tag="snapshot"):
    """Viewer -> engine: the viewer saved its screen as `svg`; record every value as JSON beside it."""

    req: int
    svg: str | None = None


class Detach(msgspec.Struct, tag="detach"):
    """Viewer -> engine: this viewer leaves on purpose; the run goes on, detached."""


class Hangup(msgspec.Struct, tag="hangup"):
    """Viewer -> engine: this viewer's terminal is gone; the engine applies its on_hangup setting."""

    reason: str


class Reply(msgspec.Struct, tag="reply"):
    """Engine -> viewer: the outcome of a command carrying `req`."""

    req: int
    ok: bool
    error: str = ""
    mark: Mark | None = None
    path: str = ""


ToViewer = Welcome | Refused | FrameMsg | Notice | Reply
ToEngine = Hello | Start | Stop | AddMark | SaveSnapshot | Detach | Hangup | Resync
Message = ToViewer | ToEngine

_encoder = msgspec.msgpack.Encoder()
_decoder: msgspec.msgpack.Decoder[Message] = msgspec.msgpack.Decoder(Message)


def tail_message(frame: Frame) -> FrameMsg:
    """The frame with only the last SERIES_TAIL_S seconds of its series (all of it when that is shorter).

    Args:
        frame: A whole frame.

    Returns:
        The message to send to a viewer that has the series up to the cut.
    """
    series = frame.series
    if not series or series[-1].t - series[0].t <= SERIES_TAIL_S:
        return FrameMsg(frame)
    cut = series[-1].t - SERIES_TAIL_S
    start = bisect.bisect_left(series, cut, key=lambda p: p.t)
    return FrameMsg(dataclasses.replace(frame, series=series[start:]), series_cut=cut, series_len=len(series))


class ProtocolError(Exception):
    """A malformed or oversized message: the connection is closed."""


def encode(message: Message) -> bytes:
    """One message with its 4-byte big-endian length prefix.

    Args:
        message: Any protocol message.

    Returns:
        The bytes to send.
    """
    body = _encoder.encode(message)
    return _LENGTH.pack(len(body)) + body


class MessageReader:
    """Reads whole messages from a stream socket (one reader per socket)."""

    def __init__(self, sock: socket.socket) -> None:
        """Read from `sock`.

        Args:
            sock: A connected stream socket.
        """
        self._sock = sock
        self._buf = bytearray()

    def _fill(self, n: int) -> bool:
        while len(self._buf) < n:
            chunk = self._sock.recv(max(65536, n - len(self._buf)))
            if not chunk:
                return False
            self._buf += chunk
        return True

    def read(self) -> Message | None:
        """The next message; None at a clean end of stream.

        Returns:
            The message, or None when the peer closed the connection.

        Raises:
            ProtocolError: a message that is too large or does not decode.
            OSError: the socket failed (a timeout included, when one is set).
        """
        if not self._fill(_LENGTH.size):
            return None
        (size,) = _LENGTH.unpack_from(self._buf)
        if size > MAX_MESSAGE:
            raise ProtocolError(f"message of {size} bytes is over the {MAX_MESSAGE} limit")
        if not self._fill(_LENGTH.size + size):
            raise ProtocolError("connection closed inside a message")
        body = bytes(self._buf[_LENGTH.size : _LENGTH.size + size])
        del self._buf[: _LENGTH.size + size]
        try:
            return _decoder.decode(body)
        except msgspec.DecodeError as exc:
            raise ProtocolError(f"undecodable message: {exc}") from exc

"""The engine's side of one viewer's connection: a reader thread for its commands, a writer for its frames."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable

from runners.session.outbox import Outbox, Outgoing
from runners.session.protocol import Hello, Message, MessageReader, Notice, ProtocolError, encode

SEND_STALL_S = 60
"""A viewer that accepts no byte for this long is disconnected (its frames were being dropped meanwhile)."""


def peer_uid(sock: socket.socket) -> tuple[int, int]:
    """The pid and uid of the process at the other end of a Unix socket (SO_PEERCRED).

    Args:
        sock: A connected Unix stream socket.

    Returns:
        (pid, uid).
    """
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, _gid = struct.unpack("3i", creds)
    return pid, uid


class ViewerLink:
    """One attached viewer. `on_message` runs on this link's reader thread; `on_closed` once, at the end."""

    def __init__(
        self,
        sock: socket.socket,
        reader: MessageReader,
        viewer_id: int,
        hello: Hello,
        pid: int,
        on_message: Callable[[ViewerLink, Message], None],
        on_closed: Callable[[ViewerLink], None],
    ) -> None:
        """Wrap an accepted connection whose Hello was read.

        Args:
            sock: The connection.
            reader: The reader that read the Hello (it may hold buffered bytes).
            viewer_id: This viewer's number in the run.
            hello: What the viewer said about itself.
            pid: The viewer's pid (from the peer credentials).
            on_message: Called with each command.
            on_closed: Called once when the connection ends.
        """
        self.sock = sock
        self.viewer_id = viewer_id
        self.read_only = hello.read_only
        self.label = f"viewer {viewer_id} ({hello.viewer})"
        self.pid = pid
        self.outbox = Outbox()
        self.said_goodbye = False  # a Detach or Hangup arrived before the end of stream
        self.needs_full = True  # the next frame carries the whole series (first frame, or asked by Resync)
        self.hangup_reason = ""
        self._reader = reader
        self._on_message = on_message
        self._on_closed = on_closed
        self._closed = threading.Event()
        self._close_lock = threading.Lock()
        with contextlib.suppress(OSError):  # a send that cannot progress fails instead of blocking forever
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", SEND_STALL_S, 0))
        self._threads = [
            threading.Thread(target=self._read_loop, name=f"viewer-{viewer_id}-read", daemon=True),
            threading.Thread(target=self._write_loop, name=f"viewer-{viewer_id}-write", daemon=True),
        ]

    def start(self) -> None:
        """Start reading commands and sending what is queued."""
        for t in self._threads:
            t.start()

    def send(self, message: Message) -> None:
        """Queue a message that is never dropped (welcome, reply, notice).

        Args:
            message: The message.
        """
        self.outbox.put(Outgoing(encode(message)))

    def send_frame(self, data: bytes, lines: int) -> None:
        """Queue an encoded frame; it may be dropped if this viewer falls behind.

        Args:
            data: The encoded FrameMsg.
            lines: How many output lines it carries.
        """
        self.outbox.put(Outgoing(data, lines))

    def _read_loop(self) -> None:
        try:
            while not self._closed.is_set():
                message = self._reader.read()
                if message is None:
                    break
                self._on_message(self, message)
        except (OSError, ProtocolError):
            pass
        finally:
            self.close()

    def _write_loop(self) -> None:
        try:
            while not self._closed.is_set() or not self.outbox.empty:
                item = self.outbox.take(0.5)
                if item is None:
                    if self.outbox.closed:
                        break
                    continue
                if item.frame_lines >= 0:
                    frames, lines = self.outbox.take_drops()
                    if frames:
                        text = f"this viewer fell behind: {frames} frames and {lines} output lines not shown"
                        self.sock.sendall(encode(Notice(text)))
                self.sock.sendall(item.data)
        except OSError:
            pass
        finally:
            self.close()

    def flush(self, timeout_s: float) -> None:
        """Wait until everything queued is sent (or the time is up).

        Args:
            timeout_s: The most to wait.
        """
        done = threading.Event()
        waited = 0.0
        while not self.outbox.empty and not self._closed.is_set() and waited < timeout_s:
            done.wait(0.05)
            waited += 0.05

    def close(self) -> None:
        """End the connection (idempotent); `on_closed` runs once."""
        with self._close_lock:
            if self._closed.is_set():
                return
            self._closed.set()
        self.outbox.close()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.sock.close()
        self._on_closed(self)

    @property
    def closed(self) -> bool:
        """True once the connection ended."""
        return self._closed.is_set()

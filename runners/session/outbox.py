"""One viewer's queue of outgoing messages: frames are dropped when the viewer reads too slowly, replies never."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

MAX_QUEUED_FRAMES = 2
"""Frames waiting for one viewer; a newer frame pushes out the oldest (each frame is a whole snapshot)."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One encoded message."""

    data: bytes
    frame_lines: int = -1  # output lines a frame carries; -1 for a message that is never dropped


class Outbox:
    """Bounded and thread-safe: the engine's side only appends (never waits); the viewer's writer takes."""

    def __init__(self) -> None:
        """An empty outbox."""
        self._items: deque[Outgoing] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self.dropped_frames = 0
        self.dropped_lines = 0

    def put(self, item: Outgoing) -> None:
        """Queue a message; a frame beyond MAX_QUEUED_FRAMES pushes out the oldest queued frame.

        Args:
            item: The message.
        """
        with self._cond:
            if self._closed:
                return
            if item.frame_lines >= 0:
                frames = [i for i in self._items if i.frame_lines >= 0]
                if len(frames) >= MAX_QUEUED_FRAMES:
                    oldest = frames[0]
                    self._items.remove(oldest)
                    self.dropped_frames += 1
                    self.dropped_lines += oldest.frame_lines
            self._items.append(item)
            self._cond.notify()

    def take(self, timeout_s: float) -> Outgoing | None:
        """The next message, waiting up to `timeout_s`; None on timeout or once closed.

        Args:
            timeout_s: How long to wait.

        Returns:
            The message or None.
        """
        with self._cond:
            if not self._items and not self._closed:
                self._cond.wait(timeout_s)
            return self._items.popleft() if self._items else None

    def take_drops(self) -> tuple[int, int]:
        """Frames and lines dropped since the last call.

        Returns:
            (frames, lines).
        """
        with self._cond:
            drops = (self.dropped_frames, self.dropped_lines)
            self.dropped_frames = self.dropped_lines = 0
        return drops

    @property
    def empty(self) -> bool:
        """True when nothing waits to be sent."""
        with self._cond:
            return not self._items

    def close(self) -> None:
        """Stop accepting messages and wake the writer."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        """True once closed."""
        return self._closed

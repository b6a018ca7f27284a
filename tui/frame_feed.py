"""Thread-safe hand-over of frames and their output lines from the engine thread to the UI."""

from __future__ import annotations

import threading
from collections import deque

from runners.model.frames import Frame, OutputLine


class FrameFeed:
    """Collects output lines from every frame so the UI may skip stale frames without losing output.

    The engine thread calls `push`; the UI thread calls `drain_output`. Lines beyond `max_lines` that
    the UI has not taken yet are dropped and counted, so a slow UI never grows memory.
    """

    def __init__(self, max_lines: int) -> None:
        """Create an empty feed.

        Args:
            max_lines: How many pending output lines to keep at most.
        """
        self._lock = threading.Lock()
        self._pending: deque[OutputLine] = deque(maxlen=max_lines)
        self._dropped = 0
        self._rewound = False

    def push(self, frame: Frame) -> None:
        """Take the new output lines of a frame (called from the engine thread).

        Args:
            frame: The frame just produced.
        """
        if frame.rewound:  # a replay jumped: what was pending belongs to another position
            with self._lock:
                self._pending.clear()
                self._dropped = 0
                self._rewound = True
        if not frame.new_output:
            return
        with self._lock:
            pending = self._pending
            overflow = len(pending) + len(frame.new_output) - (pending.maxlen or 0)
            if overflow > 0:
                self._dropped += overflow
            pending.extend(frame.new_output)

    def drain_output(self) -> tuple[list[OutputLine], int]:
        """Take every pending line (called from the UI thread).

        Returns:
            The pending lines, oldest first, and how many were dropped since the last drain.
        """
        with self._lock:
            lines = list(self._pending)
            self._pending.clear()
            dropped, self._dropped = self._dropped, 0
        return lines, dropped

    def take_rewound(self) -> bool:
        """Whether a replay jumped since the last call (called from the UI thread).

        Returns:
            True once after a frame with `rewound`; panes that accumulate then start over.
        """
        with self._lock:
            rewound, self._rewound = self._rewound, False
        return rewound

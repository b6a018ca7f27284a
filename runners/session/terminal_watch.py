"""Notices a terminal that is gone with no signal (its pty closed): poll() reports a hang-up on it.

The thread waits in poll() with a timeout, so it costs nothing while the terminal is fine and never spins.
"""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Callable

LOST = select.POLLHUP | select.POLLERR | select.POLLNVAL
SIGNAL_GRACE_S = 0.5


class TerminalWatch:
    """Calls `on_lost` once, from its own thread, when the terminal on `fd` hangs up."""

    def __init__(self, on_lost: Callable[[str], None], fd: int = 0, every_s: float = 0.5) -> None:
        """Watch `fd` (standard input by default).

        Args:
            on_lost: Called with a reason when the terminal is gone.
            fd: The terminal's file descriptor.
            every_s: The longest wait in one poll() (also how soon stop() is noticed).
        """
        self._on_lost = on_lost
        self._fd = fd
        self._every_ms = int(every_s * 1000)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="terminal-watch", daemon=True)

    def start(self) -> bool:
        """Start watching, when `fd` is a terminal.

        Returns:
            True when watching.
        """
        if not os.isatty(self._fd):
            return False
        self._thread.start()
        return True

    def stop(self) -> None:
        """Stop watching (within `every_s`)."""
        self._stop.set()

    def _loop(self) -> None:
        poller = select.poll()
        poller.register(self._fd, 0)  # no input events: only hang-up and errors wake it
        while not self._stop.is_set():
            events = poller.poll(self._every_ms)
            if any(ev & LOST for _, ev in events):
                # A hang-up usually comes with SIGHUP; give the signal the chance to be the one recorded.
                if not self._stop.wait(SIGNAL_GRACE_S):
                    self._on_lost("terminal lost (hang-up, no SIGHUP)")
                return

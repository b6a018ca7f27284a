"""Notices that the terminal is gone by any route, not only SIGHUP: a hang-up or error on the terminal's
descriptors, or a controlling terminal that no longer exists (a parent that ignored the hang-up, a pty
closed without a signal). Without this, a reader looping on `read(0) = 0` spins at full CPU for ever.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import threading
from collections.abc import Callable, Sequence

WATCH_PERIOD_S = 0.5
_GONE = select.POLLHUP | select.POLLERR | select.POLLNVAL
_LOST_ERRNOS = {errno.EIO, errno.EPIPE, errno.ENXIO, errno.EBADF}


def is_terminal_lost(exc: BaseException) -> bool:
    """True when an error from reading or writing the terminal means it is gone (EOF is checked by callers)."""
    return isinstance(exc, OSError) and exc.errno in _LOST_ERRNOS


def _has_controlling_terminal() -> bool:
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return False
    os.close(fd)
    return True


class TerminalWatch:
    """Watches the terminal from a daemon thread; calls `on_lost(reason)` once when it is gone.

    The thread waits in poll() (a hang-up wakes it at once) and checks the controlling terminal every
    `period_s`, so it costs nothing while the terminal is fine and never spins. Only descriptors that are
    terminals at start are watched; with none (CI, output to a file) it does nothing.
    """

    def __init__(
        self,
        on_lost: Callable[[str], None],
        fds: Sequence[int] = (0, 1, 2),
        period_s: float = WATCH_PERIOD_S,
        signal_grace_s: float = 0.0,
    ) -> None:
        """Watch the terminal on `fds`.

        Args:
            on_lost: Called once, from the watch's thread or a caller of lost(), with the reason.
            fds: The descriptors to watch (those that are not terminals are left out).
            period_s: How often the controlling terminal is checked (and how soon stop() is noticed).
            signal_grace_s: After a hang-up is seen, how long to leave a SIGHUP the chance to be the one
                reported (a caller's signal handler calling lost() first wins).
        """
        self._on_lost = on_lost
        self.fds = [fd for fd in fds if _isatty(fd)]
        self.period_s = period_s
        self.signal_grace_s = signal_grace_s
        self._had_ctty = bool(self.fds) and _has_controlling_terminal()
        self._stop = threading.Event()
        self._fired = threading.Lock()
        self.reason: str | None = None
        self._thread = threading.Thread(target=self._loop, name="terminal-watch", daemon=True)

    @property
    def active(self) -> bool:
        """True when there is a terminal to watch."""
        return bool(self.fds)

    def start(self) -> TerminalWatch:
        """Start watching (no thread when there is no terminal)."""
        if self.active:
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching."""
        self._stop.set()

    def lost(self, reason: str) -> None:
        """Report the terminal lost (also for a caller that saw EOF or EIO itself); only the first call counts."""
        if not self._fired.acquire(blocking=False):
            return
        self.reason = reason
        self._stop.set()
        self._on_lost(reason)

    def check(self) -> str | None:
        """Why the terminal is gone, or None while it is there."""
        return self._poll(0)

    def _poll(self, timeout_ms: int) -> str | None:
        poller = select.poll()
        for fd in self.fds:
            poller.register(fd, 0)  # hang-up, error and invalid are always reported
        with contextlib.suppress(OSError):
            for fd, events in poller.poll(timeout_ms):
                if events & _GONE:
                    return f"hang-up on descriptor {fd}"
        if self._had_ctty and not _has_controlling_terminal():
            return "controlling terminal gone"
        return None

    def _loop(self) -> None:
        period_ms = max(1, int(self.period_s * 1000))
        while not self._stop.is_set():
            reason = self._poll(period_ms)
            if reason is None:
                continue
            if self.signal_grace_s and self._stop.wait(self.signal_grace_s):
                return  # the hang-up signal arrived and was reported (or the watch was stopped)
            self.lost(reason)
            return


def _isatty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


def quiet_std_streams() -> None:
    """Point stdin at a pipe that never delivers and stdout/stderr at /dev/null.

    Called once the terminal is gone: a screen's input thread then waits quietly instead of spinning on EOF,
    and late writes (the screen restoring modes, a last status line) neither fail nor block.
    """
    read_end, write_end = os.pipe()  # the write end stays open (and unused) so reads never see EOF
    devnull = os.open(os.devnull, os.O_WRONLY)
    with contextlib.suppress(OSError):
        os.dup2(read_end, 0)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
    os.close(read_end)
    os.close(devnull)
    _KEEP.append(write_end)


_KEEP: list[int] = []  # write ends of quiet stdin pipes, kept open for the life of the process

"""Run the demo target as a child process that cannot outlive loadwatch."""

from __future__ import annotations

import contextlib
import ctypes
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from types import TracebackType
from typing import IO

PR_SET_PDEATHSIG = 1
MAX_LINE_BYTES = 4096
STDERR_TAIL_BYTES = 4000


def _pdeathsig_preexec() -> Callable[[], None] | None:
    """Build a preexec_fn that has the kernel SIGKILL the child when its parent thread exits."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # loaded before fork: the child only makes two syscalls
    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


class DemoProcess:
    """A running demo target child process."""

    def __init__(self, proc: subprocess.Popen[bytes], url: str, stderr: IO[bytes]) -> None:
        """Wrap a started child; use `start_demo_process()` rather than this.

        Args:
            proc: The child.
            url: Its base URL.
            stderr: The temporary file that receives its stderr.
        """
        self._proc = proc
        self.url = url
        self._stderr = stderr

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self._proc.pid

    @property
    def returncode(self) -> int | None:
        """Exit status once it ended, else None."""
        return self._proc.poll()

    def stop(self, timeout: float = 5.0) -> int:
        """End the child: SIGTERM, then SIGKILL after `timeout`; always reaped (idempotent).

        Args:
            timeout: Seconds to wait after each signal.

        Returns:
            The child's exit status.
        """
        status = self._reap(timeout)
        for stream in (self._proc.stdout, self._stderr):
            if stream is not None:
                stream.close()
        return status

    def _reap(self, timeout: float) -> int:
        if self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout)
        return self._proc.returncode

    def stderr_tail(self) -> str:
        """The end of what the child wrote to stderr so far.

        Returns:
            Up to the last 4000 bytes, decoded.
        """
        if self._stderr.closed:
            return ""
        self._stderr.seek(0, os.SEEK_END)
        self._stderr.seek(max(0, self._stderr.tell() - STDERR_TAIL_BYTES))
        return self._stderr.read().decode("utf-8", "replace")

    def __enter__(self) -> DemoProcess:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def read_first_line(stream: IO[bytes], timeout_s: float) -> bytes:
    """Read one line from a pipe without ever waiting past `timeout_s`; b"" on timeout or EOF."""
    fd = stream.fileno()
    deadline = time.monotonic() + timeout_s
    buf = b""
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while b"\n" not in buf and len(buf) < MAX_LINE_BYTES:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not sel.select(remaining):
                return b""
            chunk = os.read(fd, MAX_LINE_BYTES)
            if not chunk:
                return b""
            buf += chunk
    return buf.split(b"\n", 1)[0]


def start_demo_process(
    pool_size: int = 20, timeout_s: float = 10.0, *, pool_timeout_s: float | None = None
) -> DemoProcess:
    """Start `python -m runners.demo.target` on a free 127.0.0.1 port and wait until it listens.

    The child gets PR_SET_PDEATHSIG=SIGKILL, so it dies with loadwatch even on `kill -9`. Linux sends that
    signal when the *thread* that forked the child exits, not the process: call this from a thread that
    lives as long as the target should (the main thread, or a long-lived worker), never from a short-lived
    worker thread. The child runs in its own session, so a Ctrl-C in the terminal does not reach it;
    the caller decides when to `stop()` it.

    Args:
        pool_size: DB pool connections of the target.
        timeout_s: How long to wait for its `LISTENING` line.
        pool_timeout_s: Pool wait before a 503 (the target's default when None).

    Returns:
        The running process, with `.url`, `.pid` and `.stop()`.

    Raises:
        RuntimeError: It did not start in time; the message holds its stderr.
    """
    cmd = [sys.executable, "-m", "runners.demo.target", "--port", "0", "--pool-size", str(pool_size)]
    if pool_timeout_s is not None:
        cmd += ["--pool-timeout", str(pool_timeout_s)]
    stderr = tempfile.TemporaryFile()  # noqa: SIM115 - owned by the DemoProcess, closed in stop()
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        preexec_fn=_pdeathsig_preexec(),  # noqa: PLW1509 - only prctl and getppid run between fork and exec
        start_new_session=True,
    )
    demo = DemoProcess(proc, "", stderr)
    assert proc.stdout is not None
    line = read_first_line(proc.stdout, timeout_s).decode("utf-8", "replace").strip()
    if line.startswith("LISTENING http://127.0.0.1:"):
        demo.url = line.split(" ", 1)[1]
        return demo
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(0.5)  # after an EOF on stdout the child may still be exiting
    exited = proc.poll()
    status = demo._reap(timeout=2.0)
    err = demo.stderr_tail()
    demo.stop()
    if exited is not None:
        why = f"exited with status {exited} before listening"
    else:
        why = f"did not listen within {timeout_s:g} s (stopped, status {status})"
    raise RuntimeError(f"demo target {why}; first line {line!r}; stderr:\n{err.strip() or '(empty)'}")

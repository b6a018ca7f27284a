"""Starts an engine host in the background and waits until it serves the run (or says why it cannot).

The host is spawned before the launcher has finished its own start-up, so both import in parallel; it then
waits on a "go" pipe before it creates anything (a run folder, k6), so a launcher that finds the
configuration invalid leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psutil

READY_TIMEOUT_S = 60.0


class LaunchError(OSError):
    """The engine host did not start; `code` is the exit status the command line should give."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class HostReady:
    """What the host said: where its socket is."""

    socket: Path
    run_dir: Path
    run_name: str
    pid: int


# Forks once more and exits, so the engine host is nobody's child: not the screen's (a terminal's process
# tree can be killed as a whole), not the shell's. It says the host's pid on the ready pipe first.
_TRAMPOLINE = (
    "import os, sys\n"
    "pid = os.fork()\n"
    "if pid:\n"
    "    os.write(int(sys.argv[1]), b'pid %d\\n' % pid)\n"
    "    os._exit(0)\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


class HostLaunch:
    """One engine host being started: `go()` (or `cancel()`), then `wait_ready()`."""

    def __init__(self, cli_args: Sequence[str], k6_args: Sequence[str]) -> None:
        """Spawn `loadwatch <cli_args> --engine-host R --engine-go G -- <k6_args>` in its own session.

        Args:
            cli_args: loadwatch's own arguments (`run SCRIPT ...` or `demo ...`).
            k6_args: Arguments for k6.
        """
        self._ready_r, ready_w = os.pipe()
        go_r, self._go_w = os.pipe()
        host = [
            sys.executable,
            "-m",
            "runners.cli",
            *cli_args,
            "--engine-host",
            str(ready_w),
            "--engine-go",
            str(go_r),
        ]
        if k6_args:
            host += ["--", *k6_args]
        argv = [sys.executable, "-S", "-c", _TRAMPOLINE, str(ready_w), *host]
        # What the host prints before its engine.log exists; closed by _close().
        self._early: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self.pid = 0
        self._buf = b""
        try:
            trampoline = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                          stderr=self._early, pass_fds=(ready_w, go_r), start_new_session=True)  # fmt: skip
        finally:
            os.close(ready_w)
            os.close(go_r)
        trampoline.wait(30)
        first = self._line(10.0)
        if first.startswith("pid "):
            self.pid = int(first[4:])

    def go(self) -> None:
        """Let the host create the run."""
        self._close_go(b"go\n")

    def cancel(self) -> None:
        """Tell the host to leave without creating anything (it exits as soon as it reads that)."""
        self._close_go(b"")
        self._close()

    def _close_go(self, word: bytes) -> None:
        if self._go_w < 0:
            return
        try:
            if word:
                os.write(self._go_w, word)
        except OSError:
            pass  # the host is gone already: wait_ready says why
        finally:
            os.close(self._go_w)
            self._go_w = -1

    def _close(self) -> None:
        if self._ready_r >= 0:
            os.close(self._ready_r)
            self._ready_r = -1
        self._early.close()

    def _line(self, timeout_s: float) -> str:
        """The next line on the ready pipe ("" at its end, or after the timeout)."""
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self._buf and time.monotonic() < deadline:
            readable, _, _ = select.select([self._ready_r], [], [], 0.2)
            if readable:
                chunk = os.read(self._ready_r, 65536)
                if not chunk:
                    break  # every writer is gone: the host exited
                self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line.decode("utf-8", "replace").strip()

    def wait_ready(self) -> HostReady:
        """Wait for the host to serve the run.

        Returns:
            Where it serves it.

        Raises:
            LaunchError: it failed, or said nothing for READY_TIMEOUT_S.
        """
        try:
            line = self._line(READY_TIMEOUT_S)
            if line:
                try:
                    data = json.loads(line)
                except ValueError:
                    data = {"ok": False, "error": f"unreadable answer from the engine: {line[:200]!r}"}
                if data.get("ok"):
                    return HostReady(
                        Path(data["socket"]), Path(data["run_dir"]), data["run_name"], data["pid"]
                    )
                raise LaunchError(str(data.get("error", "")), int(data.get("code", 1)))
            self._early.seek(0)
            tail = self._early.read()[-4000:].decode("utf-8", "replace").strip()
            alive = self._kill_silent_host()
            why = "did not answer in time" if alive else "exited before it was ready"
            raise LaunchError(f"the engine process {why}" + (f":\n{tail}" if tail else ""))
        finally:
            self._close()

    def _kill_silent_host(self) -> bool:
        """End a host that is still running but said nothing (only ours: its command line says so)."""
        try:
            proc = psutil.Process(self.pid) if self.pid else None
            if proc is None or "--engine-host" not in proc.cmdline():
                return False
            proc.kill()
            return True
        except psutil.Error:
            return False


def wait_for_go(fd: int) -> bool:
    """The host's side: block until the launcher says go (True) or closes the pipe without a word (False).

    Args:
        fd: The inherited pipe's read end.

    Returns:
        True to go on.
    """
    try:
        data = b""
        while b"\n" not in data:
            chunk = os.read(fd, 16)
            if not chunk:
                break
            data += chunk
    finally:
        os.close(fd)
    return data.strip() == b"go"

"""Drives a program in a real tmux terminal, as a user would: send keys, read the screen."""

from __future__ import annotations

import contextlib
import shlex
import subprocess
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

import psutil

from tests.components import need_program

POLL_S = 0.05


class Tmux:
    """One tmux server (its own socket) with one window running `argv` at a fixed size.

    `close()` (or leaving the `with` block) ends the server and then every process that ran under the
    window (the program and its children, e.g. k6), by PID, whether the test passed or not.
    """

    def __init__(
        self,
        argv: Sequence[str],
        cwd: Path,
        size: tuple[int, int] = (80, 24),
        env: dict[str, str] | None = None,
    ) -> None:
        self.tmux = need_program("tmux")
        self.socket = f"lw-test-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in (env or {}).items())
        command = f"cd {shlex.quote(str(cwd))} && {exports} {shlex.join(argv)}; echo EXIT=$?; sleep 600"
        self._tmux("new-session", "-d", "-s", "t", "-x", str(size[0]), "-y", str(size[1]), command)
        self.pane_pid = int(self._tmux("display-message", "-p", "-t", "t", "#{pane_pid}").strip())
        self._seen: dict[int, psutil.Process] = {}
        self._note_processes()

    def __enter__(self) -> Tmux:
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.close()

    def _tmux(self, *args: str) -> str:
        out = subprocess.run(
            [self.tmux, "-L", self.socket, *args], capture_output=True, text=True, timeout=10, check=True
        )
        return out.stdout

    def _note_processes(self) -> None:
        """Remember the window's processes (a child that is gone later cannot be found from the pane)."""
        try:
            pane = psutil.Process(self.pane_pid)
            for p in (pane, *pane.children(recursive=True)):
                self._seen.setdefault(p.pid, p)
        except psutil.Error:
            pass

    def screen(self) -> str:
        """The visible screen as text."""
        self._note_processes()
        return self._tmux("capture-pane", "-p", "-t", "t")

    def scrollback(self, lines: int = 200) -> str:
        """The visible screen and up to `lines` lines above it (what was printed after the app left)."""
        return self._tmux("capture-pane", "-p", "-t", "t", "-S", f"-{lines}")

    def send(self, *keys: str) -> None:
        """Type keys (tmux key names, e.g. `q`, `Enter`, `Escape`)."""
        self._tmux("send-keys", "-t", "t", *keys)

    def wait_for(self, pred: Callable[[str], bool], timeout_s: float, what: str) -> str:
        """Poll the screen until `pred(screen)` holds; fails with the last screen after the timeout."""
        deadline = time.monotonic() + timeout_s
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if pred(screen):
                return screen
            time.sleep(POLL_S)
        raise AssertionError(f"timed out waiting for {what}; screen was:\n{screen}")

    def close(self, grace_s: float = 30.0) -> list[str]:
        """End this tmux server (only ours: its own socket), then whatever it ran, by PID.

        The window's processes get SIGHUP from tmux (loadwatch then stops k6 gracefully); any still alive
        after `grace_s` are killed.

        Returns:
            The command lines of the processes that had to be killed (empty when all ended by themselves).
        """
        self._note_processes()
        subprocess.run(
            [self.tmux, "-L", self.socket, "kill-server"], capture_output=True, timeout=10, check=False
        )
        procs = [p for p in self._seen.values() if _alive(p)]
        _, alive = psutil.wait_procs(procs, timeout=grace_s)
        killed = []
        for p in alive:
            with contextlib.suppress(psutil.Error):
                killed.append(" ".join(p.cmdline()))
                p.kill()
        psutil.wait_procs(alive, timeout=5)
        return killed


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False

"""Drives a program in a real tmux terminal, as a user would: send keys, read the screen."""

from __future__ import annotations

import shlex
import subprocess
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from tests.components import need_program


class Tmux:
    """One tmux server (its own socket) with one window running `argv` at a fixed size."""

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

    def _tmux(self, *args: str) -> str:
        out = subprocess.run(
            [self.tmux, "-L", self.socket, *args], capture_output=True, text=True, timeout=10, check=True
        )
        return out.stdout

    def screen(self) -> str:
        """The visible screen as text."""
        return self._tmux("capture-pane", "-p", "-t", "t")

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
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}; screen was:\n{screen}")

    def close(self) -> None:
        """Kill this tmux server (only ours: it has its own socket)."""
        subprocess.run(
            [self.tmux, "-L", self.socket, "kill-server"], capture_output=True, timeout=10, check=False
        )

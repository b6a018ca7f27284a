"""Starts an engine host in the background and waits until it serves the run (or says why it cannot)."""

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

READY_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class HostReady:
    """What the host said: where its socket is, or why it did not start."""

    ok: bool
    socket: Path | None = None
    run_dir: Path | None = None
    run_name: str = ""
    pid: int = 0
    error: str = ""
    code: int = 1


def launch_host(cli_args: Sequence[str], k6_args: Sequence[str]) -> HostReady:
    """Start `loadwatch <cli_args> --engine-host FD -- <k6_args>` in its own session and wait for it.

    Args:
        cli_args: loadwatch's own arguments (`run SCRIPT ...` or `demo ...`).
        k6_args: Arguments for k6.

    Returns:
        The host's answer.
    """
    r, w = os.pipe()
    argv = [sys.executable, "-m", "runners.cli", *cli_args, "--engine-host", str(w)]
    if k6_args:
        argv += ["--", *k6_args]
    with tempfile.TemporaryFile() as early_errors:  # what the host prints before its engine.log exists
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=early_errors,
                                    pass_fds=(w,), start_new_session=True, close_fds=True)  # fmt: skip
        finally:
            os.close(w)
        try:
            line = _read_line(r, proc)
        finally:
            os.close(r)
        if line:
            try:
                data = json.loads(line)
            except ValueError:
                data = {"ok": False, "error": f"unreadable answer from the engine: {line[:200]!r}"}
            if data.get("ok"):
                return HostReady(
                    True, Path(data["socket"]), Path(data["run_dir"]), data["run_name"], data["pid"]
                )
            return HostReady(
                False, error=str(data.get("error", "")), code=int(data.get("code", 1)), pid=proc.pid
            )
        early_errors.seek(0)
        tail = early_errors.read()[-4000:].decode("utf-8", "replace").strip()
    code = proc.poll()
    if code is None:  # silent for a minute: do not leave it behind
        proc.kill()
        proc.wait(5)
    why = f"exited with status {code}" if code is not None else "did not answer in time"
    return HostReady(False, error=f"the engine process {why}" + (f":\n{tail}" if tail else ""), pid=proc.pid)


def _read_line(fd: int, proc: subprocess.Popen[bytes]) -> str:
    data = b""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while b"\n" not in data and time.monotonic() < deadline:
        readable, _, _ = select.select([fd], [], [], 0.2)
        if readable:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            data += chunk
        elif proc.poll() is not None:
            break
    return data.decode("utf-8", "replace").strip()

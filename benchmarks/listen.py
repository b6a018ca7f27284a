"""Starting a server program on a free 127.0.0.1 port without racing others for it.

A port found free can be taken by another process before the program binds it. So the program is started
on a free port, and counts as up only once it is the process listening there (read back from the
system's socket table by its PID); if it exits first (the port was taken) it is started again on another.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

import psutil

from runners.k6.command import free_port


def listens_on(pid: int, port: int) -> bool:
    """True when the process `pid` holds a listening TCP socket on `port`."""
    try:
        conns = psutil.Process(pid).net_connections(kind="tcp")
    except psutil.Error:
        return False
    return any(c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port for c in conns)


def stop(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Terminate a process we started, by its PID; kill it if it does not end in time."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


def start_listening(
    launch: Callable[[int], subprocess.Popen[bytes]], attempts: int = 5, timeout_s: float = 20.0
) -> tuple[int, subprocess.Popen[bytes]]:
    """Launch a server on a free port until it is the one listening there.

    Args:
        launch: Starts the program listening on the given port.
        attempts: Ports to try.
        timeout_s: How long one attempt may take to bind.

    Returns:
        (the port, the process)

    Raises:
        RuntimeError: when no attempt got the program listening.
    """
    why = ""
    for _ in range(attempts):
        port = free_port()
        proc = launch(port)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and proc.poll() is None:
            if listens_on(proc.pid, port):
                return port, proc
            time.sleep(0.02)
        why = (
            f"exited with {proc.returncode}"
            if proc.poll() is not None
            else f"not listening after {timeout_s} s"
        )
        stop(proc)
    raise RuntimeError(f"{attempts} attempts to start a server on a free port failed (last: {why})")

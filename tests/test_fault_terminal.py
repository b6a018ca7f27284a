"""Case 2: the terminal vanishes with no SIGHUP (its pty closed): loadwatch notices within a second or two,
stops k6 as for SIGHUP, completes the record and exits; nothing spins."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import psutil
import pytest

from runners.record.reader import RecordReader
from runners.record.schema import EventKind
from tests import k6_scripts
from tests.fault_support import ENV, LOADWATCH, k6_under, only_run_dir, wait_until

pytestmark = pytest.mark.integration


class PtyReader:
    """Drains the pty's master side (as a terminal emulator would) and keeps the text."""

    def __init__(self, master: int) -> None:
        self.master = master
        self.text = ""
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.text = (self.text + data.decode("utf-8", "replace"))[-200_000:]


# A shell that owns the pty as its controlling terminal and ignores the hang-up, running loadwatch.
_SHELL_IGNORING_HUP = (
    "import os, sys; os.getsid(0) == os.getpid() or os.setsid(); fd = os.open(os.ttyname(0), os.O_RDWR); os.close(fd); "
    "os.execvp('bash', ['bash', '-c', 'trap \"\" HUP; \"$@\"; true', 'sh', *sys.argv[1:]])"
)


def _start_in_pty(
    tmp_path: Path, nginx_url: str, route: str, *mode: str
) -> tuple[subprocess.Popen[bytes], int, PtyReader]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    script = k6_scripts.write(tmp_path, "steady.js", k6_scripts.STEADY)
    argv = [*LOADWATCH, "run", str(script), *mode, "--runs-dir", str(tmp_path / "runs"), "--progress-every", "1",
            "--", "-e", f"BASE={nginx_url}", "--duration", "60s"]  # fmt: skip
    if route == "ctty":
        argv = [sys.executable, "-c", _SHELL_IGNORING_HUP, *argv]
    # "no-ctty": a new session that never acquires the pty as its controlling terminal, so closing it
    # signals nobody. "ctty": the pty is the session's controlling terminal, its leader ignores SIGHUP.
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                            env={**ENV, "TERM": "xterm-256color"}, cwd=tmp_path)  # fmt: skip
    os.close(slave)
    return proc, master, PtyReader(master)


def _ended(run_dir: Path) -> bool:
    with RecordReader(run_dir) as reader:
        return reader.meta().ended_at is not None


def _alive(p: psutil.Process) -> bool:
    try:
        return p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


@pytest.mark.parametrize("route", ["no-ctty", "ctty"])
@pytest.mark.parametrize("mode", [(), ("--headless",)], ids=["screen", "headless"])
def test_a_pty_closed_without_a_signal_ends_the_run_cleanly(
    tmp_path: Path, k6_bin: str, nginx_url: str, mode: tuple[str, ...], route: str
) -> None:
    proc, master, reader = _start_in_pty(tmp_path, nginx_url, route, *mode)
    try:
        k6 = k6_under(proc.pid, folder=tmp_path)
        lw = next(p for p in [psutil.Process(proc.pid), *psutil.Process(proc.pid).children()]
                  if p.cmdline()[1:3] == ["-m", "runners.cli"])  # fmt: skip
        wait_until(lambda: "rps" in reader.text or "req/s" in reader.text, 30, "the run on the terminal")
        time.sleep(2)
        os.close(master)  # the terminal is gone; nobody sends a signal
        closed_at = time.monotonic()
        cpu0 = cpu = sum(lw.cpu_times()[:2])
        while _alive(lw) and proc.poll() is None and time.monotonic() - closed_at < 40:
            try:
                cpu = sum(lw.cpu_times()[:2])
            except psutil.Error:
                break
            time.sleep(0.1)
        took = time.monotonic() - closed_at
    finally:
        if proc.poll() is None:
            proc.kill()
    assert took < 20, f"loadwatch took {took:.1f} s to leave a lost terminal"
    # A reader spinning on EOF burns a whole core; shutting down (k6's graceful stop) needs a fraction.
    print(f"closed -> exit {took:.1f} s, loadwatch CPU {cpu - cpu0:.2f} s ({(cpu - cpu0) / took:.0%})")
    # A quick exit may use most of a core for a moment; a spinning one keeps doing so until the 20 s bound.
    assert cpu - cpu0 < max(0.5 * took, 1.0), f"{cpu - cpu0:.1f} CPU-s in {took:.1f} s"
    _, alive = psutil.wait_procs([k6], timeout=15)
    assert not alive, "k6 ended with the run"
    run_dir = only_run_dir(tmp_path / "runs")
    # A screen is a viewer: its engine host may still be closing the record when the viewer is gone.
    wait_until(lambda: _ended(run_dir), 30, "the engine to complete the record")
    run = RecordReader(run_dir)
    meta = run.meta()
    stops = run.events(EventKind.STOP_REQUESTED)
    run.close()
    assert meta["status"] == "aborted" and meta["ended_at"] > meta["started_at"], meta
    print(f"stopped by: {meta['stopped_by']}")
    assert str(meta["stopped_by"]).startswith("terminal lost"), meta
    assert stops and str(stops[0]["reason"]).startswith("terminal lost"), stops
    # Headless exits as for SIGHUP; a screen is a viewer, and the run was its engine host's.
    if route == "no-ctty" and mode:
        assert proc.wait(5) == 130

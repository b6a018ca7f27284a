"""A screen whose terminal vanishes with no signal (its pty closed): it leaves within 5 s and nothing spins."""

from __future__ import annotations

import contextlib
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
from tests.test_e2e_tmux import k6_processes_for

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
LOADWATCH = str(Path(sys.executable).parent / "loadwatch")
SCRIPT = """import { sleep } from 'k6';
export const options = { vus: 1, duration: '90s' };
export default function () { sleep(1); }
"""


def _drain(fd: int, stop: threading.Event) -> None:
    """Read the screen's output so the pty never fills (a real terminal would show it)."""
    while not stop.is_set():
        try:
            if not os.read(fd, 65536):
                return
        except OSError:
            return


def _cpu_pct(procs: list[psutil.Process], seconds: float) -> float:
    """CPU of these processes over `seconds`, in % of one core."""
    before = {p.pid: sum(p.cpu_times()[:2]) for p in procs if p.is_running()}
    time.sleep(seconds)
    used = 0.0
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            used += sum(p.cpu_times()[:2]) - before.get(p.pid, 0.0)
    return used / seconds * 100


@pytest.mark.parametrize("policy", ["stop", "detach"])
def test_pty_closed_without_a_signal(tmp_path: Path, k6_bin: str, policy: str) -> None:
    script = tmp_path / "idle.js"
    script.write_text(SCRIPT)
    runs = tmp_path / "runs"
    rt = tmp_path / "rt"
    rt.mkdir(mode=0o700)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "K6_NO_USAGE_REPORT": "true", "TERM": "xterm-256color", "XDG_RUNTIME_DIR": str(rt)}
    # A new session with no controlling terminal: closing the pty sends no SIGHUP, as with a parent shell
    # that ignores HUP. Only the terminal's hang-up tells the screen it is gone.
    viewer = subprocess.Popen([LOADWATCH, "run", str(script), "--runs-dir", str(runs), "--on-hangup", policy],
                              stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)  # fmt: skip
    os.close(slave)
    stop = threading.Event()
    reader = threading.Thread(target=_drain, args=(master, stop), daemon=True)
    reader.start()
    engine: psutil.Process | None = None
    try:
        deadline = time.monotonic() + 60
        while not k6_processes_for(runs) and time.monotonic() < deadline:
            time.sleep(0.2)
        (k6,) = k6_processes_for(runs)
        engine = psutil.Process(k6.ppid())
        time.sleep(2)
        attached_cpu = _cpu_pct([engine], 5.0) if policy == "detach" else 0.0
        stop.set()
        t0 = time.monotonic()
        os.close(master)
        viewer.wait(timeout=5)
        assert time.monotonic() - t0 <= 5.0
        if policy == "stop":
            _, alive = psutil.wait_procs([engine, k6], timeout=60)
            assert not alive, "the run ended, k6 and the engine with it"
        else:
            time.sleep(1)
            assert engine.is_running() and k6.is_running(), "the run goes on, detached"
            # The least of three windows: a loop spinning on the lost terminal shows in every window, while
            # a loaded box's noise (another suite's burst) shows in one.
            cpu = min(_cpu_pct([engine], 3.0) for _ in range(3))
            print(f"engine CPU, idle script: {attached_cpu:.2f} % of one core attached, {cpu:.2f} % detached")
            # The detached engine still runs its run (two ticks a second: fold, record commit and heartbeat,
            # host sampling); losing the terminal must add nothing to that beyond the windows' noise (1 % of
            # a core, or half again as much): a loop spinning on a lost terminal read 24 % against 1.6 %.
            # (Over 5 s windows on a loaded box the same engine read ±20 %: 14.8 % attached, 17.2 % detached, and
            # once 5.6 % attached, 10.4 % detached.)
            bound = max(attached_cpu + 1.0, attached_cpu * 1.5)
            assert cpu <= bound, f"engine at {cpu:.1f} % detached, {attached_cpu:.1f} % attached"
            # What an idle run costs at all (the least of three windows): 8.7-9.3 % of a core on a quiet box,
            # 11.0 % in CI. These VMs charge each wake-up from a sleep 1-10 ms of CPU whatever it does (ticking
            # five times a second read 9.3-10 %); 60 ms of real work added to each tick read 17.7-19 %.
            assert cpu <= 15.0, f"engine at {cpu:.1f} % of a core with an idle script"
            engine.terminate()  # SIGTERM: the engine stops the run gracefully
            _, alive = psutil.wait_procs([engine, k6], timeout=60)
            assert not alive
    finally:
        stop.set()
        if viewer.poll() is None:
            viewer.kill()
        for p in [engine, *k6_processes_for(runs)]:
            if p is not None and p.is_running():
                p.kill()
    (run_dir,) = runs.iterdir()
    with RecordReader(run_dir) as rec:
        meta = rec.meta()
    assert meta["status"] == "aborted"
    expected = "terminal lost" if policy == "stop" else "SIGTERM"
    assert expected in str(meta["stopped_by"]), meta["stopped_by"]

"""Start budget: `loadwatch --help` within 0.3 s, the first frame on screen within 1 s, and the first
frame with k6's data (a request counted) within 3 s.

The frames are timed as a user sees them: loadwatch starts in a tmux terminal (80x24) against a local
nginx and the screen is read every 10 ms until the header shows the run's name and state, then until the
run's request count is above zero, after one untimed launch (a fresh checkout compiles its bytecode on
the first), with the CPU seconds loadwatch's own process had used by then. The full run checks the wall
budgets (and the CPU within 1 s / 2 s). Wall times stretch with a loaded box (7-11 s at load average
17-22 on 2 cores, while the CPU stayed about 1 s), so --smoke checks the CPU seconds (2.5 s / 4 s,
--help 0.5 s) and the wall times only loosely (60 s, --help 5 s). Every mode exits non-zero when a bound is missed.

Usage: python -m benchmarks.first_frame [--repeat 5] [--smoke]
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psutil

from benchmarks.budget import Budget, check, exit_code
from benchmarks.local_nginx import local_nginx

SCRIPT = (
    "import http from 'k6/http';\nimport { sleep } from 'k6';\n"
    "export default function () { http.get(__ENV.BASE + '/'); sleep(0.1); }\n"
)
HELP = Budget("--help median", "s", full=0.3, smoke=5.0)
HELP_CPU = Budget("--help CPU median", "s", full=0.3, smoke=0.5)
FIRST_FRAME = Budget("first frame median", "s", full=1.0, smoke=60.0)
FIRST_DATA = Budget("first frame with k6 data median", "s", full=3.0, smoke=60.0)
FIRST_FRAME_CPU = Budget("loadwatch CPU until the first frame", "s", full=1.0, smoke=2.5)
FIRST_DATA_CPU = Budget("loadwatch CPU until the first k6 data", "s", full=2.0, smoke=4.0)
_DATA = re.compile(r"run req\s+[1-9]")


def help_time() -> tuple[float, float]:
    """Wall time of one `loadwatch --help`, and the CPU seconds it used."""
    c0 = os.times()
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "runners.cli", "--help"], check=True, capture_output=True, timeout=30
    )
    wall = time.perf_counter() - t0
    c1 = os.times()
    return wall, (c1.children_user - c0.children_user) + (c1.children_system - c0.children_system)


class _Screen:
    """One tmux server of our own (its own socket), so closing it touches nothing else."""

    def __init__(self, tmux: str, command: str) -> None:
        self.tmux = tmux
        self.sock = f"lw-bench-{uuid.uuid4().hex[:8]}"
        subprocess.run([tmux, "-L", self.sock, "new-session", "-d", "-x", "80", "-y", "24", command],
                       check=True, timeout=30)  # fmt: skip

    def program(self) -> psutil.Process | None:
        """The program the window runs (the pane shell's child)."""
        pane = subprocess.run([self.tmux, "-L", self.sock, "display-message", "-p", "#{pane_pid}"],
                              capture_output=True, text=True, timeout=30, check=False).stdout.strip()  # fmt: skip
        try:
            return next(iter(psutil.Process(int(pane)).children()), None)
        except (ValueError, psutil.Error):
            return None

    def text(self) -> str:
        return subprocess.run([self.tmux, "-L", self.sock, "capture-pane", "-p"], capture_output=True,
                              text=True, timeout=30, check=False).stdout  # fmt: skip

    def keys(self, *keys: str) -> None:
        subprocess.run([self.tmux, "-L", self.sock, "send-keys", *keys], capture_output=True, timeout=30,
                       check=False)  # fmt: skip

    def until(self, pred: Callable[[str], bool], timeout_s: float) -> bool:
        deadline = time.perf_counter() + timeout_s
        while time.perf_counter() < deadline:
            if pred(self.text()):
                return True
            time.sleep(0.01)
        return False

    def close(self) -> None:
        """Quit loadwatch as a user would (q, y), then end our tmux server."""
        self.keys("q")
        if self.until(lambda s: "quit?" in s, 5):
            self.keys("y")
        self.until(lambda s: "EXIT=" in s, 30)
        subprocess.run(
            [self.tmux, "-L", self.sock, "kill-server"], capture_output=True, timeout=10, check=False
        )


def _cpu_s(proc: psutil.Process | None) -> float:
    """CPU seconds (user + system) a process used so far; 0 when it is gone."""
    try:
        return sum(proc.cpu_times()[:2]) if proc is not None else 0.0
    except psutil.Error:
        return 0.0


def first_frame_times(work: Path, base: str) -> tuple[float, float, float, float]:
    """From launching loadwatch in tmux: wall seconds to its header on screen and to a request counted, and
    the CPU seconds loadwatch's own process had used at each of those moments."""
    tmux = shutil.which("tmux")
    if tmux is None:
        raise RuntimeError("tmux is not installed")
    script = work / "steady.js"
    script.write_text(SCRIPT)
    loadwatch = Path(sys.executable).parent / "loadwatch"
    cmd = shlex.join([str(loadwatch), "run", str(script), "--runs-dir", str(work / "runs"), "--", "-e",
                      f"BASE={base}", "--duration", "30s"])  # fmt: skip
    t0 = time.perf_counter()
    screen = _Screen(tmux, f"K6_NO_USAGE_REPORT=true {cmd}; echo EXIT=$?; sleep 60")
    try:
        if not screen.until(lambda s: "steady" in s and ("STARTING" in s or "RUNNING" in s), 60):
            raise RuntimeError(f"no frame within 60 s; screen:\n{screen.text()}")
        first = time.perf_counter() - t0
        me = screen.program()
        first_cpu = _cpu_s(me)
        if not screen.until(lambda s: _DATA.search(s) is not None, 60):
            raise RuntimeError(f"no request counted within 60 s; screen:\n{screen.text()}")
        return first, time.perf_counter() - t0, first_cpu, _cpu_s(me)
    finally:
        screen.close()


def main() -> int:
    """Print the figures; exit status 1 when a bound is missed."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--smoke", action="store_true")
    a = p.parse_args()
    n = 1 if a.smoke else a.repeat
    help_runs = [help_time() for _ in range(max(3, n))]
    helps = [h[0] for h in help_runs]
    print(f"--help: median {statistics.median(helps):.3f} s over {len(helps)}")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall times stretch with it)")
    with tempfile.TemporaryDirectory() as tmp, local_nginx() as base:
        (Path(tmp) / "warm-up").mkdir()
        first_frame_times(Path(tmp) / "warm-up", base)  # untimed: a fresh checkout compiles bytecode first
        times = []
        for i in range(n):
            (Path(tmp) / str(i)).mkdir()
            times.append(first_frame_times(Path(tmp) / str(i), base))
    frames = [t[0] for t in times]
    data = [t[1] for t in times]
    frames_cpu = [t[2] for t in times]
    data_cpu = [t[3] for t in times]
    print(f"first frame on screen: median {statistics.median(frames):.3f} s, max {max(frames):.3f} s over {n};"
          f" loadwatch CPU {statistics.median(frames_cpu):.2f} s")  # fmt: skip
    print(f"first frame with k6 data: median {statistics.median(data):.3f} s, max {max(data):.3f} s over {n};"
          f" loadwatch CPU {statistics.median(data_cpu):.2f} s")  # fmt: skip
    return exit_code(
        [
            check(HELP, statistics.median(helps), a.smoke),
            check(HELP_CPU, statistics.median(h[1] for h in help_runs), a.smoke),
            check(FIRST_FRAME, statistics.median(frames), a.smoke),
            check(FIRST_DATA, statistics.median(data), a.smoke),
            check(FIRST_FRAME_CPU, statistics.median(frames_cpu), a.smoke),
            check(FIRST_DATA_CPU, statistics.median(data_cpu), a.smoke),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())

"""Start budget: `loadwatch --help` within 0.3 s, the first frame on screen within 1 s, and the first
frame with k6's data (a request counted) within 3 s.

The frames are timed as a user sees them: loadwatch starts in a tmux terminal (80x24) against a local
nginx and the screen is read every 10 ms until the header shows the run's name and state, then until the
run's request count is above zero, after one untimed launch (a fresh checkout compiles its bytecode on
the first). The full run checks the budgets. --smoke checks bounds relative to the box's pace measured
in the same run (B: a fresh interpreter importing the screen and the engine, about 0.45 s on an idle
box): the first frame within 3 B + 2 s, the first k6 data within 4 B + 6 s, --help within 1.5 s. Every
mode exits non-zero when a bound is missed.

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

from benchmarks.budget import Budget, check, exit_code
from benchmarks.local_nginx import local_nginx

SCRIPT = (
    "import http from 'k6/http';\nimport { sleep } from 'k6';\n"
    "export default function () { http.get(__ENV.BASE + '/'); sleep(0.1); }\n"
)
HELP = Budget("--help median", "s", full=0.3, smoke=1.5)
FIRST_FRAME_S = 1.0
FIRST_DATA_S = 3.0
_DATA = re.compile(r"run req\s+[1-9]")


def import_time() -> float:
    """Wall time of a fresh interpreter importing the screen and the engine: the box's pace right now."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import tui.app, runners.engine.live"], check=True, timeout=120)
    return time.perf_counter() - t0


def help_time() -> float:
    """Wall time of one `loadwatch --help`."""
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "runners.cli", "--help"], check=True, capture_output=True, timeout=30
    )
    return time.perf_counter() - t0


class _Screen:
    """One tmux server of our own (its own socket), so closing it touches nothing else."""

    def __init__(self, tmux: str, command: str) -> None:
        self.tmux = tmux
        self.sock = f"lw-bench-{uuid.uuid4().hex[:8]}"
        subprocess.run([tmux, "-L", self.sock, "new-session", "-d", "-x", "80", "-y", "24", command],
                       check=True, timeout=10)  # fmt: skip

    def text(self) -> str:
        return subprocess.run([self.tmux, "-L", self.sock, "capture-pane", "-p"], capture_output=True,
                              text=True, timeout=5, check=False).stdout  # fmt: skip

    def keys(self, *keys: str) -> None:
        subprocess.run([self.tmux, "-L", self.sock, "send-keys", *keys], capture_output=True, timeout=5,
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


def first_frame_times(work: Path, base: str) -> tuple[float, float]:
    """Seconds from launching loadwatch in tmux to its header on screen, and to a request counted."""
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
        if not screen.until(lambda s: "steady" in s and ("STARTING" in s or "RUNNING" in s), 15):
            raise RuntimeError(f"no frame within 15 s; screen:\n{screen.text()}")
        first = time.perf_counter() - t0
        if not screen.until(lambda s: _DATA.search(s) is not None, 30):
            raise RuntimeError(f"no request counted within 30 s; screen:\n{screen.text()}")
        return first, time.perf_counter() - t0
    finally:
        screen.close()


def main() -> int:
    """Print the figures; exit status 1 when a bound is missed."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--smoke", action="store_true")
    a = p.parse_args()
    n = 1 if a.smoke else a.repeat
    helps = [help_time() for _ in range(max(3, n))]
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
    print(
        f"first frame on screen: median {statistics.median(frames):.3f} s, max {max(frames):.3f} s over {n}"
    )
    print(f"first frame with k6 data: median {statistics.median(data):.3f} s, max {max(data):.3f} s over {n}")
    pace = statistics.median(import_time() for _ in range(3))
    print(f"the box's pace B (fresh import of the screen and the engine): {pace:.2f} s")
    first = Budget("first frame median", "s", full=FIRST_FRAME_S, smoke=3 * pace + 2)
    data_budget = Budget("first frame with k6 data median", "s", full=FIRST_DATA_S, smoke=4 * pace + 6)
    checks = [
        check(HELP, statistics.median(helps), a.smoke),
        check(first, statistics.median(frames), a.smoke),
    ]
    return exit_code([*checks, check(data_budget, statistics.median(data), a.smoke)])


if __name__ == "__main__":
    sys.exit(main())

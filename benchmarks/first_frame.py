"""Start budget: `loadwatch --help` within 0.3 s and the first frame on screen within 1 s.

The first frame is timed as a user sees it: loadwatch starts in a tmux terminal (80x24) and the screen
is read every 10 ms until the header shows the run's name and state.

Usage: python -m benchmarks.first_frame [--repeat 5] [--smoke]
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

SCRIPT = (
    "import http from 'k6/http';\nimport { sleep } from 'k6';\nexport default function () { sleep(1); }\n"
)


def help_time() -> float:
    """Wall time of one `loadwatch --help`."""
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "runners.cli", "--help"], check=True, capture_output=True, timeout=30
    )
    return time.perf_counter() - t0


def first_frame_time(work: Path) -> float:
    """Seconds from launching loadwatch in tmux to its header on screen."""
    tmux = shutil.which("tmux")
    if tmux is None:
        raise RuntimeError("tmux is not installed")
    script = work / "idle.js"
    script.write_text(SCRIPT)
    sock = f"lw-bench-{uuid.uuid4().hex[:8]}"
    loadwatch = Path(sys.executable).parent / "loadwatch"
    cmd = shlex.join(
        [str(loadwatch), "run", str(script), "--runs-dir", str(work / "runs"), "--", "--duration", "3s"]
    )
    t0 = time.perf_counter()
    subprocess.run([tmux, "-L", sock, "new-session", "-d", "-x", "80", "-y", "24", f"K6_NO_USAGE_REPORT=true {cmd}; sleep 30"],
                   check=True, timeout=10)  # fmt: skip
    try:
        deadline = t0 + 15
        while time.perf_counter() < deadline:
            screen = subprocess.run([tmux, "-L", sock, "capture-pane", "-p"], capture_output=True, text=True,
                                    timeout=5, check=False).stdout  # fmt: skip
            if "idle" in screen and ("STARTING" in screen or "RUNNING" in screen):
                return time.perf_counter() - t0
            time.sleep(0.01)
        raise RuntimeError("no frame within 15 s")
    finally:
        subprocess.run([tmux, "-L", sock, "send-keys", "q"], capture_output=True, timeout=5, check=False)
        time.sleep(0.3)
        subprocess.run([tmux, "-L", sock, "send-keys", "y"], capture_output=True, timeout=5, check=False)
        time.sleep(2)
        subprocess.run([tmux, "-L", sock, "kill-server"], capture_output=True, timeout=10, check=False)


def main() -> None:
    """Print the figures."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--smoke", action="store_true")
    a = p.parse_args()
    n = 1 if a.smoke else a.repeat
    helps = [help_time() for _ in range(max(3, n))]
    print(f"--help: median {statistics.median(helps):.3f} s over {len(helps)} (budget 0.3 s)")
    with tempfile.TemporaryDirectory() as tmp:
        frames = [first_frame_time(Path(tmp)) for _ in range(n)]
    print(
        f"first frame on screen: median {statistics.median(frames):.3f} s, max {max(frames):.3f} s over {n} (budget 1 s)"
    )


if __name__ == "__main__":
    main()

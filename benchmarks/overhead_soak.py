"""A longer run per path: does anything loadwatch asks of k6 grow with the run? k6's CPU per 1,000 requests
and k6's RSS, window by window, from k6 under `loadwatch run --headless` (and k6 alone's RSS for scale).

Usage: python -m benchmarks.overhead_soak [--seconds 60] [--window 10] [--paths json,rw] [--vus 10]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from benchmarks.local_nginx import local_nginx
from benchmarks.overhead_runs import SCRIPT, RssWatch
from runners.k6.binary import find_k6
from runners.k6.command import k6_env

Sample = tuple[float, float, int]  # wall time, k6 CPU seconds, k6 RSS bytes


def _watch_k6(parent: subprocess.Popen[bytes]) -> list[Sample]:
    samples: list[Sample] = []
    k6: psutil.Process | None = None
    while parent.poll() is None:
        time.sleep(1.0)
        try:
            if k6 is None:
                k6 = next(
                    (c for c in psutil.Process(parent.pid).children(recursive=True) if c.name() == "k6"), None
                )
            if k6 is not None:
                with k6.oneshot():
                    cpu = k6.cpu_times()
                    samples.append((time.time(), cpu.user + cpu.system, k6.memory_info().rss))
        except psutil.Error:
            k6 = None
    return samples


def _requests_by_second(run_dir: Path) -> dict[int, int]:
    db = sqlite3.connect(f"file:{run_dir / 'run.sqlite'}?mode=ro", uri=True)
    try:
        return {
            t: int(json.loads(d)["requests"])
            for t, d in db.execute("SELECT t, data FROM series WHERE source='k6'")
        }
    finally:
        db.close()


def soak(path: str, base: str, work: Path, seconds: int, vus: int, window: int) -> list[str]:
    """One headless run of `seconds`; a line per window: k6 CPU-ms per 1,000 requests, k6 RSS."""
    script = work / "load.js"
    script.write_text(SCRIPT)
    runs = work / f"runs-{path}"
    cmd = [str(Path(sys.executable).parent / "loadwatch"), "run", str(script), "--headless", "--transport", path,
           "--runs-dir", str(runs), "--progress-every", "600", "--",
           "--vus", str(vus), "--duration", f"{seconds}s", "-e", f"BASE={base}"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=k6_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples = _watch_k6(proc)
    reqs = _requests_by_second(max(runs.iterdir(), key=lambda d: d.stat().st_mtime))
    lines = []
    for a, b in zip(samples[::window], samples[window::window], strict=False):
        n = sum(reqs.get(t, 0) for t in range(int(a[0]), int(b[0])))
        if n:
            lines.append(f"  {int(a[0] - samples[0][0]):>5}s-{int(b[0] - samples[0][0]):>4}s: k6 {1e6 * (b[1] - a[1]) / n:6.1f} "
                         f"CPU-ms per 1,000 requests, {n / (b[0] - a[0]):8,.0f} req/s, k6 RSS {b[2] / 1e6:5.0f} MB")  # fmt: skip
    return lines


def alone_rss(base: str, work: Path, seconds: int, vus: int) -> int | None:
    """k6 alone's peak RSS over the same run, for scale."""
    script = work / "load.js"
    script.write_text(SCRIPT)
    cmd = [
        find_k6(),
        "run",
        "--vus",
        str(vus),
        "--duration",
        f"{seconds}s",
        "-e",
        f"BASE={base}",
        str(script),
    ]
    proc = subprocess.Popen(cmd, env=k6_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    watch = RssWatch(lambda: psutil.Process(proc.pid))
    proc.wait()
    return watch.stop()


def main() -> None:
    """Print the windows of each path."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=int, default=60)
    p.add_argument("--window", type=int, default=10)
    p.add_argument("--paths", default="json,rw")
    p.add_argument("--vus", type=int, default=10)
    p.add_argument("--smoke", action="store_true")
    a = p.parse_args()
    seconds, window = (4, 2) if a.smoke else (a.seconds, a.window)
    with local_nginx(own_session=True) as base, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rss = alone_rss(base, work, seconds, a.vus)
        print(f"k6 alone: peak RSS {(rss or 0) / 1e6:.0f} MB over {seconds} s", flush=True)
        for path in a.paths.split(","):
            print(f"{path} under loadwatch --headless:", flush=True)
            for line in soak(path, base, work, seconds, a.vus, window):
                print(line, flush=True)


if __name__ == "__main__":
    main()

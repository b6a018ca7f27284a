"""A longer run per path: does anything loadwatch asks of k6 grow with the run? k6's CPU per 1,000 requests
and k6's RSS, window by window, from k6 under `loadwatch run --headless` (and k6 alone's RSS for scale).

Usage: python -m benchmarks.overhead_soak [--seconds 60] [--window 10] [--paths json,rw] [--vus 10]
       [--rate REQ_PER_S] [--skip-alone]

The verdict: k6's CPU per 1,000 requests in the last third of the windows over the first third (the first
window, warm-up, and the last, k6 winding down, left out) must stay within the growth bound. `--rate` holds a steady arrival rate (a soak
of 40 minutes at full rate would take the box's both cores for that long); `--skip-alone` leaves out the
k6-alone run that gives RSS its scale.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from benchmarks.budget import Budget, check, exit_code
from benchmarks.local_nginx import local_nginx
from benchmarks.overhead_runs import SCRIPT, RssWatch
from runners.k6.binary import find_k6
from runners.k6.command import k6_env

Sample = tuple[float, float, int]  # wall time, k6 CPU seconds, k6 RSS bytes
Window = tuple[float, float, float]  # k6 CPU-ms per 1,000 requests, req/s, k6 RSS MB
GROWTH = Budget("k6 CPU per request, last third of the run / first third", "x", full=1.15, smoke=4.0)
RATE_SCRIPT = """import http from 'k6/http';
import { check } from 'k6';
export const options = { scenarios: { steady: { executor: 'constant-arrival-rate', rate: __ENV.RATE,
  timeUnit: '1s', duration: __ENV.DURATION, preAllocatedVUs: __ENV.VUS, maxVUs: __ENV.VUS } } };
export default function () {
  const res = http.get(__ENV.BASE + '/');
  check(res, { 'status is 200': (r) => r.status === 200 });
}
"""


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


def soak(
    path: str, base: str, work: Path, seconds: int, vus: int, window: int, rate: int = 0
) -> list[Window]:
    """One headless run of `seconds` (at full rate, or `rate` requests/s); a figure per window."""
    script = work / "load.js"
    script.write_text(RATE_SCRIPT if rate else SCRIPT)
    runs = work / f"runs-{path}"
    load = (["-e", f"RATE={rate}", "-e", f"DURATION={seconds}s", "-e", f"VUS={vus}"] if rate
            else ["--vus", str(vus), "--duration", f"{seconds}s"])  # fmt: skip
    cmd = [str(Path(sys.executable).parent / "loadwatch"), "run", str(script), "--headless", "--transport", path,
           "--runs-dir", str(runs), "--progress-every", "600", "--", *load, "-e", f"BASE={base}"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=k6_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples = _watch_k6(proc)
    reqs = _requests_by_second(max(runs.iterdir(), key=lambda d: d.stat().st_mtime))
    out: list[Window] = []
    for a, b in zip(samples[::window], samples[window::window], strict=False):
        n = sum(reqs.get(t, 0) for t in range(int(a[0]), int(b[0])))
        if n:
            out.append((1e6 * (b[1] - a[1]) / n, n / (b[0] - a[0]), b[2] / 1e6))
    return out


def growth(windows: list[Window]) -> float | None:
    """Median CPU per request of the last third of the windows over the first third (the first window,
    warm-up, and the last, k6 winding down and writing its summary, left out)."""
    cpu = [w[0] for w in windows[1:-1]]
    third = len(cpu) // 3
    if third < 1:
        return None
    return statistics.median(cpu[-third:]) / statistics.median(cpu[:third])


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
    """Print the windows of each path and check that k6's CPU per request stays flat."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=int, default=60)
    p.add_argument("--window", type=int, default=10)
    p.add_argument("--paths", default="json,rw")
    p.add_argument("--vus", type=int, default=10)
    p.add_argument("--rate", type=int, default=0, help="steady requests/s (default: as fast as k6 goes)")
    p.add_argument("--skip-alone", action="store_true", help="no k6-alone run for RSS scale")
    p.add_argument("--smoke", action="store_true")
    a = p.parse_args()
    # The smoke's windows are short and the CI box busy (1 s windows swung 60-260 CPU-ms per 1,000 requests):
    # its bound only catches a pathological growth; the full run judges flatness.
    seconds, window = (12, 2) if a.smoke else (a.seconds, a.window)
    results: list[bool] = []
    with local_nginx(own_session=True) as base, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if not a.skip_alone:
            rss = alone_rss(base, work, seconds, a.vus)
            print(f"k6 alone: peak RSS {(rss or 0) / 1e6:.0f} MB over {seconds} s", flush=True)
        for path in a.paths.split(","):
            print(f"{path} under loadwatch --headless:", flush=True)
            windows = soak(path, base, work, seconds, a.vus, window, a.rate)
            for i, (cpu_ms, rps, rss_mb) in enumerate(windows):
                print(f"  {i * window:>5}s-{(i + 1) * window:>4}s: k6 {cpu_ms:6.1f} CPU-ms per 1,000 requests, "
                      f"{rps:8,.0f} req/s, k6 RSS {rss_mb:5.0f} MB", flush=True)  # fmt: skip
            ratio = growth(windows)
            if ratio is None:
                print(f"  {len(windows)} windows: too few to judge growth")
                results.append(False)
            else:
                results.append(check(GROWTH, ratio, a.smoke))
    sys.exit(exit_code(results))


if __name__ == "__main__":
    main()

"""Memory budget: 10,000 distinct tag sets cost loadwatch a bounded amount of memory over 10 tag sets.

Two headless runs of the same script against a local nginx, the same number of iterations, differ only in
how many distinct values one script tag takes (`user`: 10, then 10,000), set on every request, on the
check and on a custom Trend and Counter inside a group, so every HTTP metric, `checks` and both custom
metrics see that many tag sets. Each run's peak RSS is loadwatch's own process as /proc shows it (VmHWM),
sampled while it runs; the figure is the difference. The metric model bounds each metric's table (rare tag
sets fold into their coarse tags, then "other") and its caches; `--sets` takes more counts to show that the
peak does not grow with them.

Usage: python -m benchmarks.tagset_memory [--iterations 60000] [--sets 10 10000 40000] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.budget import Budget, check, exit_code
from benchmarks.local_nginx import local_nginx
from runners.k6.command import k6_env

SCRIPT = """
import http from 'k6/http';
import { check, group } from 'k6';
import { Trend, Counter } from 'k6/metrics';
const tagged = new Trend('tagged_time', true);
const seen = new Counter('tagged_seen');
export default function () {
  const tags = { user: 'u' + ((__ITER * 10 + __VU) % __ENV.SETS) };
  group('tagged', () => {
    const r = http.get(__ENV.BASE + '/', { tags: tags });
    check(r, { 'ok': (x) => x.status === 200 }, tags);
    tagged.add(r.timings.duration, tags);
    seen.add(1, tags);
  });
}
"""
# Measured on a shared 2-core box: +109 MB for 10,000 tag sets and +50 MB for 40,000 (60,000 iterations each).
# The model's own state is bounded (tables fold, caches are cleared when full); the peak is the backlog of
# unfolded samples a CPU-starved engine tick holds (distinct tag sets cost several times more per sample to
# fold) and the memory the allocator keeps after it. The bound is that measured figure with a margin.
DIFFERENCE = Budget("peak RSS difference, 10,000 vs 10 tag sets", "MB", full=150.0, smoke=200.0)


def vm_hwm_mb(pid: int) -> float | None:
    """The process's peak resident set (VmHWM in /proc), None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), None)
    return None if kb is None else kb / 1024


def headless_peak_rss(
    script: Path, runs: Path, summary: Path, k6_args: list[str], timeout_s: float = 600.0
) -> tuple[float, int, dict[str, object]]:
    """Run `loadwatch run --headless`; returns its peak RSS (MB) as /proc saw it (not loadwatch's own figure),
    its exit status and its --json-summary."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "runners.cli", "run", str(script), "--headless", "--runs-dir", str(runs),
         "--json-summary", str(summary), "--progress-every", "600", "--", *k6_args],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=k6_env(),
    )  # fmt: skip
    peak = 0.0
    try:
        deadline = time.monotonic() + timeout_s
        while proc.poll() is None and time.monotonic() < deadline:
            peak = max(peak, vm_hwm_mb(proc.pid) or 0.0)  # the high-water mark: a late read still sees it
            time.sleep(0.05)
        code = proc.wait(5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    return peak, code, json.loads(summary.read_text()) if summary.is_file() else {}


def peak_rss_mb(work: Path, base: str, sets: int, iterations: int) -> tuple[float, dict[str, object]]:
    """One headless run; returns loadwatch's peak RSS (MB) and its --json-summary."""
    script = work / "tagsets.js"
    script.write_text(SCRIPT)
    args = ["-e", f"BASE={base}", "-e", f"SETS={sets}", "--vus", "10", "--iterations", str(iterations)]
    peak, code, summary = headless_peak_rss(script, work / "runs", work / f"summary-{sets}.json", args)
    if code != 0:
        raise SystemExit(f"the run with {sets} tag sets failed (exit {code})")
    return peak, summary


def main() -> int:
    """Run once per tag-set count; print each peak and the difference to the first; check the bound."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--iterations", type=int, default=60_000)
    p.add_argument("--sets", type=int, nargs="+", default=[10, 10_000, 40_000])
    p.add_argument("--smoke", action="store_true", help="fewer iterations, for CI")
    a = p.parse_args()
    iterations = 12_000 if a.smoke else a.iterations
    sets = [10, 10_000] if a.smoke else a.sets
    peaks: list[float] = []
    with local_nginx() as base, tempfile.TemporaryDirectory() as tmp:
        for n in sets:
            mb, summary = peak_rss_mb(Path(tmp), base, n, iterations)
            peaks.append(mb)
            print(f"{n:>7,} tag sets: {summary['requests']:,} requests, peak loadwatch RSS {mb:.1f} MB "
                  f"({mb - peaks[0]:+.1f} MB against {sets[0]:,})", flush=True)  # fmt: skip
            if summary["requests"] != iterations:
                print(f"expected {iterations:,} requests")
                return 1
    return exit_code([check(DIFFERENCE, max(peaks[1:], default=peaks[0]) - peaks[0], a.smoke)])


if __name__ == "__main__":
    sys.exit(main())

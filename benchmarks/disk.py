"""Disk budget: how fast a run record grows at full load, with k6 also logging a warning per request.

Runs `loadwatch run --headless` against a local nginx (plus a refused port, so k6 floods its log) and
prints the record's size per minute (budget: about 1 MB per minute, checked as at most 1.1 MB/min over
the whole run). The smoke run is too short for the whole-run figure (the record's fixed start, schema,
k6's banner and summary, dominates it), so it also runs 4 s and checks the growth per minute between
the two runs (the size difference over the time difference) against a relaxed bound.

Usage: python -m benchmarks.disk [--seconds 60] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.budget import Budget, check, exit_code
from benchmarks.local_nginx import local_nginx
from runners.k6.command import k6_env

SCRIPT = """
import http from 'k6/http';
export default function () {
  http.get(__ENV.BASE + '/api/items/' + (__ITER % 50));
  if (__ITER % 10 === 0) { http.get('http://127.0.0.1:1/refused'); }
}
"""
WHOLE_RUN = Budget("record size over the whole run", "MB/min", full=1.1, smoke=1.1)
GROWTH = Budget("record growth beyond a 4 s run", "MB/min", full=1.1, smoke=2.0)


def folder_bytes(folder: Path) -> int:
    """Total size of the files under a folder."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def run_once(base: str, work: Path, seconds: int) -> tuple[int, int]:
    """Run loadwatch headless for `seconds` into a fresh folder under `work`.

    Returns:
        (the finished record's size in bytes, requests)
    """
    script = work / "load.js"
    script.write_text(SCRIPT)
    runs = work / f"runs-{seconds}"
    cmd = [sys.executable, "-m", "runners.cli", "run", str(script), "--headless", "--runs-dir", str(runs),
           "--progress-every", "600", "--", "-e", f"BASE={base}", "--vus", "10", "--duration", f"{seconds}s"]  # fmt: skip
    subprocess.run(cmd, env=k6_env(), check=False, timeout=seconds + 120, capture_output=True)
    (run_dir,) = runs.iterdir()
    return folder_bytes(run_dir), json.loads((run_dir / "summary.json").read_text())["requests"]


def main() -> int:
    """Run, print the growth rates; exit status 1 when the mode's bound is missed."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seconds", type=int, default=60)
    p.add_argument("--smoke", action="store_true")
    a = p.parse_args()
    seconds = 12 if a.smoke else a.seconds
    short = 4
    with local_nginx() as base, tempfile.TemporaryDirectory() as tmp:
        short_size, _ = run_once(base, Path(tmp), short)
        size, requests = run_once(base, Path(tmp), seconds)
    per_min = size / seconds * 60 / 1e6
    growth_per_min = (size - short_size) / (seconds - short) * 60 / 1e6
    print(f"{requests:,} requests in {seconds} s ({requests / seconds:,.0f}/s); record {size / 1e6:.2f} MB "
          f"= {per_min:.2f} MB/min over the run; {growth_per_min:.2f} MB/min more than a {short} s run's "
          f"{short_size / 1e6:.2f} MB")  # fmt: skip
    if a.smoke:
        return exit_code([check(GROWTH, growth_per_min, smoke=True)])
    return exit_code([check(WHOLE_RUN, per_min, smoke=False), check(GROWTH, growth_per_min, smoke=False)])


if __name__ == "__main__":
    sys.exit(main())

"""Disk budget: how fast a run record grows at full load, with k6 also logging a warning per request.

Runs `loadwatch run --headless` against a local nginx (plus a refused port, so k6 floods its log) and
prints the record's size per minute (budget: about 1 MB per minute by default).

Usage: python -m benchmarks.disk [--seconds 60] [--smoke]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.local_nginx import local_nginx
from runners.k6.command import k6_env

SCRIPT = """
import http from 'k6/http';
export default function () {
  http.get(__ENV.BASE + '/api/items/' + (__ITER % 50));
  if (__ITER % 10 === 0) { http.get('http://127.0.0.1:1/refused'); }
}
"""


def folder_bytes(folder: Path) -> int:
    """Total size of the files under a folder."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> None:
    """Run and print the growth rate."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seconds", type=int, default=60)
    p.add_argument("--smoke", action="store_true")
    a = p.parse_args()
    seconds = 5 if a.smoke else a.seconds
    with local_nginx() as base, tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "load.js"
        script.write_text(SCRIPT)
        runs = Path(tmp) / "runs"
        cmd = [sys.executable, "-m", "runners.cli", "run", str(script), "--headless", "--runs-dir", str(runs),
               "--progress-every", "600", "--", "-e", f"BASE={base}", "--vus", "10", "--duration", f"{seconds}s"]  # fmt: skip
        subprocess.run(cmd, env=k6_env(), check=False, timeout=seconds + 120, capture_output=True)
        (run_dir,) = runs.iterdir()
        size = folder_bytes(run_dir)
        summary = (run_dir / "summary.json").read_text()
    requests = int(summary.split('"requests": ')[1].split(",")[0])
    per_min = size / seconds * 60 / 1e6
    verdict = "OK" if per_min <= 1.0 else "OVER BUDGET"
    if seconds < 30:  # the record's fixed start (schema, k6's banner and summary) dominates a short run
        verdict = "smoke: too short to judge the per-minute budget"
    print(f"{requests:,} requests in {seconds} s ({requests / seconds:,.0f}/s); record {size / 1e6:.2f} MB "
          f"= {per_min:.2f} MB/min (budget ~1 MB/min): {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()

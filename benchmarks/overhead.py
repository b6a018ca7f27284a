"""Overhead budget: k6 requests/s against a local nginx, alone and with each way of watching it.

Variants, run in alternating order for each pair:
  alone      k6 run (default summary), the reference
  json-file  k6 run --out json=FILE with no reader: what k6's own JSON emission costs
  headless   loadwatch run --headless (JSON on a pipe, parsed live, recorded)
  tui        loadwatch run with its screen, in a 120x36 tmux terminal
Prints each run's requests/s (from k6's own --summary-export) and the median ratio to `alone`.

Usage: python -m benchmarks.overhead [--pairs 3] [--seconds 10] [--vus 10] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from benchmarks.local_nginx import local_nginx
from runners.k6.binary import find_k6
from runners.k6.command import k6_env

SCRIPT = "import http from 'k6/http';\nexport default function () { http.get(__ENV.BASE + '/'); }\n"
VARIANTS = ("alone", "json-file", "headless", "tui")


def run_variant(variant: str, base: str, work: Path, seconds: int, vus: int) -> float:
    """One run; returns k6's requests/s."""
    script = work / "load.js"
    script.write_text(SCRIPT)
    export = work / f"{variant}-summary.json"
    load = ["--vus", str(vus), "--duration", f"{seconds}s", "-e", f"BASE={base}"]
    if variant == "tui":
        return _tui_rate(script, work, load, seconds)
    if variant == "headless":
        runs = work / "runs"
        cmd = [sys.executable, "-m", "runners.cli", "run", str(script), "--headless", "--runs-dir", str(runs),
               "--progress-every", "60", "--", *load]  # fmt: skip
        subprocess.run(cmd, env=k6_env(), check=True, timeout=seconds + 120, capture_output=True)
        newest = max(runs.iterdir(), key=lambda d: d.stat().st_mtime)
        export = newest / "k6-summary.json"
    else:
        out = ["--out", f"json={work / 'out.json'}"] if variant == "json-file" else []
        cmd = [find_k6(), "run", "--summary-export", str(export), *out, *load, str(script)]
        subprocess.run(cmd, env=k6_env(), check=True, timeout=seconds + 120, capture_output=True)
        (work / "out.json").unlink(missing_ok=True)
    rate: float = json.loads(export.read_text())["metrics"]["http_reqs"]["rate"]
    return rate


def _tui_rate(script: Path, work: Path, load: list[str], seconds: int) -> float:
    tmux = shutil.which("tmux")
    if tmux is None:
        raise RuntimeError("tmux is not installed")
    runs = work / f"runs-tui-{uuid.uuid4().hex[:8]}"
    sock = f"lw-overhead-{uuid.uuid4().hex[:8]}"
    loadwatch = str(Path(sys.executable).parent / "loadwatch")
    cmd = shlex.join([loadwatch, "run", str(script), "--runs-dir", str(runs), "--", *load])
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in k6_env({}).items())
    subprocess.run([tmux, "-L", sock, "new-session", "-d", "-x", "120", "-y", "36", f"env {env} {cmd}; sleep 600"],
                   check=True, timeout=10)  # fmt: skip
    try:
        deadline = time.monotonic() + seconds + 120
        while time.monotonic() < deadline:
            done = [d / "summary.json" for d in runs.glob("*") if (d / "summary.json").is_file()]
            if done:
                newest = max(done, key=lambda p: p.stat().st_mtime).parent
                rate: float = json.loads((newest / "k6-summary.json").read_text())["metrics"]["http_reqs"][
                    "rate"
                ]
                return rate
            time.sleep(0.5)
        raise RuntimeError("the TUI run did not finish")
    finally:
        subprocess.run([tmux, "-L", sock, "kill-server"], capture_output=True, timeout=10, check=False)


def main() -> None:
    """Run the pairs and print the figures."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--pairs", type=int, default=3)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--vus", type=int, default=10)
    p.add_argument("--smoke", action="store_true", help="one short pair, for CI")
    a = p.parse_args()
    pairs, seconds = (1, 2) if a.smoke else (a.pairs, a.seconds)
    ratios: dict[str, list[float]] = {v: [] for v in VARIANTS[1:]}
    with local_nginx() as base, tempfile.TemporaryDirectory() as tmp:
        for i in range(pairs):
            order = VARIANTS if i % 2 == 0 else tuple(reversed(VARIANTS))
            rates = {v: run_variant(v, base, Path(tmp), seconds, a.vus) for v in order}
            line = "  ".join(f"{v}={rates[v]:,.0f}" for v in VARIANTS)
            print(f"pair {i + 1}: {line} req/s", flush=True)
            for v in VARIANTS[1:]:
                ratios[v].append(rates[v] / rates["alone"])
    for v, rs in ratios.items():
        print(
            f"{v}: median ratio to k6 alone {statistics.median(rs):.3f} (runs: {', '.join(f'{r:.3f}' for r in rs)})"
        )
    own = statistics.median(ratios["json-file"])
    for v in ("headless", "tui"):
        print(
            f"{v}: loadwatch's own cost on top of k6's JSON emission: {(own - statistics.median(ratios[v])) * 100:.1f} points (budget 3)"
        )


if __name__ == "__main__":
    main()

"""Records real k6 JSON output against a local nginx, for the ingest and memory benchmarks."""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from benchmarks.local_nginx import local_nginx
from runners.k6.binary import find_k6
from runners.k6.command import k6_env

SCRIPT = """
import http from 'k6/http';
import { check } from 'k6';
export default function () {
  const r = http.get(__ENV.BASE + '/api/items/' + (__ITER % 50));
  check(r, { 'ok': (x) => x.status === 200 });
  http.get(__ENV.BASE + '/health', { tags: { name: 'health' } });
  if (__ITER % 20 === 0) { http.get(__ENV.BASE + '/missing'); }
}
"""


def record(out: Path, seconds: int, vus: int = 10, script: str = SCRIPT) -> Path:
    """Run k6 for `seconds` against a local nginx with `--out json=out`; returns `out`."""
    with local_nginx() as base, tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.js"
        path.write_text(script)
        cmd = [find_k6(), "run", "-q", "--no-summary", "--vus", str(vus), "--duration", f"{seconds}s",
               "-e", f"BASE={base}", "--out", f"json={out}", str(path)]  # fmt: skip
        subprocess.run(cmd, env=k6_env(), check=True, timeout=seconds + 60, capture_output=True)
    return out


def main() -> None:
    """CLI: record N seconds of k6 output into a file."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("out", type=Path)
    p.add_argument("--seconds", type=int, default=5)
    a = p.parse_args()
    record(a.out, a.seconds)
    print(f"recorded {a.out} ({a.out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()

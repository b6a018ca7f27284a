"""Records real k6 JSON output against a local nginx, for the ingest and memory benchmarks."""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from benchmarks.local_nginx import local_nginx
from runners.k6.binary import find_k6
from runners.k6.command import k6_env

# A mixed stream, as real scripts write it: two scenarios (one arrival-rate), nested groups, named checks
# and custom metrics of all four types; about a third of the lines are custom metrics and checks.
SCRIPT = """
import http from 'k6/http';
import { check, group } from 'k6';
import { Trend, Counter, Rate, Gauge } from 'k6/metrics';
const itemTime = new Trend('item_time', true);
const items = new Counter('items_seen');
const okRate = new Rate('item_ok');
const depth = new Gauge('queue_depth');
export const options = {
  scenarios: {
    browse: { executor: 'constant-vus', vus: __ENV.VUS * 0.6 || 6, duration: __ENV.DUR, exec: 'browse',
              tags: { flow: 'browse' } },
    buy: { executor: 'constant-arrival-rate', rate: 1500, timeUnit: '1s', duration: __ENV.DUR,
           preAllocatedVUs: 4, maxVUs: 6, exec: 'buy' },
  },
  thresholds: { 'http_req_duration{scenario:buy}': ['p(95)<500'], 'checks{check:paid}': ['rate>0.9'],
                'item_time': ['p(99)<1000'] },
};
export function browse() {
  group('catalog', () => {
    const r = http.get(__ENV.BASE + '/api/items/' + (__ITER % 50), { tags: { name: 'item' } });
    check(r, { 'status 200': (x) => x.status === 200, 'fast': (x) => x.timings.duration < 50 });
    itemTime.add(r.timings.duration, { kind: 'item' });
    items.add(1);
    okRate.add(r.status === 200);
    depth.add(__ITER % 10);
  });
}
export function buy() {
  group('shop', () => {
    group('pay', () => {
      const r = http.post(__ENV.BASE + '/pay', 'x');
      check(r, { 'paid': (x) => x.status === 200 });
    });
  });
  if (__ITER % 20 === 0) { http.get(__ENV.BASE + '/missing'); }
}
"""


def record(out: Path, seconds: int, vus: int = 10, script: str = SCRIPT) -> Path:
    """Run k6 for `seconds` against a local nginx with `--out json=out`; returns `out`."""
    with local_nginx() as base, tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.js"
        path.write_text(script)
        # A script with its own scenarios reads its size from VUS/DUR; a plain one takes k6's flags.
        size = [] if "scenarios:" in script else ["--vus", str(vus), "--duration", f"{seconds}s"]
        cmd = [find_k6(), "run", "-q", "--no-summary", *size, "-e", f"VUS={vus}", "-e", f"DUR={seconds}s",
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

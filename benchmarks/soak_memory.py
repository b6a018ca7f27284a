"""Memory budget: a 40-minute soak at full rate, simulated by replaying recorded k6 output fast.

Real k6 output (recorded against a local nginx, from a script with 200 endpoint names, groups, checks and
custom Trend, Counter, Rate and Gauge metrics) is re-stamped second by second to cover the soak and fed
through the real engine: a `RunEngine` (never started: the replay stands in for k6's pipe) whose own tick
runs twice per simulated second, as live: the ingest, the per-second folding, the window, endpoints with
retirement into `other`, the alert rules (the defaults plus per-endpoint globs that fire and resolve, each
transition committed), the frame handed to a listener, k6's output lines and the run record.

RSS is sampled every simulated 30 s. Budget: under 150 MB at every sample, and flat after warm-up: the
end RSS at most 10 % above the RSS after warm-up (the first quarter of the soak, at least 3 minutes: a
20-minute soak here grew 50 -> 77 MB over the first 2.5 minutes, then stayed within 0.3 MB). --smoke
soaks 5 minutes and checks the same 10 % growth, and 200 MB. The exit status is 1 when a bound is missed.

Usage: python -m benchmarks.soak_memory [--minutes 40] [--smoke]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

import psutil

from benchmarks.budget import Budget, check, exit_code
from benchmarks.record_k6_output import record
from runners.engine.live import TICK_S, RunEngine, RunSpec
from runners.model.frames import Frame
from runners.model.rule_spec import Rule
from runners.rules.defaults import default_rules

_STAMP = re.compile(rb'"time":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)')
SCRIPT = """
import http from 'k6/http';
import { check, group } from 'k6';
import { Trend, Counter, Rate, Gauge } from 'k6/metrics';
const think = new Trend('think_time_ms');
const orders = new Counter('orders_placed');
const okRate = new Rate('order_ok');
const queue = new Gauge('queue_depth');
export default function () {
  group('catalog', function () {
    const i = __ITER % 200;
    const r = http.get(__ENV.BASE + '/api/catalog/item-' + i, { tags: { name: 'item-' + i } });
    check(r, { 'ok': (x) => x.status === 200 });
    think.add(i % 17);
  });
  const r = http.get(__ENV.BASE + '/api/orders/' + (__ITER % 5000));
  orders.add(1);
  okRate.add(r.status === 200);
  queue.add(__ITER % 40);
  if (__ITER % 25 === 0) { http.get(__ENV.BASE + '/missing'); }
}
"""
PEAK = Budget("RSS peak", "MB", full=150.0, smoke=200.0)
GROWTH = Budget("RSS growth after warm-up", "%", full=10.0, smoke=10.0)


def seconds_of(data: bytes) -> list[bytes]:
    """Split recorded output into one chunk per second of sample time."""
    chunks: dict[bytes, list[bytes]] = {}
    for line in data.splitlines(keepends=True):
        m = _STAMP.search(line)
        key = m.group(1) if m else b""
        chunks.setdefault(key, []).append(line)
    return [b"".join(v) for k, v in sorted(chunks.items()) if k]


def soak_rules() -> list[Rule]:
    """The default rules and per-endpoint globs whose levels the replayed latencies cross now and then."""
    rules = default_rules()
    for i in range(10):
        rules.append(Rule(f"ep-p95-{i}", f"endpoint.item-{i}*.p95_ms", ">", warning=0.3, critical=0.6))
    rules.append(Rule("all-p99", "endpoint.*.p99_ms", ">", warning=1.0, critical=3.0, for_s=1.0))
    return rules


def build_engine(work: Path, t0: float) -> tuple[RunEngine, list[Frame]]:
    """A real engine for the replay (k6 never started) and the list its frames land in."""
    script = work / "soak.js"
    script.write_text(SCRIPT)
    engine = RunEngine(RunSpec(script=script, runs_dir=work / "runs", name="soak", rules=soak_rules()))
    # One thread feeds and ticks here: a reader waiting for the engine to take its backlog would wait for
    # a take that only comes after the feed returns (a second per slice, the soak stalled).
    engine.ingest.max_pending_groups = None
    engine.started_at = t0
    engine.recorder.set_meta(name="soak", started_at=t0, status="running")
    last: list[Frame] = []

    def keep(frame: Frame) -> None:  # a screen keeps the latest frame only
        last[:] = [frame]

    engine.add_listener(keep)
    return engine, last


def spill(work: Path, data: bytes) -> list[Path]:
    """One file per full second of the recording: read in slices as from k6's pipe, not held in memory."""
    chunks = seconds_of(data)[1:-1] or seconds_of(data)
    paths = []
    for i, c in enumerate(chunks):
        path = work / f"second-{i}.json"
        path.write_bytes(c)
        paths.append(path)
    return paths


def soak(work: Path, per_second: list[Path], minutes: float) -> tuple[list[float], int]:
    """Replay the seconds through the engine's tick; returns RSS samples (MB) every 30 s and requests."""
    proc = psutil.Process()
    t0 = 1_900_000_000.0
    engine, _frames = build_engine(work, t0)
    rss: list[float] = []
    try:
        for s in range(int(minutes * 60)):
            stamp = b'"time":"' + time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t0 + s)).encode()
            with per_second[s % len(per_second)].open("rb") as f:
                while block := f.read(1 << 20):
                    block += f.readline()
                    engine.ingest.feed(_STAMP.sub(stamp, block))
            if s % 3 == 0:
                engine.output.add("stderr", f'time="{s}" level=warning msg="Request Failed" error="EOF {s}"')
            for half in (1, 2):
                engine._tick(t0 + s + half * TICK_S)  # the engine's own tick, as its thread runs it
            if s % 30 == 0:
                rss.append(proc.memory_info().rss / 1e6)
                print(f"  minute {s / 60:5.1f}: RSS {rss[-1]:.1f} MB, {engine.stats.requests:,} requests, "
                      f"{len(engine.stats.endpoints)} endpoint rows kept", flush=True)  # fmt: skip
        rss.append(proc.memory_info().rss / 1e6)
        return rss, engine.stats.requests
    finally:
        with engine.journal.lock:
            engine.journal.close()
            engine.recorder.close()


def main() -> int:
    """Replay, fold, evaluate, record; print RSS over the simulated soak and check the bounds."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--minutes", type=float, default=40)
    p.add_argument("--smoke", action="store_true")
    a = p.parse_args()
    minutes = 5 if a.smoke else a.minutes
    with tempfile.TemporaryDirectory() as tmp:
        data = record(Path(tmp) / "k6.json", 3, script=SCRIPT).read_bytes()
        per_second = spill(Path(tmp), data)
        lines = data.count(b"\n") // max(1, len(per_second))
        del data
        print(
            f"replaying ~{lines:,} lines per simulated second for {minutes:g} minutes through the engine tick"
        )
        started = time.perf_counter()
        rss, requests = soak(Path(tmp), per_second, minutes)
    wall = time.perf_counter() - started
    warm_i = max(6, len(rss) // 4)  # samples are 30 s apart: at least 3 minutes, else a quarter of the soak
    warm = rss[min(warm_i, len(rss) - 1)]
    growth = (rss[-1] - warm) / warm * 100
    print(f"simulated {minutes:g} min ({requests:,} requests) in {wall:.0f} s; RSS peak {max(rss):.1f} MB, "
          f"after warm-up {warm:.1f} -> end {rss[-1]:.1f} MB ({growth:+.1f} %)")  # fmt: skip
    return exit_code([check(PEAK, max(rss), a.smoke), check(GROWTH, growth, a.smoke)])


if __name__ == "__main__":
    sys.exit(main())

"""Ingest budget: k6 JSON lines per second through the parser, the HTTP view and the metric model, on one core.

Usage: python -m benchmarks.ingest [--file recorded.json] [--seconds 5] [--repeat 3] [--smoke] [--floor]
                                  [--python-reader]
Without --file it records real k6 output against a local nginx first. --floor also prints what less work
than the reader's costs over the same bytes (counting newlines, the simplest expression per line): how far
any Python reader of k6's JSON stream could go, per request, against the overhead budget's share.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.budget import Budget, check, exit_code
from benchmarks.overhead import BUDGET_CORE
from benchmarks.record_k6_output import record
from runners.k6.ingest import K6Ingest
from runners.k6.native import scan
from runners.k6.stats import K6Stats

BUDGET_LINES_PER_S = 1_000_000
BUDGET = Budget("ingest median", "lines/s", full=BUDGET_LINES_PER_S, smoke=250_000, higher_is_better=True)
CHUNK = 1 << 15  # what one pipe read returns: k6 writes its JSON output 32 KiB at a time, and a reader that
# keeps up gets each write alone (10,000-13,000 reads averaging 37 kB in an 8 s full-rate run)
FOLD_BYTES = 8 << 20  # folded every 8 MB read: the engine folds every 0.5 s, 15-20 MB at k6's full rate


def one_pass(data: bytes) -> tuple[int, float, int]:
    """Feed the data in pipe-sized chunks, folding every ~0.5 s worth as the engine does.

    The chunks are cut before the clock starts: in the engine each one is the bytes a pipe read returned
    (that copy is the reader's, counted in benchmarks.overhead's loadwatch CPU), not the ingest's work.

    Returns:
        (lines, seconds of CPU time, requests counted)
    """
    chunks = [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]
    ingest = K6Ingest()
    stats = K6Stats(ingest.tags)
    t0 = time.process_time()
    every = max(1, FOLD_BYTES // CHUNK)
    for i, chunk in enumerate(chunks):
        ingest.feed(chunk)
        if i % every == every - 1:
            stats.absorb(ingest.take())
    ingest.finish()
    stats.absorb(ingest.take())
    stats.totals()
    return ingest.lines, time.process_time() - t0, stats.requests


FULL_RATE_REQ_S = 16_000
"""k6's full rate on this 2-core box (10 VUs against a local nginx), for the per-request share of the budget."""


def floor(data: bytes) -> None:
    """Print, per request, the CPU of ever less work over the same bytes (best of three each)."""
    requests = data.count(b'"metric":"http_reqs"') or 1
    line, metric = re.compile(rb"[^\n]*\n"), re.compile(rb'"metric":"([^"]*)"')

    def feed_only() -> None:
        ingest = K6Ingest()
        for i in range(0, len(data), CHUNK):
            ingest.feed(data[i : i + CHUNK])

    steps: list[tuple[str, Callable[[], object]]] = [
        ("count the newlines", lambda: data.count(b"\n")),
        ("the simplest expression, once per line", lambda: sum(1 for _ in line.finditer(data))),
        ("the metric name of each line", lambda: metric.findall(data)),
        ("loadwatch's reader (no fold)", feed_only),
        ("loadwatch's reader and fold", lambda: one_pass(data)),
    ]
    print(f"{len(data) / 1e6:.1f} MB, {requests:,} requests, {len(data) / requests:,.0f} bytes a request")
    for name, step in steps:
        best = float("inf")
        for _ in range(3):
            t0 = time.process_time()
            step()
            best = min(best, time.process_time() - t0)
        print(
            f"  {name:40s} {best / requests * 1e6:6.2f} us a request ({best / len(data) * 1e9:.2f} ns a byte)"
        )
    share = BUDGET_CORE / FULL_RATE_REQ_S * 1e6
    print(f"  the overhead budget at {FULL_RATE_REQ_S:,} req/s: {share:.2f} us a request for everything")


def main() -> int:
    """Print lines/s per pass and the median; exit status 1 when the median misses the bound."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--file", type=Path)
    p.add_argument("--seconds", type=int, default=5)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--smoke", action="store_true", help="small and quick, for CI")
    p.add_argument(
        "--floor", action="store_true", help="also time less work than the reader's over the bytes"
    )
    p.add_argument("--python-reader", action="store_true", help="time the Python reader, not the C one")
    a = p.parse_args()
    if a.python_reader:
        os.environ[scan.DISABLE_ENV] = "1"
    print(f"reader: {'C' if scan.load() is not None else 'Python (' + scan.load_error() + ')'}")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    with tempfile.TemporaryDirectory() as tmp:
        path = a.file or record(Path(tmp) / "k6.json", 1 if a.smoke else a.seconds)
        data = path.read_bytes()
    rates = []
    for _ in range(1 if a.smoke else a.repeat):
        lines, cpu, requests = one_pass(data)
        rates.append(lines / cpu)
        print(f"pass: {lines:,} lines, {requests:,} requests, {cpu:.3f} s CPU -> {lines / cpu:,.0f} lines/s")
    if a.floor:
        floor(data)
    med = statistics.median(rates)
    print(f"ingest median {med:,.0f} lines/s on one core (budget {BUDGET_LINES_PER_S:,})")
    return exit_code([check(BUDGET, med, a.smoke)])


if __name__ == "__main__":
    sys.exit(main())

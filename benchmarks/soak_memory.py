"""Memory budget: a 40-minute soak at full rate, simulated by replaying recorded k6 output fast.

Real k6 output (recorded against a local nginx) is re-stamped second by second to cover the soak, and
fed through the same path as a live run: the ingest, the per-second folding, the window, endpoints,
thresholds-free frame views, and the run record. RSS is printed every simulated 5 minutes; the budget is
under 150 MB and flat after warm-up.

Usage: python -m benchmarks.soak_memory [--minutes 40] [--smoke]
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

import psutil

from benchmarks.record_k6_output import record
from runners.k6.ingest import K6Ingest
from runners.k6.stats import K6Stats
from runners.k6.views import code_counts, endpoint_rows, latency_bins
from runners.record.store import RunRecorder

_STAMP = re.compile(rb'"time":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)')


def seconds_of(data: bytes) -> list[bytes]:
    """Split recorded output into one chunk per second of sample time."""
    chunks: dict[bytes, list[bytes]] = {}
    for line in data.splitlines(keepends=True):
        m = _STAMP.search(line)
        key = m.group(1) if m else b""
        chunks.setdefault(key, []).append(line)
    return [b"".join(v) for k, v in sorted(chunks.items()) if k]


def main() -> None:
    """Replay, fold, record, and print RSS over the simulated soak."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--minutes", type=float, default=40)
    p.add_argument("--smoke", action="store_true")
    a = p.parse_args()
    minutes = 2 if a.smoke else a.minutes
    proc = psutil.Process()
    with tempfile.TemporaryDirectory() as tmp:
        data = record(Path(tmp) / "k6.json", 3).read_bytes()
        chunks = seconds_of(data)[1:-1] or seconds_of(data)  # full seconds only
        lines = sum(c.count(b"\n") for c in chunks) // len(chunks)
        # Kept on disk and read in 1 MiB slices, as from k6's pipe: the test data is not loadwatch's memory.
        per_second = []
        for i, c in enumerate(chunks):
            path = Path(tmp) / f"second-{i}.json"
            path.write_bytes(c)
            per_second.append(path)
        del data, chunks
        print(f"replaying {lines:,} lines per simulated second for {minutes:g} minutes")
        ingest = K6Ingest()
        stats = K6Stats(ingest.tags)
        (Path(tmp) / "run").mkdir()
        recorder = RunRecorder(Path(tmp) / "run")
        t0 = 1_900_000_000
        started = time.perf_counter()
        rss = []
        for s in range(int(minutes * 60)):
            stamp = b'"time":"' + time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t0 + s)).encode()
            with per_second[s % len(per_second)].open("rb") as f:
                while block := f.read(1 << 20):
                    block += f.readline()
                    ingest.feed(_STAMP.sub(stamp, block))
            stats.absorb(ingest.take())
            closed = stats.close_until(t0 + s + 1.6)
            endpoint_rows(stats, t0 + s + 1)
            code_counts(stats, t0 + s + 1)
            latency_bins(stats.window_hist(t0 + s + 1))
            stats.totals()
            recorder.add_seconds(closed)
            recorder.add_histograms(stats.histograms_of(x.t for x in closed))
            recorder.commit()
            if s % 300 == 0:
                rss.append(proc.memory_info().rss / 1e6)
                print(f"  minute {s / 60:5.1f}: RSS {rss[-1]:.1f} MB, {stats.requests:,} requests folded")
        recorder.close()
        rss.append(proc.memory_info().rss / 1e6)
    wall = time.perf_counter() - started
    warm = rss[1] if len(rss) > 2 else rss[0]
    print(f"simulated {minutes:g} min in {wall:.0f} s; RSS peak {max(rss):.1f} MB, after warm-up {warm:.1f} -> end "
          f"{rss[-1]:.1f} MB (budget < 150 MB, flat)")  # fmt: skip


if __name__ == "__main__":
    main()

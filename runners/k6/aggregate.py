"""One mergeable aggregate per k6 metric type: Counter, Gauge, Rate and Trend (a bounded log histogram)."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable
from itertools import accumulate, repeat
from operator import mul

from runners.k6.histogram import add_counts, count_into, share_into, spread_ends
from runners.k6.metric_info import COUNTER, GAUGE, RATE, TREND

# Trend buckets: bucket i holds |values| in [GAMMA**i, GAMMA**(i+1)); the representative value is the
# geometric middle, so any percentile is within sqrt(GAMMA) - 1 = 0.995 % of an exact one. About 1,000
# buckets cover 1 ns to 10 minutes; there is no floor, so µs-scale timings (http_req_blocked) keep their size.
GAMMA = 1.02
_INV_LOG = 1.0 / math.log(GAMMA)
RELATIVE_ERROR = math.sqrt(GAMMA) - 1.0
STAT_KEYS = {
    COUNTER: ("count", "rate"),
    GAUGE: ("value", "min", "max"),
    RATE: ("passes", "fails", "value"),
    TREND: ("count", "avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"),
}


def _mid(i: int) -> float:
    return math.exp((i + 0.5) / _INV_LOG)


class Agg:
    """The running aggregate of one metric over one slice (a tag set, a sub-metric, a second, the run).

    Counter: `n` samples summing to `total`. Gauge: `last`, `min`, `max`. Rate: `nonzero` of `n`.
    Trend: `n`, `total`, exact `min`/`max`, and bucket counts for percentiles (`pos`, `neg`, `zeros`).
    """

    __slots__ = ("_memo", "kind", "last", "max", "min", "n", "neg", "nonzero", "pos", "total", "zeros")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.n = 0
        self.total = 0.0
        self.min = math.inf
        self.max = -math.inf
        self.last: float | None = None
        self.nonzero = 0
        self.zeros = 0
        self.pos: dict[int, int] = {}
        self.neg: dict[int, int] = {}
        self._memo: dict[tuple[float, ...], list[float | None]] | None = (
            None  # percentiles since the last change
        )

    def add(self, values: list[float]) -> None:
        """Add raw sample values, in the order k6 wrote them."""
        if not values:
            return
        self._memo = None
        kind = self.kind
        self.n += len(values)
        if kind == RATE:
            self.nonzero += len(values) - values.count(0.0)
            return
        zeros = 0
        if kind == TREND:
            zeros = values.count(0.0)
            if zeros == len(values):  # a timing that did not happen (TLS on plain HTTP): nothing to sum
                self.zeros += zeros
                self.min = 0.0 if self.min > 0.0 else self.min
                self.max = 0.0 if self.max < 0.0 else self.max
                return
            self.zeros += zeros
        self.total += sum(values)
        if kind == COUNTER:
            return
        lo, hi = min(values), max(values)
        self.min = lo if lo < self.min else self.min
        self.max = hi if hi > self.max else self.max
        if kind == GAUGE:
            self.last = values[-1]
            return
        if zeros or self.min < 0:
            pos = [v for v in values if v > 0]
            neg = [-v for v in values if v < 0]
        else:
            pos, neg = values, []
        for src, dst in ((pos, self.pos), (neg, self.neg)):
            if src:
                count_into(dst, map(math.floor, map(mul, map(math.log, src), repeat(_INV_LOG))))

    def add_buckets(self, buckets: Iterable[tuple[float, int]], zero: int, total: float,
                    lo: float | None = None, hi: float | None = None, spread: float = 1.0) -> None:  # fmt: skip
        """Add a Trend's observations given as histogram buckets (a push transport's), not samples.

        A bucket wider than this aggregate's own (`spread` > 1) has its count shared out over the
        aggregate's buckets it covers, evenly in log space and within the exact min and max when known:
        a percentile then falls inside the pushed bucket by rank, not at its middle (k6's remote write
        buckets are 9 % wide; taking their middles put percentiles up to 4.6 % off k6's).

        Args:
            buckets: (representative value, count) per non-empty bucket.
            zero: observations at zero.
            total: their exact sum.
            lo: their exact minimum, when known (else the lowest bucket's value).
            hi: their exact maximum, when known (else the highest bucket's value).
            spread: each bucket spans (value / spread, value * spread]; 1.0 for point values.
        """
        cells = [(v, c) for v, c in buckets if c > 0]
        n = zero + sum(c for _v, c in cells)
        if not n:
            return
        self._memo = None
        self.n += n
        self.total += total
        self.zeros += zero
        edge = math.log(spread) * _INV_LOG  # a bucket's half-width in this aggregate's bucket units
        floor_at = math.log(lo) * _INV_LOG if lo is not None and lo > 0 else -math.inf
        ceil_at = math.log(hi) * _INV_LOG if hi is not None and hi > 0 else math.inf
        for v, c in cells:
            if not v:
                self.zeros += c
                continue
            dst = self.pos if v > 0 else self.neg
            at = math.log(abs(v)) * _INV_LOG
            if c == 1 or edge <= 0.0 or v < 0:
                i = math.floor(at)
                dst[i] = dst.get(i, 0) + c
                continue
            share_into(dst, c, max(at - edge, floor_at), min(at + edge, ceil_at))
        # Unknown extremes: the lowest and highest of the extreme buckets' evenly spread observations.
        if lo is None or hi is None:
            ends = [0.0] if zero or not cells else []
            if cells:  # (below zero the lower end comes second: min/max over both ends of both cells)
                ends += [*spread_ends(*min(cells), spread), *spread_ends(*max(cells), spread)]
            lo = min(ends) if lo is None else lo
            hi = max(ends) if hi is None else hi
        self.min = min(self.min, lo)
        self.max = max(self.max, hi)

    def merge(self, other: Agg) -> None:
        """Add another aggregate of the same metric (gauges: the other one is the newer)."""
        if not other.n:
            return
        self._memo = None
        self.n += other.n
        self.total += other.total
        self.nonzero += other.nonzero
        self.zeros += other.zeros
        self.min = min(self.min, other.min)
        self.max = max(self.max, other.max)
        if other.last is not None:
            self.last = other.last
        for src, dst in ((other.pos, self.pos), (other.neg, self.neg)):
            if src:
                add_counts(dst, src)

    def copy(self) -> Agg:
        """An independent copy."""
        out = Agg(self.kind)
        out.merge(self)
        return out

    # ---- reading -----------------------------------------------------------------------------------
    def percentiles(self, qs: tuple[float, ...]) -> list[float | None]:
        """Values at quantiles 0..1 (increasing), k6's way: linear interpolation at rank q*(n-1).

        Kept until the next change: a frame, its thresholds, rules and the summary read the same ones.
        """
        memo = self._memo
        if memo is not None and (got := memo.get(qs)) is not None:
            return list(got)
        out = self._percentiles(qs)
        if memo is None:
            memo = self._memo = {}
        memo[qs] = out
        return list(out)

    def _percentiles(self, qs: tuple[float, ...]) -> list[float | None]:
        n = self.n
        if self.kind != TREND or n == 0:
            return [None] * len(qs)
        wanted: set[int] = set()
        for q in qs:
            rank = q * (n - 1)
            lo = math.floor(rank)
            wanted.add(lo)
            if rank > lo:
                wanted.add(lo + 1)
        at = self._values_at(sorted(wanted))
        out: list[float | None] = []
        for q in qs:
            rank = q * (n - 1)
            lo = math.floor(rank)
            v = at[lo]
            if rank > lo:
                v += (at[lo + 1] - v) * (rank - lo)
            out.append(v)
        return out

    def _values_at(self, ranks: list[int]) -> dict[int, float]:
        """The values at 0-based ranks: the ends exact, others their bucket's middle (within min..max).

        The buckets' running counts are summed once and each rank found by bisection, so a tick that reads
        every Trend's percentiles costs a sort of its bucket keys, not a pass in Python over its buckets.
        """
        out: dict[int, float] = {}
        inner = []
        for r in ranks:
            if r <= 0:
                out[r] = self.min
            elif r >= self.n - 1:
                out[r] = self.max
            else:
                inner.append(r)
        if not inner:
            return out
        # In value order: negative buckets (largest magnitude first), the zeros, positive buckets.
        neg, pos = sorted(self.neg, reverse=True), sorted(self.pos)
        running = list(
            accumulate([*map(self.neg.__getitem__, neg), self.zeros, *map(self.pos.__getitem__, pos)])
        )
        for r in inner:
            j = bisect_right(running, r)  # the first cell whose running count passes the rank
            if j >= len(running):
                out[r] = self.max
                continue
            v = -_mid(neg[j]) if j < len(neg) else 0.0 if j == len(neg) else _mid(pos[j - len(neg) - 1])
            out[r] = min(max(v, self.min), self.max)
        return out

    def stats(self, duration_s: float | None = None) -> dict[str, float | None]:
        """The figures k6's `--summary-export` gives for this type (Trend adds `count` and `p(99)`).

        Args:
            duration_s: the test's duration so far, for a Counter's per-second `rate`.
        """
        kind, n = self.kind, self.n
        if kind == COUNTER:
            return {"count": self.total, "rate": self.total / duration_s if duration_s else None}
        if kind == GAUGE:
            return {"value": self.last, "min": self.min if n else None, "max": self.max if n else None}
        if kind == RATE:
            return {
                "passes": self.nonzero,
                "fails": n - self.nonzero,
                "value": self.nonzero / n if n else None,
            }
        med, p90, p95, p99 = self.percentiles((0.5, 0.9, 0.95, 0.99))
        return {"count": n, "avg": self.total / n if n else None, "min": self.min if n else None, "med": med,
                "max": self.max if n else None, "p(90)": p90, "p(95)": p95, "p(99)": p99}  # fmt: skip

    def stat(self, name: str, duration_s: float | None = None) -> float | None:
        """One threshold aggregation (`avg`, `p(97.5)`, `count`, `rate`, `value`, ...) as k6 computes it."""
        kind, n = self.kind, self.n
        if kind == TREND and name.startswith("p("):
            return self.percentiles((float(name[2:-1]) / 100.0,))[0]
        if kind == RATE and name == "rate":
            return self.nonzero / n if n else None
        if kind == GAUGE and name == "value":
            return self.last
        return self.stats(duration_s).get(name)

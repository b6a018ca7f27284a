"""Log-bucketed latency histogram: bounded memory, mergeable, percentiles within 0.5 % of the exact value."""

from __future__ import annotations

import collections
import math
from bisect import bisect_right
from collections.abc import Callable, Iterable
from itertools import accumulate, repeat
from operator import add, mul

# Bucket i holds values in [GAMMA**i, GAMMA**(i+1)). The representative value is the geometric middle,
# so any value is reported within sqrt(GAMMA) - 1 = 0.499 % of itself.
GAMMA = 1.01
LOG_GAMMA = math.log(GAMMA)
_INV_LOG_GAMMA = 1.0 / LOG_GAMMA
# Values at or below this (ms) share one bucket; k6 reports 0 for requests that never connected.
FLOOR_MS = 0.001
ZERO_BUCKET = math.floor(math.log(FLOOR_MS) * _INV_LOG_GAMMA) - 1
RELATIVE_ERROR = math.sqrt(GAMMA) - 1.0

# Counter's own C helper: counts each item of an iterable into a plain dict (mapping[i] = mapping.get(i, 0) + 1).
count_into: Callable[[dict[int, int], Iterable[int]], None] = vars(collections)["_count_elements"]


def add_counts(dst: dict[int, int], src: dict[int, int]) -> None:
    """dst += src, bucket by bucket, in C (no Python loop over the buckets)."""
    if not dst:
        dst.update(src)
        return
    keys = src.keys()
    dst.update(zip(keys, map(add, map(dst.get, keys, repeat(0)), src.values()), strict=True))


def share_into(dst: dict[int, int], count: int, start: float, end: float) -> None:
    """Add `count` observations spread evenly over [start, end] (in bucket units) to `dst`.

    Each bucket gets the rounded cumulative share less what the buckets below it got, so the
    shares add up to `count` exactly.
    """
    first, last = math.floor(start), math.floor(end)
    if last == first or end - start <= 1e-9:
        dst[first] = dst.get(first, 0) + count
        return
    per_unit, placed = count / (end - start), 0
    for i in range(first, last):
        upto = round((i + 1 - start) * per_unit)
        if upto > placed:
            dst[i] = dst.get(i, 0) + upto - placed
            placed = upto
    if count > placed:
        dst[last] = dst.get(last, 0) + count - placed


def spread_ends(value: float, count: int, spread: float) -> tuple[float, float]:
    """The outermost of `count` observations spread evenly (in log space) over a bucket around `value`
    that spans (value / spread, value * spread]: the lower first for a positive value."""
    reach = spread ** ((count - 1) / count)
    return value / reach, value * reach


def bucket_of(value: float) -> int:
    """The bucket index of a value in milliseconds."""
    if value <= FLOOR_MS:
        return ZERO_BUCKET
    return math.floor(math.log(value) * _INV_LOG_GAMMA)


def bucket_value(index: int) -> float:
    """The representative value of a bucket (0.0 for the zero bucket)."""
    if index == ZERO_BUCKET:
        return 0.0
    return math.exp((index + 0.5) * LOG_GAMMA)


class Histogram:
    """Counts per log bucket. At most about 2,100 buckets cover 1 µs to 10 minutes."""

    __slots__ = ("count", "counts", "max", "min", "total")

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.count = 0
        self.total = 0.0
        self.min = math.inf
        self.max = -math.inf

    def add_many(self, values: Iterable[float]) -> None:
        """Add raw values (ms). The per-value work runs in C (map, Counter): at k6's full rate this is
        called with tens of thousands of durations a second."""
        vals = values if isinstance(values, list) else list(values)
        if not vals:
            return
        lo, hi = min(vals), max(vals)
        self.count += len(vals)
        self.total += sum(vals)
        self.min = min(self.min, lo)
        self.max = max(self.max, hi)
        if lo <= FLOOR_MS:
            above = [v for v in vals if v > FLOOR_MS]
            zero = len(vals) - len(above)
            self.counts[ZERO_BUCKET] = self.counts.get(ZERO_BUCKET, 0) + zero
            vals = above
        count_into(self.counts, map(math.floor, map(mul, map(math.log, vals), repeat(_INV_LOG_GAMMA))))

    def add_buckets(
        self, buckets: Iterable[tuple[float, int]], spread: float, total: float, zero: int = 0
    ) -> None:
        """Add observations given as a push's buckets: (middle, count) each spanning (middle / spread,
        middle * spread], a count spread evenly over it in log space (see `share_into`); `total` is their
        exact sum, `zero` how many were at zero. No per-observation work: a second of k6's full rate is a
        few dozen buckets."""
        edge = math.log(spread) * _INV_LOG_GAMMA if spread > 1.0 else 0.0
        counts = self.counts
        if zero > 0:
            counts[ZERO_BUCKET] = counts.get(ZERO_BUCKET, 0) + zero
            self.count += zero
            self.min = min(self.min, 0.0)
            self.max = max(self.max, 0.0)
        for v, c in buckets:
            if c <= 0:
                continue
            self.count += c
            if v <= FLOOR_MS:
                counts[ZERO_BUCKET] = counts.get(ZERO_BUCKET, 0) + c
                low = high = max(v, 0.0)
            else:
                at = math.log(v) * _INV_LOG_GAMMA
                if c == 1 or not edge:
                    i = math.floor(at)
                    counts[i] = counts.get(i, 0) + c
                else:
                    share_into(counts, c, at - edge, at + edge)
                low, high = spread_ends(v, c, spread)
            self.min = min(self.min, low)
            self.max = max(self.max, high)
        self.total += total

    def merge(self, other: Histogram) -> None:
        """Add another histogram's counts into this one."""
        add_counts(self.counts, other.counts)
        self.count += other.count
        self.total += other.total
        self.min = min(self.min, other.min)
        self.max = max(self.max, other.max)

    def percentiles(self, qs: Iterable[float]) -> list[float | None]:
        """Values at the given quantiles (0..1), with k6's convention: linear interpolation at rank q*(n-1).

        Args:
            qs: quantiles in increasing order.

        Returns:
            One value per quantile, None when the histogram is empty.
        """
        qs = list(qs)
        if self.count == 0:
            return [None for _ in qs]
        n = self.count
        # The running counts are summed once, in C, and each rank found by bisection: a tick reads the
        # percentiles of every window and endpoint, and a walk in Python over their buckets cost the most.
        keys = sorted(self.counts)
        running = list(accumulate(map(self.counts.__getitem__, keys)))
        last = len(keys) - 1

        def value_at(rank: int) -> float:
            if rank == 0:
                return self.min
            if rank == n - 1:
                return self.max
            ki = min(bisect_right(running, rank), last)  # the first bucket whose running count passes it
            return min(max(bucket_value(keys[ki]), self.min), self.max)

        out: list[float | None] = []
        for q in qs:
            rank = q * (n - 1)
            lo = math.floor(rank)
            v_lo = value_at(lo)
            if lo + 1 <= n - 1 and rank > lo:
                v_lo += (value_at(lo + 1) - v_lo) * (rank - lo)
            out.append(v_lo)
        return out

    @property
    def mean(self) -> float | None:
        """Exact mean of the values added, None when empty."""
        return self.total / self.count if self.count else None

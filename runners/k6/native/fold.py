"""The C reader's sums (Binned) as the metric model's aggregates and the HTTP view's histograms.

Each comes out as the Python fold would make it from the same lines' values (Agg.add, Histogram.add_many):
counts, sums, extremes, the last value and the bucket counts, which the C reader computed the same way.
"""

from __future__ import annotations

from runners.k6.aggregate import Agg
from runners.k6.histogram import ZERO_BUCKET, Histogram
from runners.k6.metric_info import COUNTER, GAUGE, RATE, TREND
from runners.k6.native.scan import Binned


def binned_agg(b: Binned, kind: str) -> Agg:
    """The aggregate Agg(kind).add(values) would hold for these samples."""
    agg = Agg(kind)
    agg.n = b.n
    if kind == RATE:
        agg.nonzero = b.nonzero
        return agg
    if kind == TREND:
        agg.zeros = b.zeros
        if b.zeros == b.n:  # a timing that did not happen: nothing summed, the extremes at zero
            agg.min, agg.max = 0.0, 0.0
            return agg
        agg.pos, agg.neg = b.pos, b.neg
    agg.total = b.total
    if kind == COUNTER:
        return agg
    agg.min, agg.max = b.min, b.max
    if kind == GAUGE:
        agg.last = b.last
    return agg


def view_histogram(b: Binned) -> Histogram:
    """http_req_duration's samples in the HTTP view's histogram, as Histogram.add_many would count them."""
    h = Histogram()
    if not b.n:
        return h
    h.count, h.total = b.n, b.total
    h.min, h.max = b.min, b.max
    h.counts = dict(b.view)
    if b.view_zero:
        h.counts[ZERO_BUCKET] = b.view_zero
    return h

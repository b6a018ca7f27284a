"""Folds k6 per-second buckets into the series, the sliding window and the whole-run totals."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from runners.k6.endpoints import OTHER, EndpointTable, EndpointTally
from runners.k6.histogram import Histogram
from runners.k6.http_buckets import http_buckets
from runners.k6.ingest import RawBatch, SecondBucket
from runners.k6.metric_model import KEEP_S, MetricModel
from runners.k6.push_fold import fold_deltas
from runners.k6.push_metrics import fold_into_model
from runners.k6.push_model import HistDelta, SeriesDelta
from runners.k6.tags import TagCache
from runners.model.frames import LiveStats, Percentiles, SecondPoint, Totals

QUANTILES = (0.5, 0.9, 0.95, 0.99)
# A second is closed this long after it ends: k6 flushes its JSON every 200 ms.
CLOSE_DELAY_S = 0.5
# Seconds kept folded (for the window and late samples); older ones live on only in the totals.
KEEP_FOLDED_S = 120


@dataclass(slots=True)
class FoldedSecond:
    """One second of k6 sample time, folded."""

    t: int
    requests: int = 0
    failed: int = 0
    hist: Histogram = field(default_factory=Histogram)
    iterations: int = 0
    data_sent: float = 0.0
    data_received: float = 0.0
    checks_pass: int = 0
    checks_fail: int = 0
    vus: float | None = None
    vus_max: float | None = None
    endpoints: dict[str, EndpointTally] = field(default_factory=dict)


def _add_counts(
    target: FoldedSecond | K6Stats, b: SecondBucket, requests: int, failed: int, newest: bool
) -> None:
    """Add a bucket's counts to a second or to the run; gauges (VUs) only from the newest second."""
    target.requests += requests
    target.failed += failed
    target.iterations += b.iterations
    target.data_sent += b.data_sent
    target.data_received += b.data_received
    target.checks_pass += b.checks_pass
    target.checks_fail += b.checks_fail
    if newest:
        if b.vus is not None:
            target.vus = b.vus
        if b.vus_max is not None:
            target.vus_max = b.vus_max


def percentiles_of(hist: Histogram) -> Percentiles:
    """p50/p90/p95/p99 and max of a histogram."""
    p50, p90, p95, p99 = hist.percentiles(QUANTILES)
    return Percentiles(p50=p50, p90=p90, p95=p95, p99=p99, max=hist.max if hist.count else None)


class K6Stats:
    """Per-second series, window and totals. Used from one thread (the engine's)."""

    def __init__(
        self, tags: TagCache, window_s: int = 10, series_len: int = 3600, max_endpoints: int = 50
    ) -> None:
        self.tags = tags
        self.model = MetricModel(redact=tags.redact)
        self.table = EndpointTable(max_rows=max_endpoints)
        self.endpoints: dict[str, EndpointTally] = {}  # whole run, by row
        self._absorbs = 0
        self.window_s = window_s
        self.seconds: dict[int, FoldedSecond] = {}
        self.series: deque[SecondPoint] = deque(maxlen=series_len)
        self.run_hist = Histogram()
        self.requests = 0
        self.failed = 0
        self.iterations = 0
        self.data_sent = 0.0
        self.data_received = 0.0
        self.checks_pass = 0
        self.checks_fail = 0
        self.vus: float | None = None
        self.vus_max: float | None = None
        self.first_t: int | None = None
        self.last_t: int | None = None
        self._next_close: int | None = None  # first second not yet emitted to the series
        # Window histograms by end second, until the next absorb: a tick reads the same window for the live
        # numbers, the open second's point and the latency bars.
        self._windows: dict[int, Histogram] = {}

    def absorb(self, batch: RawBatch | dict[int, SecondBucket]) -> None:
        """Fold what the ingest read (K6Ingest.take), or ready per-second tallies, into the seconds, the
        totals and the metric model."""
        self._windows.clear()
        if isinstance(batch, RawBatch):
            self.model.absorb(batch)
            buckets = http_buckets(batch, self.model.second_of)
        else:
            buckets = batch
        for t in sorted(buckets):
            self._absorb_one(buckets[t])
        self.review_endpoints()

    def absorb_push(self, deltas: list[SeriesDelta]) -> None:
        """Fold what a push transport (remote write, OTLP) decoded: into the metric model (every metric
        it carries) and into the seconds and totals (the HTTP view)."""
        fold_into_model(self.model, deltas)
        self.absorb(fold_deltas(deltas))

    def _absorb_one(self, b: SecondBucket) -> None:
        s = self.seconds.get(b.t)
        if s is None:
            s = self.seconds[b.t] = FoldedSecond(b.t)
        # Each duration goes into one histogram (its endpoint's, for this batch); the second's, the run's
        # and the run-level endpoint histograms are then built by merging buckets, not samples.
        batch: dict[str, EndpointTally] = {}
        for raw, values in b.paired.items():
            self._count(batch, raw, values, len(values))
        for raw, n in b.req_only.items():
            self._count(batch, raw, [], n)
        for raw, hists in b.pushed.items():
            self._count(batch, raw, [], sum(h.count for h in hists), hists)
        for raw, parts in b.counted.items():
            for n, hist in parts:
                self._count(batch, raw, [], n, counted=hist)
        # Durations read apart from their request's block (a tag value with braces, say "GET /items/{id}",
        # or lines k6 split) go under the endpoint their own tags name.
        for raw, values in b.dur_only.items():
            self._count(batch, raw, values, 0)
        requests = failed = 0
        for row, tally in batch.items():
            requests += tally.requests
            failed += tally.failed
            s.hist.merge(tally.hist)
            self.run_hist.merge(tally.hist)
            s.endpoints.setdefault(row, EndpointTally()).merge(tally)
            self.endpoints.setdefault(row, EndpointTally()).merge(tally)
        latest = self.last_t is None or b.t >= self.last_t
        for target, newest in ((s, True), (self, latest)):  # the second, then the whole run
            _add_counts(target, b, requests, failed, newest)
        self.first_t = b.t if self.first_t is None else min(self.first_t, b.t)
        self.last_t = b.t if self.last_t is None else max(self.last_t, b.t)

    def _count(self, batch: dict[str, EndpointTally], raw: bytes, values: list[float], n: int,
               pushed: Sequence[HistDelta] = (), counted: Histogram | None = None) -> None:  # fmt: skip
        """Count n requests with these tags (and their durations, as values, a push's histograms or the
        C reader's counted buckets) under their endpoint row."""
        info = self.tags.get(raw)
        if info is None:
            row, status, failed, code = OTHER, "", False, ""
        else:
            row = self.table.row_for(info.endpoint)
            status, failed, code = info.status, info.failed, info.error_code
        tally = batch.get(row)
        if tally is None:
            tally = batch[row] = EndpointTally()
        tally.add(values, n, failed, status, code)
        for h in pushed:
            tally.hist.add_buckets(h.buckets, h.spread, h.total, h.zero)
        if counted is not None:
            tally.hist.merge(counted)

    def review_endpoints(self) -> None:
        """Retire rare rows (every ~10 s of ticks) so busy late-comers can get one."""
        self._absorbs += 1
        if self._absorbs % 20:
            return
        for name in self.table.review(self.endpoints):
            for s in self.seconds.values():
                tally = s.endpoints.pop(name, None)
                if tally is not None:
                    s.endpoints.setdefault(OTHER, EndpointTally()).merge(tally)

    def window_endpoints(self, now: float) -> dict[str, EndpointTally]:
        """Per-endpoint tallies over the sliding window ending now."""
        end = int(now) + 1
        out: dict[str, EndpointTally] = {}
        for t in range(end - self.window_s, end):
            s = self.seconds.get(t)
            if s is None:
                continue
            for name, tally in s.endpoints.items():
                out.setdefault(name, EndpointTally()).merge(tally)
        return out

    def close_until(self, now: float, hold_from: int | None = None) -> list[SecondPoint]:
        """Emit a SecondPoint for every second that ended at least CLOSE_DELAY_S before `now`.

        Args:
            now: The instant (unix seconds).
            hold_from: Seconds from this one on stay open whatever `now` (samples for them may be late).

        Returns:
            The seconds just closed, in time order.
        """
        if self.first_t is None:
            return []
        if self._next_close is None:
            self._next_close = self.first_t
        limit = int(now - CLOSE_DELAY_S) - 1  # last second that may be closed
        if hold_from is not None:
            limit = min(limit, hold_from - 1)
        out: list[SecondPoint] = []
        while self._next_close <= limit:
            out.append(self._point(self._next_close))
            self._next_close += 1
        self.series.extend(out)
        for t in [t for t in self.seconds if t < limit - KEEP_FOLDED_S]:
            del self.seconds[t]
        self.model.prune(limit - KEEP_S)
        return out

    def recent_series(self, n: int) -> tuple[SecondPoint, ...]:
        """The last n closed seconds, oldest first (without copying the whole series)."""
        start = max(0, len(self.series) - n)
        return tuple(itertools.islice(self.series, start, None))

    def open_points(self, now: float) -> list[SecondPoint]:
        """Points for the seconds not yet closed, as they stand now (the record keeps them so a crash
        loses less than a second; closing the second later replaces them)."""
        if self._next_close is None:
            return []
        return [self._point(t) for t in range(self._next_close, int(now) + 1) if t in self.seconds]

    def _point(self, t: int) -> SecondPoint:
        s = self.seconds.get(t) or FoldedSecond(t)
        return SecondPoint(
            t=t,
            requests=s.requests,
            failed=s.failed,
            iterations=s.iterations,
            data_sent=s.data_sent,
            data_received=s.data_received,
            checks_pass=s.checks_pass,
            checks_fail=s.checks_fail,
            vus=s.vus if s.vus is not None else self.vus,
            latency=percentiles_of(s.hist),
            window=percentiles_of(self._window_hist(t + 1)),
        )

    def histograms_of(self, seconds: Iterable[int]) -> list[tuple[int, dict[int, int]]]:
        """The latency histogram counts of these seconds (those that had any)."""
        out = []
        for t in seconds:
            s = self.seconds.get(t)
            if s is not None and s.hist.count:
                out.append((t, dict(s.hist.counts)))
        return out

    def window_hist(self, now: float) -> Histogram:
        """All latencies of the sliding window ending now (current partial second included); read only."""
        return self._window_hist(int(now) + 1)

    def _window_hist(self, end: int) -> Histogram:
        h = self._windows.get(end)
        if h is not None:
            return h
        h = self._windows[end] = Histogram()
        for t in range(end - self.window_s, end):
            s = self.seconds.get(t)
            if s is not None and s.hist.count:
                h.merge(s.hist)
        return h

    def live(self, now: float, window_hist: Histogram | None = None) -> LiveStats:
        """The sliding window ending now. Latency and errors include the current partial second; rates
        use complete seconds only. `window_hist` is `window_hist(now)` when the caller has it already."""
        end = int(now) + 1
        span = [s for t in range(end - self.window_s, end) if (s := self.seconds.get(t)) is not None]
        closed_end = int(now - CLOSE_DELAY_S)
        first = self.first_t if self.first_t is not None else closed_end
        n_full = max(1, min(self.window_s, closed_end - first))
        full = [s for t in range(closed_end - n_full, closed_end) if (s := self.seconds.get(t)) is not None]
        requests = sum(s.requests for s in span)
        failed = sum(s.failed for s in span)
        checks_total = sum(s.checks_pass + s.checks_fail for s in span)
        return LiveStats(
            window_s=self.window_s,
            rps=sum(s.requests for s in full) / n_full,
            error_rate=failed / requests if requests else 0.0,
            latency=percentiles_of(window_hist if window_hist is not None else self._window_hist(end)),
            iterations_per_s=sum(s.iterations for s in full) / n_full,
            data_sent_per_s=sum(s.data_sent for s in full) / n_full,
            data_received_per_s=sum(s.data_received for s in full) / n_full,
            checks_rate=sum(s.checks_pass for s in span) / checks_total if checks_total else None,
            vus=self.vus,
            vus_max=self.vus_max,
        )

    def totals(self) -> Totals:
        """Whole-run totals so far."""
        h = self.run_hist
        return Totals(
            requests=self.requests,
            failed=self.failed,
            iterations=self.iterations,
            data_sent=self.data_sent,
            data_received=self.data_received,
            checks_pass=self.checks_pass,
            checks_fail=self.checks_fail,
            latency=percentiles_of(h),
            latency_avg=h.mean,
            latency_min=h.min if h.count else None,
            first_sample_t=self.first_t,
            last_sample_t=self.last_t,
        )

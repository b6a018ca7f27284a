"""Reads k6's Prometheus remote-write pushes (`-o experimental-prometheus-rw`) into per-series deltas.

k6 aggregates per series (metric and full tag set) and sends cumulative values since the start: counters as
`k6_<name>_total`, rates as the ratio `k6_<name>_rate`, gauges as `k6_<name>`, and, with
K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM=true, trends as native histograms `k6_<name>_seconds|_bytes`
(bucket factor 1.1, i.e. schema 3). Each push holds only the series that changed. This module turns the
cumulative values into what changed since the series' previous push.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from runners.k6 import protowire as pw
from runners.k6.push_model import (
    HistDelta,
    Kind,
    SeriesDelta,
    Tags,
    exp_bucket_spread,
    exp_bucket_value,
    interval_middle,
)
from runners.k6.snappy import decompress

PREFIX = "k6_"
STALE_NAN_BITS = 0x7FF0000000000002  # Prometheus's stale marker


@dataclass(slots=True)
class NativeHist:
    """A decoded native histogram (cumulative, as pushed)."""

    count: int
    total: float
    schema: int
    zero: int
    buckets: dict[int, int]  # Prometheus bucket index -> count
    t_ms: int


@dataclass(slots=True)
class RawSeries:
    """One pushed series: labels, then either float samples or histograms."""

    labels: dict[str, str] = field(default_factory=dict)
    samples: list[tuple[float, int]] = field(default_factory=list)  # (value, timestamp ms)
    histograms: list[NativeHist] = field(default_factory=list)
    stale: bool = False


def _spans_and_deltas(spans: list[tuple[int, int]], deltas: list[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    index = 0
    count = 0
    k = 0
    for n, (offset, length) in enumerate(spans):
        index = offset if n == 0 else index + offset
        for _ in range(length):
            if k >= len(deltas):
                raise pw.WireError("fewer bucket deltas than spans say")
            count += deltas[k]
            k += 1
            out[index] = count
            index += 1
    return out


def _histogram(buf: bytes) -> NativeHist:
    count = zero = schema = t_ms = 0
    total = 0.0
    spans: list[tuple[int, int]] = []
    deltas: list[int] = []
    for number, _wire, value in pw.fields(buf):
        if number == 1:
            count = pw.as_int(value)
        elif number == 2:
            count = round(pw.as_double(value))
        elif number == 3:
            total = pw.as_double(value)
        elif number == 4:
            schema = pw.zigzag(value)
        elif number == 6:
            zero = pw.as_int(value)
        elif number == 7:
            zero = round(pw.as_double(value))
        elif number == 11:
            offset = length = 0
            for f, _w, v in pw.fields(pw.as_bytes(value)):
                if f == 1:
                    offset = pw.zigzag(v)
                elif f == 2:
                    length = pw.as_int(v)
            spans.append((offset, length))
        elif number == 12:
            deltas.extend(pw.zigzag(v) for v in pw.packed_varints(value))
        elif number == 15:
            t_ms = pw.signed64(value)
    return NativeHist(count, total, schema, zero, _spans_and_deltas(spans, deltas), t_ms)


def _series(buf: bytes) -> RawSeries:
    s = RawSeries()
    for number, _wire, value in pw.fields(buf):
        if number == 1:
            name = label = ""
            for f, _w, v in pw.fields(pw.as_bytes(value)):
                if f == 1:
                    name = pw.as_bytes(v).decode("utf-8", "replace")
                elif f == 2:
                    label = pw.as_bytes(v).decode("utf-8", "replace")
            s.labels[name] = label
        elif number == 2:
            bits, t_ms = 0, 0
            for f, _w, v in pw.fields(pw.as_bytes(value)):
                if f == 1:
                    bits = pw.as_int(v)
                elif f == 2:
                    t_ms = pw.signed64(v)
            if bits == STALE_NAN_BITS:
                s.stale = True
            else:
                s.samples.append((pw.as_double(bits), t_ms))
        elif number == 4:
            s.histograms.append(_histogram(pw.as_bytes(value)))
    return s


def decode_write_request(body: bytes) -> list[RawSeries]:
    """Decode one remote-write request body (snappy-compressed protobuf).

    Raises:
        ValueError: when the body is not a valid compressed WriteRequest.
    """
    raw = decompress(body)
    return [_series(pw.as_bytes(v)) for number, _w, v in pw.fields(raw) if number == 1]


def _metric_of(name: str, has_hist: bool) -> tuple[str, Kind, float]:
    """k6's metric name, its kind and the factor back to k6's unit, from a remote-write series name."""
    base = name.removeprefix(PREFIX)
    if has_hist:
        for suffix, factor in (("_seconds", 1000.0), ("_bytes", 1.0)):
            if base.endswith(suffix):
                return base[: -len(suffix)], Kind.TREND, factor
        return base, Kind.TREND, 1.0
    if base.endswith("_total"):
        return base[: -len("_total")], Kind.COUNTER, 1.0
    if base.endswith("_rate"):
        return base[: -len("_rate")], Kind.RATE, 1.0
    return base, Kind.GAUGE, 1.0


class RemoteWriteDecoder:
    """Turns k6's cumulative pushes into deltas, remembering each series' last values."""

    def __init__(self) -> None:
        self._last_value: dict[tuple[str, Tags], float] = {}
        self._last_t: dict[tuple[str, Tags], float] = {}
        self._last_hist: dict[tuple[str, Tags], NativeHist] = {}
        self.start_t: float | None = None

    def deltas(self, series: list[RawSeries], now: float) -> list[SeriesDelta]:
        """The changes these series carry since their previous push.

        Args:
            series: one decoded request.
            now: receipt time (unix s); an interval starts at the series' previous push, or the first
                push's time for a new series.
        """
        out: list[SeriesDelta] = []
        for s in series:
            name = s.labels.pop("__name__", "")
            if not name.startswith(PREFIX) or s.stale:
                continue
            tags: Tags = tuple(sorted(s.labels.items()))
            metric, kind, factor = _metric_of(name, bool(s.histograms))
            key = (metric, tags)
            if s.histograms:
                h = s.histograms[-1]
                t = h.t_ms / 1000 if h.t_ms else now
                hist = self._hist_delta(key, h, factor)
                if hist is not None:
                    contains = "time" if factor != 1.0 else "data" if name.endswith("_bytes") else ""
                    out.append(
                        SeriesDelta(metric, tags, kind, self._middle(key, t), hist=hist, contains=contains)
                    )
                continue
            if not s.samples:
                continue
            value, t_ms = s.samples[-1]
            t = t_ms / 1000 if t_ms else now
            mid = self._middle(key, t)
            if kind is Kind.COUNTER:
                prev = self._last_value.get(key, 0.0)
                self._last_value[key] = value
                if value != prev:
                    out.append(SeriesDelta(metric, tags, kind, mid, value=value - prev))
            elif kind is Kind.RATE:
                out.append(SeriesDelta(metric, tags, kind, mid, value=value, total=-1))
            else:
                out.append(SeriesDelta(metric, tags, kind, t, value=value))
        return out

    def _middle(self, key: tuple[str, Tags], t: float) -> float:
        if self.start_t is None:
            self.start_t = t - 1.0
        prev = self._last_t.get(key, self.start_t)
        self._last_t[key] = t
        return interval_middle(prev, t)

    def _hist_delta(self, key: tuple[str, Tags], h: NativeHist, factor: float) -> HistDelta | None:
        prev = self._last_hist.get(key)
        self._last_hist[key] = h
        if prev is not None and (prev.schema != h.schema or h.count < prev.count):
            prev = None  # a reset: take the whole histogram as new
        count = h.count - (prev.count if prev else 0)
        if count <= 0:
            return None
        old = prev.buckets if prev else {}
        buckets = []
        for index, c in h.buckets.items():
            d = c - old.get(index, 0)
            if d > 0:
                # Prometheus bucket i is (base**(i-1), base**i]: OTLP's index i-1.
                buckets.append((exp_bucket_value(index - 1, h.schema) * factor, d))
        zero = h.zero - (prev.zero if prev else 0)
        total = (h.total - (prev.total if prev else 0.0)) * factor
        return HistDelta(count=count, total=total, buckets=tuple(buckets), zero=max(0, zero),
                         spread=exp_bucket_spread(h.schema))  # fmt: skip

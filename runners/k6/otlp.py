"""Reads k6's OpenTelemetry pushes (`-o experimental-opentelemetry`, OTLP/HTTP protobuf) into deltas.

k6 maps Counter to a monotonic Sum, Gauge to a Gauge, Trend to a Histogram (explicit buckets by default,
exponential when OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION=base2_exponential_bucket_histogram)
and Rate to two counters `<name>.occurred` and `<name>.total`. Every tag is an attribute. Cumulative
points are differenced per series; delta points (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta)
are taken as they are.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass

from runners.k6 import protowire as pw
from runners.k6.push_model import HistDelta, Kind, SeriesDelta, Tags, exp_bucket_spread, exp_bucket_value

DELTA, CUMULATIVE = 1, 2
_OCCURRED, _TOTAL = ".occurred", ".total"


@dataclass(slots=True)
class _Point:
    tags: Tags
    start_ns: int
    t_ns: int
    value: float = 0.0
    hist: HistDelta | None = None
    exp: tuple[int, int, dict[int, int]] | None = None  # scale, zero count, OTLP index -> count
    factor: float = 1.0  # to k6's unit (ms for time)


def _any_value(buf: bytes) -> str:
    for number, _w, v in pw.fields(buf):
        if number == 1:
            return pw.as_bytes(v).decode("utf-8", "replace")
        if number == 2:
            return "true" if pw.as_int(v) else "false"
        if number == 3:
            return str(pw.signed64(v))
        if number == 4:
            return repr(pw.as_double(v))
    return ""


def _attributes(buf: bytes) -> tuple[str, str]:
    key = value = ""
    for number, _w, v in pw.fields(buf):
        if number == 1:
            key = pw.as_bytes(v).decode("utf-8", "replace")
        elif number == 2:
            value = _any_value(pw.as_bytes(v))
    return key, value


def _number_point(buf: bytes) -> _Point:
    tags: list[tuple[str, str]] = []
    p = _Point((), 0, 0)
    for number, _w, v in pw.fields(buf):
        if number == 7:
            tags.append(_attributes(pw.as_bytes(v)))
        elif number == 2:
            p.start_ns = pw.as_int(v)
        elif number == 3:
            p.t_ns = pw.as_int(v)
        elif number == 4:
            p.value = pw.as_double(v)
        elif number == 6:
            p.value = float(pw.signed64(v))
    p.tags = tuple(sorted(tags))
    return p


def _explicit_point(buf: bytes, factor: float) -> _Point:
    tags: list[tuple[str, str]] = []
    p = _Point((), 0, 0)
    count, total = 0, 0.0
    counts: list[int] = []
    bounds: list[float] = []
    lo: float | None = None
    hi: float | None = None
    for number, _w, v in pw.fields(buf):
        if number == 9:
            tags.append(_attributes(pw.as_bytes(v)))
        elif number == 2:
            p.start_ns = pw.as_int(v)
        elif number == 3:
            p.t_ns = pw.as_int(v)
        elif number == 4:
            count = pw.as_int(v)
        elif number == 5:
            total = pw.as_double(v)
        elif number == 6:
            counts.extend(pw.packed_fixed64(v))
        elif number == 7:
            bounds.extend(pw.packed_doubles(v))
        elif number == 11:
            lo = pw.as_double(v)
        elif number == 12:
            hi = pw.as_double(v)
    # Explicit buckets are coarse: each count is placed at its bucket's middle (its bound for the open
    # first and last buckets), clamped to the interval's min and max when known.
    buckets = []
    for i, c in enumerate(counts):
        if not c:
            continue
        low = bounds[i - 1] if i > 0 and i - 1 < len(bounds) else (lo if lo is not None else 0.0)
        high = bounds[i] if i < len(bounds) else (hi if hi is not None else low)
        buckets.append(((low + high) / 2 * factor, c))
    p.tags = tuple(sorted(tags))
    p.hist = HistDelta(count, total * factor, tuple(buckets), 0,
                       lo * factor if lo is not None else None, hi * factor if hi is not None else None)  # fmt: skip
    return p


def _exp_point(buf: bytes, factor: float) -> _Point:
    tags: list[tuple[str, str]] = []
    p = _Point((), 0, 0)
    count = zero = scale = 0
    total = 0.0
    lo: float | None = None
    hi: float | None = None
    buckets: dict[int, int] = {}
    for number, _w, v in pw.fields(buf):
        if number == 1:
            tags.append(_attributes(pw.as_bytes(v)))
        elif number == 2:
            p.start_ns = pw.as_int(v)
        elif number == 3:
            p.t_ns = pw.as_int(v)
        elif number == 4:
            count = pw.as_int(v)
        elif number == 5:
            total = pw.as_double(v)
        elif number == 6:
            scale = pw.zigzag(v)
        elif number == 7:
            zero = pw.as_int(v)
        elif number == 8:
            offset = 0
            counts: list[int] = []
            for f, _w2, v2 in pw.fields(pw.as_bytes(v)):
                if f == 1:
                    offset = pw.zigzag(v2)
                elif f == 2:
                    counts.extend(pw.packed_varints(v2))
            buckets = {offset + i: c for i, c in enumerate(counts) if c}
        elif number == 12:
            lo = pw.as_double(v)
        elif number == 13:
            hi = pw.as_double(v)
    p.tags = tuple(sorted(tags))
    p.exp = (scale, zero, buckets)
    p.factor = factor
    p.hist = HistDelta(count, total * factor, (), zero,
                       lo * factor if lo is not None else None, hi * factor if hi is not None else None)  # fmt: skip
    return p


def _unit_factor(unit: str) -> float:
    return {"s": 1000.0, "us": 0.001, "ns": 1e-6}.get(unit, 1.0)


class OtlpDecoder:
    """Turns OTLP metric pushes into deltas (differencing cumulative points per series)."""

    def __init__(self) -> None:
        self._cumulative: dict[tuple[str, Tags], _Point] = {}

    def decode(self, body: bytes, encoding: str = "") -> list[SeriesDelta]:
        """Decode one ExportMetricsServiceRequest.

        Raises:
            ValueError: when the body is not a valid (optionally gzipped) request.
        """
        if encoding == "gzip":
            body = gzip.decompress(body)
        out: list[SeriesDelta] = []
        for number, _w, rm in pw.fields(body):
            if number != 1:
                continue
            for n2, _w2, sm in pw.fields(pw.as_bytes(rm)):
                if n2 != 2:
                    continue
                for n3, _w3, m in pw.fields(pw.as_bytes(sm)):
                    if n3 == 2:
                        self._metric(pw.as_bytes(m), out)
        return out

    def _metric(self, buf: bytes, out: list[SeriesDelta]) -> None:
        name = unit = ""
        body: tuple[int, bytes] | None = None
        for number, _w, v in pw.fields(buf):
            if number == 1:
                name = pw.as_bytes(v).decode("utf-8", "replace")
            elif number == 3:
                unit = pw.as_bytes(v).decode("utf-8", "replace")
            elif number in (5, 7, 9, 10):
                body = (number, pw.as_bytes(v))
        if body is None:
            return
        kind_no, data = body
        factor = _unit_factor(unit)
        temporality = CUMULATIVE if kind_no == 5 else DELTA
        points: list[_Point] = []
        for number, _w, v in pw.fields(data):
            if number == 1:
                raw = pw.as_bytes(v)
                if kind_no in (5, 7):
                    points.append(_number_point(raw))
                elif kind_no == 9:
                    points.append(_explicit_point(raw, factor))
                else:
                    points.append(_exp_point(raw, factor))
            elif number == 2 and kind_no != 5:
                temporality = pw.as_int(v)
        contains = "time" if unit in ("s", "ms", "us", "ns") else "data" if unit in ("By", "bytes") else ""
        for p in points:
            self._emit(name, kind_no, temporality, p, out, contains)

    def _emit(self, name: str, kind_no: int, temporality: int, p: _Point, out: list[SeriesDelta],
              contains: str = "") -> None:  # fmt: skip
        t = p.t_ns / 1e9
        if kind_no == 5:
            out.append(SeriesDelta(name, p.tags, Kind.GAUGE, t, value=p.value))
            return
        if temporality == CUMULATIVE:
            key = (name, p.tags)
            prev = self._cumulative.get(key)
            self._cumulative[key] = p
            p = _difference(p, prev)
        start = p.start_ns / 1e9 if p.start_ns else t - 1.0
        mid = (start + t) / 2 if 0 < t - start < 5.0 else t - 0.5
        if kind_no == 7:
            if p.value:
                out.append(SeriesDelta(name, p.tags, Kind.COUNTER, mid, value=p.value))
            return
        hist = p.hist
        if hist is None or hist.count <= 0:
            return
        if p.exp is not None:
            scale, _zero, buckets = p.exp
            hist = HistDelta(hist.count, hist.total,
                             tuple((exp_bucket_value(i, scale) * p.factor, c) for i, c in buckets.items()),
                             hist.zero, hist.min, hist.max, exp_bucket_spread(scale))  # fmt: skip
        out.append(SeriesDelta(name, p.tags, Kind.TREND, mid, hist=hist, contains=contains))


def _difference(p: _Point, prev: _Point | None) -> _Point:
    """A cumulative point minus the previous one of its series (the whole point when there is none)."""
    if prev is None:
        return p
    d = _Point(p.tags, prev.t_ns, p.t_ns, p.value - prev.value, factor=p.factor)
    if p.exp is not None and prev.exp is not None and p.hist and prev.hist and p.exp[0] == prev.exp[0]:
        scale, zero, buckets = p.exp
        old = prev.exp[2]
        diff = {i: c - old.get(i, 0) for i, c in buckets.items() if c > old.get(i, 0)}
        d.exp = (scale, zero - prev.exp[1], diff)
        d.hist = HistDelta(
            p.hist.count - prev.hist.count, p.hist.total - prev.hist.total, (), zero - prev.exp[1]
        )
    elif p.hist is not None and prev.hist is not None and p.exp is None:
        old_b = dict(prev.hist.buckets)
        moved = tuple((v, c - old_b.get(v, 0)) for v, c in p.hist.buckets if c > old_b.get(v, 0))
        d.hist = HistDelta(p.hist.count - prev.hist.count, p.hist.total - prev.hist.total, moved)
    else:
        d.hist = p.hist
        d.exp = p.exp
    return d


def rate_parts(name: str) -> tuple[str, bool] | None:
    """For a Rate's counters: (the k6 metric name, True for `.occurred`/False for `.total`); else None."""
    if name.endswith(_OCCURRED):
        return name[: -len(_OCCURRED)], True
    if name.endswith(_TOTAL):
        return name[: -len(_TOTAL)], False
    return None

"""What a k6 push output (remote write, OTLP) hands over: per-series deltas since the previous push."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from enum import Enum

Tags = tuple[tuple[str, str], ...]  # sorted (name, value) pairs, the sample's tags


class Kind(Enum):
    """The k6 metric type a series carries."""

    COUNTER = "counter"
    GAUGE = "gauge"
    RATE = "rate"
    TREND = "trend"


@dataclass(frozen=True, slots=True)
class HistDelta:
    """Observations of one interval, in exponential buckets.

    `buckets` holds (representative value, count) with the value at the bucket's geometric middle,
    already in k6's unit (milliseconds for time metrics); `zero` counts observations at or near 0.
    `spread` says how wide each bucket is: it spans (value / spread, value * spread], so an exponential
    bucket of growth factor `base` has a spread of sqrt(base); 1.0 means the values are points.
    """

    count: int
    total: float
    buckets: tuple[tuple[float, int], ...]
    zero: int = 0
    min: float | None = None
    max: float | None = None
    spread: float = 1.0


@dataclass(frozen=True, slots=True)
class SeriesDelta:
    """One series' change over one push interval.

    COUNTER: `value` is the increase. GAUGE: `value` is the last value. RATE: `value` counts non-zero
    samples and `total` all samples (`total` is -1 when only the cumulative ratio is known, then `value`
    is that ratio). TREND: `hist` holds the interval's observations.
    """

    metric: str
    tags: Tags
    kind: Kind
    t: float  # unix seconds the interval is attributed to (its middle)
    value: float = 0.0
    total: int = 0
    hist: HistDelta | None = None
    contains: str = ""  # what the values are, when the transport says: "time" (ms) or "data" (bytes)


def exp_bucket_value(index: int, scale: int) -> float:
    """The geometric middle of exponential bucket `index` at `scale`, i.e. of (base**index, base**(index+1)].

    OTLP's exponential histograms and Prometheus native histograms share this layout (Prometheus's
    `schema` is OTLP's `scale`; its bucket `index` is OTLP's `index + 1`).
    """
    return float(2.0 ** ((index + 0.5) * 2.0**-scale))


def interval_middle(start: float | None, end: float) -> float:
    """Where growth seen over (start, end] (unix s) is put: the interval's middle, or the half second before
    `end` when the interval is unknown or 5 s or longer (a first push, a pause)."""
    return (start + end) / 2 if start is not None and end - start < 5.0 else end - 0.5


def exp_bucket_spread(scale: int) -> float:
    """How far an exponential bucket at `scale` reaches either side of its middle, as a factor."""
    return float(2.0 ** (0.5 * 2.0**-scale))


@dataclass(slots=True)
class PushInbox:
    """Thread-safe hand-over from a receiver (HTTP thread) to the engine's tick."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    pending: list[SeriesDelta] = field(default_factory=list)
    pushes: int = 0
    bad_pushes: int = 0
    last_error: str = ""
    bytes_in: int = 0
    last_put: float | None = None  # unix time of the newest push
    prev_put: float | None = None  # ... and of the one before

    def put(self, deltas: list[SeriesDelta], size: int) -> None:
        """Add one decoded push."""
        with self.lock:
            self.pending.extend(deltas)
            self.pushes += 1
            self.bytes_in += size
            self.prev_put, self.last_put = self.last_put, time.time()

    def unpushed_span(self, now: float, interval_s: float) -> tuple[float, float] | None:
        """(start, end) unix s of what no push carried, if a push looks missing: from the newest push to
        `now` when none came for `interval_s` or more (k6 stopped before its last export), between the
        last two when the newest came over 1.5 intervals after the one before (k6 cancelled the export in
        flight as it stopped); else None."""
        last, prev = self.last_put, self.prev_put
        if last is None:
            return None
        if now - last >= interval_s:
            return (last, now)
        return (prev, last) if prev is not None and last - prev >= 1.5 * interval_s else None

    def hold_from(self, now: float, hold_s: float, interval_s: float) -> int | None:
        """The first second to keep open while pushes come (within `hold_s`): the newest push's, as the next
        carries what happened since (put at its interval's middle); the one before's when the newest came
        late (what an export k6 dropped carried may be settled there at the end)."""
        last = self.last_put
        if last is None or now - last >= hold_s:
            return None
        gap = self.unpushed_span(last, interval_s)
        return int(gap[0] if gap is not None else last)

    def reject(self, why: str) -> None:
        """Count a push that could not be read."""
        with self.lock:
            self.bad_pushes += 1
            self.last_error = why[:200]

    def take(self) -> list[SeriesDelta]:
        """Every delta received since the last call."""
        with self.lock:
            out, self.pending = self.pending, []
        return out

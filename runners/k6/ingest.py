"""Parses k6's NDJSON sample stream (`--out json`) into per-second buckets, fast enough for k6's full rate.

k6 writes each HTTP request as a run of 8 or 9 consecutive lines sharing one time and tag set, starting with
`http_reqs` and `http_req_duration`. The fast path splits a chunk at each `http_reqs` line and reads the
request, its duration and its tags with a handful of slices; anything that does not have that exact shape
goes through the per-line path, and a line that cannot be read is counted and skipped.
"""

from __future__ import annotations

import calendar
import json
import threading
import time
from dataclasses import dataclass, field

from runners.k6.tags import TagCache

REQS_HEAD = b'{"metric":"http_reqs","type":"Point","data":{"time":"'
_DUR_HEAD = b'{"metric":"http_req_duration","type":"Point","data":{"time":"'
_POINT_MID = b'","type":"Point","data":{"time":"'
_VALUE_MID = b'","value":'
_TAGS_MID = b',"tags":'
_META_MID = b',"metadata":'
_GROUP_TAIL_HEADS = (b'{"metric":"http_req_failed"', b'{"metric":"http_req_receiving"')
_CHECKS_HEAD = b'{"metric":"checks","type":"Point"'
_SENT_HEAD = b'{"metric":"data_sent","type":"Point","data":{"time":"'
_RECV_HEAD = b'{"metric":"data_received","type":"Point","data":{"time":"'
_ITDUR_HEAD = b'{"metric":"iteration_duration","type":"Point"'
_ITER_HEAD = b'{"metric":"iterations","type":"Point","data":{"time":"'
_HTTP_REQS, _HTTP_DURATION, _ITERATIONS, _DATA_SENT, _DATA_RECEIVED, _CHECKS, _VUS, _VUS_MAX = range(8)
_KINDS = {
    b"http_reqs": _HTTP_REQS,
    b"http_req_duration": _HTTP_DURATION,
    b"iterations": _ITERATIONS,
    b"data_sent": _DATA_SENT,
    b"data_received": _DATA_RECEIVED,
    b"checks": _CHECKS,
    b"vus": _VUS,
    b"vus_max": _VUS_MAX,
}


@dataclass(slots=True)
class SecondBucket:
    """Raw tallies for one second of k6 sample time; durations stay raw until folded."""

    t: int
    paired: dict[bytes, list[float]] = field(default_factory=dict)  # request + its duration, by tags
    req_only: dict[bytes, int] = field(default_factory=dict)  # request lines whose duration was not seen
    dur_only: dict[bytes, list[float]] = field(default_factory=dict)  # durations whose request was not seen
    iterations: int = 0
    data_sent: float = 0.0
    data_received: float = 0.0
    checks_pass: int = 0
    checks_fail: int = 0
    vus: float | None = None
    vus_max: float | None = None


@dataclass(frozen=True, slots=True)
class MetricInfo:
    """A metric k6 announced: its type, what its values are and the thresholds the script set on it."""

    name: str
    type: str
    contains: str
    thresholds: tuple[str, ...]


class K6Ingest:
    """Thread-safe sink for k6's JSON output. `feed()` from the reader; `take()` from the engine."""

    def __init__(self, tag_cache: TagCache | None = None) -> None:
        self.lock = threading.Lock()
        self.tags = tag_cache or TagCache()
        self._pending: dict[int, SecondBucket] = {}
        self._rest = b""
        self._sec_cache: dict[bytes, int] = {}
        self.metrics: dict[str, MetricInfo] = {}
        self.lines = 0
        self.parse_errors = 0
        self.last_error_line = b""
        self._last_sec = b""
        self._last_bucket: SecondBucket | None = None

    # ---- input -------------------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        """Take the next bytes of the stream; an incomplete last line waits for the next call."""
        if not data:
            return
        buf = self._rest + data if self._rest else data
        cut = buf.rfind(b"\n")
        if cut < 0:
            self._rest = buf
            if len(buf) > 1 << 20:  # a "line" of a megabyte is garbage, not a line
                self._count_error(buf[:200])
                self._rest = b""
            return
        self._rest = buf[cut + 1 :]
        with self.lock:
            self._chunk(buf[: cut + 1])

    def finish(self) -> None:
        """The stream ended: a last line without a newline is still read."""
        if self._rest:
            rest, self._rest = self._rest, b""
            with self.lock:
                self._chunk(rest + b"\n")

    def take(self) -> dict[int, SecondBucket]:
        """Hand over every bucket filled since the last call (the engine folds them)."""
        with self.lock:
            out, self._pending = self._pending, {}
            self._last_sec, self._last_bucket = b"", None
        return out

    # ---- parsing -----------------------------------------------------------------------------------
    def _bucket(self, sec: bytes) -> SecondBucket | None:
        t = self._sec_cache.get(sec)
        if t is None:
            try:
                t = calendar.timegm(time.strptime(sec.decode("ascii"), "%Y-%m-%dT%H:%M:%S"))
            except (ValueError, UnicodeDecodeError):
                return None
            if len(self._sec_cache) > 4096:
                self._sec_cache.clear()
            self._sec_cache[sec] = t
        b = self._pending.get(t)
        if b is None:
            b = self._pending[t] = SecondBucket(t)
        return b

    def _count_error(self, line: bytes) -> None:
        self.parse_errors += 1
        self.last_error_line = line[:200]

    def _chunk(self, chunk: bytes) -> None:
        pieces = chunk.split(REQS_HEAD)
        self.lines += chunk.count(b"\n")
        if pieces[0]:
            self._lines(pieces[0])
        for p in pieces[1:]:
            if not self._request_group(p):
                self._lines(REQS_HEAD + p)

    def _request_group(self, p: bytes) -> bool:
        """Fast path for one request's lines (and whatever follows them). False means 'not that shape'."""
        e1 = p.find(b"\n")
        t_end = p.find(b'"', 0, 48)
        if e1 < 0 or t_end < 19 or p[e1 - 3 : e1] != b"}}}":
            return False
        ts = p.find(_TAGS_MID, t_end, e1)
        if ts < 0:
            return False
        ts += len(_TAGS_MID)
        meta = p.find(_META_MID, ts, e1)
        tags = p[ts : meta if meta >= 0 else e1 - 2]
        sec = p[:19]
        bucket = self._last_bucket if sec == self._last_sec else self._bucket(sec)
        if bucket is None:
            return False
        self._last_sec, self._last_bucket = sec, bucket
        dur_prefix = _DUR_HEAD + p[:t_end] + _VALUE_MID
        if not p.startswith(dur_prefix, e1 + 1):
            return False
        v0 = e1 + 1 + len(dur_prefix)
        v1 = p.find(b",", v0, v0 + 40)
        try:
            value = float(p[v0:v1])
        except ValueError:
            return False
        last = p.rfind(b"\n", 0, len(p) - 1) + 1
        tail = -1
        if not p.startswith(_GROUP_TAIL_HEADS, last):
            # Something follows the request's lines (checks, iteration metrics, vus); it is short, so
            # search backwards for the group's last line.
            for head in _GROUP_TAIL_HEADS:
                f = p.rfind(head, v1)
                if f >= 0:
                    tail = p.find(b"\n", f) + 1
                    break
            if tail <= 0:
                return False
        lst = bucket.paired.get(tags)
        if lst is None:
            bucket.paired[tags] = [value]
        else:
            lst.append(value)
        if tail > 0 and tail < len(p):
            self._tail(p, tail)
        return True

    def _tail(self, p: bytes, start: int) -> None:
        """Lines after a request: usually checks and one iteration's block (data_sent, data_received,
        iteration_duration, iterations, all sharing one time), read here without the per-line path."""
        while start < len(p) and p.startswith(_CHECKS_HEAD, start):
            end = p.find(b"\n", start) + 1 or len(p)
            self._line(p[start : end - 1])
            start = end
        if p.startswith(_SENT_HEAD, start):
            end = self._iteration_block(p, start)
            if end < 0:
                self._lines(p[start:])
                return
            start = end
        if start < len(p):
            self._lines(p[start:])

    def _iteration_block(self, p: bytes, start: int) -> int:
        """Read data_sent, data_received, iteration_duration and iterations; the end offset or -1."""
        t0 = start + len(_SENT_HEAD)
        te = p.find(b'"', t0, t0 + 40)
        if te < 0:
            return -1
        stamp = p[t0:te]
        v0 = te + len(_VALUE_MID)
        v1 = p.find(b",", v0, v0 + 40)
        e1 = p.find(b"\n", v1) + 1
        recv = _RECV_HEAD + stamp + _VALUE_MID
        if v1 < 0 or e1 <= 0 or not p.startswith(recv, e1):
            return -1
        r0 = e1 + len(recv)
        r1 = p.find(b",", r0, r0 + 40)
        e2 = p.find(b"\n", r1) + 1
        e3 = p.find(b"\n", e2) + 1 if p.startswith(_ITDUR_HEAD, e2) else 0
        if r1 < 0 or e3 <= 0 or not p.startswith(_ITER_HEAD + stamp, e3):
            return -1
        e4 = p.find(b"\n", e3) + 1
        try:
            sent, received = float(p[v0:v1]), float(p[r0:r1])
        except ValueError:
            return -1
        sec = stamp[:19]
        bucket = self._last_bucket if sec == self._last_sec else self._bucket(sec)
        if bucket is None or e4 <= 0 or p[e4 - 4 : e4 - 1] != b"}}}":
            return -1
        self._last_sec, self._last_bucket = sec, bucket
        bucket.data_sent += sent
        bucket.data_received += received
        bucket.iterations += 1
        return e4

    def _lines(self, block: bytes) -> None:
        for line in block.split(b"\n"):
            if line:
                self._line(line)

    def _line(self, line: bytes) -> None:
        if not line.startswith(b'{"metric":"'):
            if line.startswith(b'{"type":"Metric"'):
                self._metric_line(line)
            elif line.strip():
                self._count_error(line)
            return
        e = line.find(b'"', 11)
        kind = _KINDS.get(line[11:e]) if e > 0 else None
        if kind is None:
            # A metric loadwatch does not aggregate: only check that the line is whole.
            if e < 0 or not line.endswith(b"}}"):
                self._count_error(line)
            return
        t0 = e + len(_POINT_MID)
        t1 = line.find(_VALUE_MID, t0, t0 + 48)
        v1 = line.find(_TAGS_MID, t1) if t1 > 0 else -1
        if t1 < 0 or v1 < 0 or not line.startswith(_POINT_MID, e) or not line.endswith(b"}}"):
            self._count_error(line)
            return
        sec = line[t0 : t0 + 19]
        bucket = self._last_bucket if sec == self._last_sec else self._bucket(sec)
        if bucket is None:
            self._count_error(line)
            return
        self._last_sec, self._last_bucket = sec, bucket
        if kind == _ITERATIONS:
            bucket.iterations += 1
            return
        try:
            value = float(line[t1 + len(_VALUE_MID) : v1])
        except ValueError:
            self._count_error(line)
            return
        if kind == _DATA_SENT:
            bucket.data_sent += value
        elif kind == _DATA_RECEIVED:
            bucket.data_received += value
        elif kind == _CHECKS:
            if value:
                bucket.checks_pass += 1
            else:
                bucket.checks_fail += 1
        elif kind == _VUS:
            bucket.vus = value
        elif kind == _VUS_MAX:
            bucket.vus_max = value
        else:
            ts = v1 + len(_TAGS_MID)
            meta = line.find(_META_MID, ts)
            tags = line[ts : meta if meta >= 0 else len(line) - 2]
            if kind == _HTTP_REQS:
                bucket.req_only[tags] = bucket.req_only.get(tags, 0) + 1
            else:
                bucket.dur_only.setdefault(tags, []).append(value)

    def _metric_line(self, line: bytes) -> None:
        try:
            obj = json.loads(line)
            data = obj["data"]
            info = MetricInfo(
                name=str(data["name"]),
                type=str(data["type"]),
                contains=str(data.get("contains", "default")),
                thresholds=tuple(str(t) for t in (data.get("thresholds") or [])),
            )
        except (ValueError, KeyError, TypeError):
            self._count_error(line)
            return
        self.metrics[info.name] = info

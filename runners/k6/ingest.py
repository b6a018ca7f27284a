"""Parses k6's NDJSON sample stream (`--out json`) into raw per-second groups, fast enough for k6's full rate.

Every Point line of every metric is kept. Three C-level regular expressions do the reading: one takes a
whole HTTP request (k6 writes its 8 or 9 lines back to back with one time and one tag set), one takes an
iteration's 4 closing lines, and one takes any other Point line. Python then only files each match under
(metric, second, tags); values stay as bytes until the engine folds them (RawBatch.column parses each once). A line none of
them reads goes through json; one that json cannot read either is counted and skipped.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from runners.k6.histogram import Histogram
from runners.k6.metric_info import GAUGE, MetricInfo, metric_info_of
from runners.k6.native.scan import Binned, NativeScanner, groups_of
from runners.k6.native.scan import load as load_native
from runners.k6.push_model import HistDelta
from runners.k6.tags import TagCache

_SEC = rb"([^\"]{19})"
# A tag set: up to its first closing brace (in an HTTP request's or an iteration's first line), or also
# stopping at a newline (any other line). Without the newline the engine takes its one-character fast path
# (the expression reads k6's stream a tenth faster). A line cut short before its tags end then runs on into
# the next, but a request or an iteration cannot be misread so: its next lines must repeat the same tags.
_TAGS = rb"(\{[^}]*\})"
_LINE_TAGS = rb"(\{[^}\n]*\})"
# A line's end, with or without k6's metadata object. (Alternatives, not an optional group: the engine takes a
# branch far faster than it enters a repeat, and this runs once per line; so does the optional failed line.)
_META = rb'(?:\}\}\n|,"metadata":\{[^}\n]*\}\}\}\n)'
_NUM = rb"([^,]+)"


def _same(metric: bytes, value: bytes, time_ref: bytes, tags_ref: bytes) -> bytes:
    return (rb'\{"metric":"' + metric + rb'","type":"Point","data":\{"time":"' + time_ref + rb'","value":'
            + value + rb',"tags":' + tags_ref + _META)  # fmt: skip


# One regular expression reads a whole chunk in a single pass; each match is one of four alternatives.
# 1) An HTTP request's 8 or 9 lines. Groups 1 time, 2 second, 3 tags, 4-10 the seven timings,
#    11 http_req_failed ("" when k6 did not write it).
HTTP_TIMINGS = ("duration", "blocked", "connecting", "tls_handshaking", "sending", "waiting", "receiving")
_HTTP = (
    rb'\{"metric":"http_reqs","type":"Point","data":\{"time":"(' + _SEC + rb'[^"]*)","value":1,"tags":'
    + _TAGS + _META
    + b"".join(_same(b"http_req_" + m.encode(), _NUM, rb"\1", rb"\3") for m in HTTP_TIMINGS)
    + b"(?:" + _same(b"http_req_failed", b"([01])", rb"\1", rb"\3") + b"|)"
)  # fmt: skip
# 2) An iteration's 4 closing lines. Groups 12 time, 13 second, 14 data_sent, 15 tags, 16 data_received,
#    17 iteration_duration.
_ITER = (
    rb'\{"metric":"data_sent","type":"Point","data":\{"time":"(' + _SEC + rb'[^"]*)","value":' + _NUM
    + rb',"tags":' + _TAGS + _META
    + _same(b"data_received", _NUM, rb"\12", rb"\15")
    + _same(b"iteration_duration", _NUM, rb"\12", rb"\15")
    + _same(b"iterations", b"1", rb"\12", rb"\15")
)  # fmt: skip
# 3) Any other Point line. Groups 18 metric, 19 second, 20 value, 21 tags.
_POINT = (
    rb'\{"metric":"([^"\n]+)","type":"Point","data":\{"time":"' + _SEC + rb'[^"]*","value":' + _NUM
    + rb',"tags":' + _LINE_TAGS + _META
)  # fmt: skip
# 4) Any other line (a Metric line, or one the others cannot read). Group 22.
_LINES = re.compile(b"|".join((_HTTP, _ITER, _POINT, rb"([^\n]*)\n")))
_ONE_POINT = re.compile(_POINT)
_METRIC_HEAD = b'{"type":"Metric"'
SLICE_BYTES = 1 << 16  # the most bytes read by one call of the expression engine
MAX_PENDING_GROUPS = 5_000
"""Distinct (second, tag set) groups read and not yet taken. A run of a distinct URL per request makes one per
sample, and the fold of such groups is slow (a tag set parsed and resolved each): past this many the reader
waits for the engine's next take, so the backlog waits in the pipe and in k6 instead of growing here with
the box's load. A run with few tag sets has a few hundred groups a tick and never waits."""
NATIVE_MAX_GROUPS = 1_000
"""The C reader's (second, tag set) groups between two takes past which the Python reader takes over: the C
reader keeps a sum per metric of each (nine for a request), which a distinct URL per request makes cost more
memory and time than the Python reader's row per request. A run with a few hundred tag sets never gets
near it."""
ROOM_WAIT_S = 1.0
"""The longest the reader waits for a take (an engine that stopped taking must not stop the reading)."""
_TIME = re.compile(rb'"time":"(\d{4}-[^"\n]{15,40})"')

# What the ingest keeps of a request and of an iteration: their values, as k6 wrote them. Taken from the match
# at once (while it is in the cache), and turned into columns once when folded (RawBatch.column).
HttpRow = tuple[bytes, ...]  # the seven timings in HTTP_TIMINGS' order, then http_req_failed's (b"" if none)
IterRow = tuple[bytes, bytes, bytes]  # data_sent, data_received, iteration_duration
HTTP_COLUMNS = range(7)
FAILED_COLUMN = 7
SENT_COLUMN, RECEIVED_COLUMN, ITER_DURATION_COLUMN = 0, 1, 2
# Columns both the metric model and the HTTP view read (a request's duration, an iteration's bytes) are kept
# as numbers for the second reader, and a tag set's rows as columns, but only for tag sets with a few rows:
# with a distinct URL per request the memo cost more memory than parsing one value twice costs time
# (+70 MB at peak for 100,000 URLs).
_SHARED_COLUMNS = frozenset(
    (("http", HTTP_COLUMNS[0]), ("iterations", SENT_COLUMN), ("iterations", RECEIVED_COLUMN))
)
_MEMO_MIN = 4


def to_floats(values: list[bytes], ordered: bool = True) -> list[float]:
    """Sample values as numbers (ValueError when one is not a number).

    Args:
        values: The values as k6 wrote them.
        ordered: Keep their order (a Gauge's last value is its value). Otherwise a column of 0s and 1s
            (a Rate's samples, an unused timing such as TLS handshakes on plain HTTP) is counted, not parsed.
    """
    if not ordered and values and values[0] in (b"0", b"1"):
        ones, zeros = values.count(b"1"), values.count(b"0")
        if ones + zeros == len(values):
            return [1.0] * ones + [0.0] * zeros
    return list(map(float, values))


@dataclass(slots=True)
class SecondBucket:
    """Raw tallies for one second of k6 sample time; durations stay raw until folded."""

    t: int
    paired: dict[bytes, list[float]] = field(default_factory=dict)  # request + its duration, by tags
    req_only: dict[bytes, int] = field(default_factory=dict)  # request lines whose duration was not seen
    dur_only: dict[bytes, list[float]] = field(default_factory=dict)  # durations whose request was not seen
    # A push transport's requests with their durations as histograms (no values), by tags.
    pushed: dict[bytes, list[HistDelta]] = field(default_factory=dict)
    # The C reader's requests (how many) and their durations, counted into the HTTP view's buckets, by tags.
    counted: dict[bytes, list[tuple[int, Histogram]]] = field(default_factory=dict)
    iterations: int = 0
    data_sent: float = 0.0
    data_received: float = 0.0
    checks_pass: int = 0
    checks_fail: int = 0
    vus: float | None = None
    vus_max: float | None = None


@dataclass(slots=True)
class RawBatch:
    """Everything read since the last take, grouped but not yet converted to numbers."""

    http: dict[tuple[bytes, bytes], list[HttpRow]] = field(default_factory=dict)  # (second, tags)
    iterations: dict[tuple[bytes, bytes], list[IterRow]] = field(default_factory=dict)
    points: dict[tuple[bytes, bytes, bytes], list[bytes]] = field(default_factory=dict)  # (metric, s, tags)
    # The stream position of each Gauge point key's latest line (and of metrics not announced yet): a Gauge's
    # value is its last sample, whichever tag set wrote it.
    last_seen: dict[tuple[bytes, bytes, bytes], int] = field(default_factory=dict)
    new_metrics: list[MetricInfo] = field(default_factory=list)
    # What the C reader summed (every Point line it took; the lines above are those it handed back).
    native: list[Binned] = field(default_factory=list)
    first_time: bytes = b""  # RFC 3339 time of the stream's first sample, and of its latest so far
    last_time: bytes = b""
    # Values already turned into numbers: the metric model and the HTTP view read the same ones.
    _numbers: dict[tuple[object, ...], list[float]] = field(default_factory=dict)
    _columns: dict[tuple[str, tuple[bytes, bytes]], list[tuple[bytes, ...]]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.http or self.iterations or self.points or self.new_metrics or self.native)

    def groups(self) -> int:
        """How many (second, tag set) groups it holds: what its size grows with when tag sets are many."""
        return len(self.http) + len(self.iterations) + len(self.points) + groups_of(self.native)

    def column(self, table: str, key: tuple[bytes, bytes], column: int) -> list[float]:
        """One value of every request (or iteration) of one (second, tags), as numbers, parsed once.

        Args:
            table: "http" or "iterations".
            key: (second, tags).
            column: HTTP_COLUMNS, FAILED_COLUMN, SENT_COLUMN... http_req_failed's values are given only where
                k6 wrote the line, 1s first.

        Raises:
            ValueError: A value is not a number.
        """
        memo = (table, key, column)
        got = self._numbers.get(memo)
        if got is None:
            rows: Sequence[tuple[bytes, ...]] = self.http[key] if table == "http" else self.iterations[key]
            columns = self._columns.get((table, key))
            if columns is None:  # one pass over the rows for all their columns
                columns = list(zip(*rows, strict=True))
                if len(rows) >= _MEMO_MIN:
                    self._columns[(table, key)] = columns
            raw = list(columns[column])
            if column == FAILED_COLUMN and table == "http":  # b"" where k6 wrote no http_req_failed line
                raw = [v for v in raw if v]
            got = to_floats(raw, ordered=False)
            if (table, column) in _SHARED_COLUMNS and len(rows) >= _MEMO_MIN:
                self._numbers[memo] = got
        return got

    def point_values(self, key: tuple[bytes, bytes, bytes], ordered: bool) -> list[float]:
        """The values of one (metric, second, tags) of other Point lines, as numbers, parsed once.

        Args:
            key: (metric, second, tags).
            ordered: Keep k6's order (a Gauge's).

        Raises:
            ValueError: A value is not a number.
        """
        memo = (*key, ordered)
        got = self._numbers.get(memo)
        if got is None:
            values = self.points[key]
            got = to_floats(values, ordered)
            if len(values) >= _MEMO_MIN:
                self._numbers[memo] = got
        return got


class K6Ingest:
    """Thread-safe sink for k6's JSON output. `feed()` from the reader; `take()` from the engine."""

    def __init__(self, tag_cache: TagCache | None = None, max_pending_groups: int | None = None,
                 on_wait: Callable[[], None] | None = None, native: bool = True) -> None:  # fmt: skip
        """An empty ingest.

        Args:
            tag_cache: The HTTP view's tag parsing, when shared.
            max_pending_groups: With a reader and an engine on their own threads, the backlog past which
                the reader waits for a take (MAX_PENDING_GROUPS); None never waits (one thread feeds and
                takes).
            on_wait: Called after each such wait: k6's samples are here, only waiting (a stall watch
                must not take the pause for a silent k6).
            native: Read with the C reader when it is built (runners/k6/native); False reads in Python.
        """
        self.on_wait = on_wait
        self.max_pending_groups = max_pending_groups
        self.lock = threading.Lock()
        self._taken = threading.Condition(self.lock)
        self.tags = tag_cache or TagCache()  # the HTTP view's endpoint parsing, shared with K6Stats
        self.room_waits = 0  # times the reader waited for the engine to take a full backlog
        self._batch = RawBatch()
        self._rest = b""
        self.metrics: dict[str, MetricInfo] = {}
        self._ordered: dict[bytes, bool] = {}  # metric -> its points' order is kept (Gauges; True if unknown)
        self._seq = 0
        self.lines = 0
        self.parse_errors = 0
        self.last_error_line = b""
        self.first_time = b""  # RFC 3339 time of the first sample seen, and of the latest
        self.last_time = b""
        lib = load_native() if native else None
        self.native: NativeScanner | None = NativeScanner(lib) if lib is not None else None
        self._native_lines = 0  # lines the C reader took or handed back, counted at each scan
        self._handed_over: list[Binned] = []  # the C reader's sums when the Python reader took over
        self._handed_groups = 0
        self.native_stopped = False  # too many tag sets: the Python reader took over
        # The most bytes read under the lock at once: the C reader lets go of the interpreter and reads
        # four times the expressions' slice in about 0.1 ms.
        self.slice_bytes = SLICE_BYTES if self.native is None else 4 * SLICE_BYTES

    # ---- input -------------------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        """Take the next bytes of the stream; an incomplete last line waits for the next call.

        The chunk is read in place (the expressions take a start and an end), never copied: only a line
        split across two reads is joined.
        """
        if not data:
            return
        cut = data.rfind(b"\n")
        if cut < 0:
            self._rest += data
            if len(self._rest) > 1 << 20:  # a "line" of a megabyte is garbage, not a line
                self._count_error(self._rest[:200])
                self._rest = b""
            return
        start = 0
        if self._rest:
            start = data.find(b"\n") + 1
            with self.lock:
                self._chunk(self._rest + data[:start], 0, len(self._rest) + start, hold=False)
        # In slices of whole lines: the expression engine holds the interpreter lock for a whole call, and
        # one megabyte would keep the engine's tick waiting for tens of milliseconds at every read.
        size = self.slice_bytes
        while start <= cut:
            end = data.rfind(b"\n", start, start + size) + 1 or cut + 1
            with self.lock:
                hold = True
                if self.max_pending_groups is not None and self.pending_groups() >= self.max_pending_groups:
                    self.room_waits += 1
                    # No take within the wait: the slice is read whole (an engine that stopped taking must
                    # not stop the reading).
                    hold = self._taken.wait(ROOM_WAIT_S)
                    if self.on_wait is not None:
                        self.on_wait()
                start = self._chunk(data, start, end, hold)
        self._rest = data[cut + 1 :]

    def finish(self) -> None:
        """The stream ended: a last line without a newline is still read."""
        if self._rest:
            rest, self._rest = self._rest, b""
            with self.lock:
                line = rest + b"\n"
                self._chunk(line, 0, len(line), hold=False)

    def pending_groups(self) -> int:
        """(second, tag set) groups read and not yet taken (the caller holds the lock)."""
        held = self.native.groups() if self.native is not None else 0
        return self._batch.groups() + held + self._handed_groups

    def take(self) -> RawBatch:
        """Hand over everything read since the last call (the engine folds it)."""
        with self.lock:
            out, self._batch = self._batch, RawBatch()
            if self._handed_over:
                out.native, self._handed_over, self._handed_groups = self._handed_over, [], 0
            if self.native is not None:
                out.native += self.native.take()
            out.first_time, out.last_time = self.first_time, self.last_time
            self._taken.notify_all()
        return out

    # ---- parsing -----------------------------------------------------------------------------------
    def _count_error(self, line: bytes) -> None:
        self.parse_errors += 1
        self.last_error_line = line[:200]

    def _chunk(self, chunk: bytes, pos: int, end: int, hold: bool = False) -> int:
        """Read the whole lines of chunk[pos:end]; returns where it stopped: end, unless `hold` and the C
        reader stopped at the backlog's bound (the caller waits for a take and goes on from there)."""
        self._times(chunk, pos, end)
        if self.native is not None:
            return self._native_chunk(chunk, pos, end, hold)
        batch = self._batch
        http, iters, points = batch.http, batch.iterations, batch.points
        ordered, last_seen, seq = self._ordered, batch.last_seen, self._seq
        n_http = n_failed = n_iter = n_point = 0
        other: list[bytes] = []
        for m in _LINES.findall(chunk, pos, end):
            if m[17]:
                n_point += 1
                key = (m[17], m[18], m[20])
                values = points.get(key)
                if values is None:
                    points[key] = [m[19]]
                else:
                    values.append(m[19])
                if ordered.get(m[17], True):
                    last_seen[key] = seq + n_point
            elif m[0]:
                n_http += 1
                if m[10]:
                    n_failed += 1
                key2 = (m[1], m[2])
                row = m[3:11]
                rows = http.get(key2)
                if rows is None:
                    http[key2] = [row]
                else:
                    rows.append(row)
            elif m[11]:
                n_iter += 1
                key2 = (m[12], m[14])
                row3 = (m[13], m[15], m[16])
                rows3 = iters.get(key2)
                if rows3 is None:
                    iters[key2] = [row3]
                else:
                    rows3.append(row3)
            else:
                other.append(m[21])
        self.lines += 8 * n_http + n_failed + 4 * n_iter + n_point + len(other)
        self._seq = seq + n_point
        for line in other:
            self._other_line(line)
        return end

    def _native_chunk(self, chunk: bytes, pos: int, end: int, hold: bool) -> int:
        """The C reader takes the Point lines it can; the rest (Metric lines, odd ones) are read here, in
        order, numbered with its lines (a Gauge's last sample decides its value). It stops where the backlog
        reaches max_pending_groups (the caller waits for a take); past NATIVE_MAX_GROUPS groups held, the
        Python reader takes over for the rest of the run."""
        native = self.native
        assert native is not None
        room, at_bound = NATIVE_MAX_GROUPS, False
        if self.max_pending_groups is not None and hold:
            left = max(0, self.max_pending_groups - self._batch.groups() - self._handed_groups)
            if left < room:
                room, at_bound = left, True
        other, upto = native.scan(chunk, pos, end, room)
        for off, length, seq in other:
            self._seq = seq
            self._other_line(chunk[off : off + length])
        lines = native.lines
        self.lines += lines - self._native_lines
        self._native_lines = lines
        if upto >= end:
            return end
        if at_bound and native.groups() <= NATIVE_MAX_GROUPS:
            return upto  # the backlog's bound: the caller waits for a take
        self._handed_over = native.take()  # the next take() hands these over
        self._handed_groups = groups_of(self._handed_over)
        self.native = None
        native.close()
        self.slice_bytes = SLICE_BYTES
        self._seq = lines  # the C reader numbered every line it saw
        self.native_stopped = True
        return self._chunk(chunk, upto, end)

    def _times(self, chunk: bytes, pos: int, end: int) -> None:
        if not self.first_time:
            m = _TIME.search(chunk, pos, min(end, pos + 600))
            if m is not None:
                self.first_time = m.group(1)
        tail = chunk.rfind(b'"time":"', max(pos, end - 2000), end)
        if tail >= 0:
            m = _TIME.match(chunk, tail, end)
            if m is not None and m.group(1) > self.last_time:
                self.last_time = m.group(1)

    def _other_line(self, line: bytes) -> None:
        if line.startswith(_METRIC_HEAD):
            self._metric_line(line)
            return
        if not line.strip():
            return
        m = _ONE_POINT.fullmatch(line + b"\n")
        if m is not None:
            key_value: tuple[tuple[bytes, bytes, bytes], bytes] | None = (
                (m.group(1), m.group(2), m.group(4)),
                m.group(3),
            )
        else:
            key_value = self._json_point(line)
        if key_value is None:
            self._count_error(line)
            return
        key, value = key_value
        self._batch.points.setdefault(key, []).append(value)
        if self._ordered.get(key[0], True):
            self._seq += 1
            self._batch.last_seen[key] = self._seq

    @staticmethod
    def _json_point(line: bytes) -> tuple[tuple[bytes, bytes, bytes], bytes] | None:
        """A Point line the regular expressions do not read (a tag value holding a brace, say)."""
        try:
            obj = json.loads(line)
            data = obj["data"]
            if obj.get("type") != "Point" or not isinstance(data["tags"], dict):
                return None
            value = float(data["value"])
            tags = json.dumps({str(k): str(v) for k, v in data["tags"].items()}, separators=(",", ":"))
            sec = str(data["time"])[:19].encode()
            return (str(obj["metric"]).encode(), sec, tags.encode()), repr(value).encode()
        except (ValueError, KeyError, TypeError, AttributeError):
            return None

    def _metric_line(self, line: bytes) -> None:
        info = metric_info_of(line)
        if info is None:
            self._count_error(line)
            return
        self.metrics[info.name] = info
        self._ordered[info.name.encode()] = info.type == GAUGE
        self._batch.new_metrics.append(info)

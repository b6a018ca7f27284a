"""The HTTP view's per-second tallies (requests and durations by tag set, iterations, data, checks, VUs),
taken from the ingest's raw groups for the Load tab, the endpoint table and the latency charts."""

from __future__ import annotations

from collections.abc import Callable

from runners.k6.histogram import Histogram
from runners.k6.ingest import HTTP_COLUMNS, RECEIVED_COLUMN, SENT_COLUMN, RawBatch, SecondBucket
from runners.k6.native.fold import view_histogram
from runners.k6.native.scan import Binned

_DURATION = HTTP_COLUMNS[0]
_VUS = (b"vus", b"vus_max")


def http_buckets(batch: RawBatch, second_of: Callable[[bytes], int | None]) -> dict[int, SecondBucket]:
    """Per-second HTTP tallies from one batch (its values as the metric model read them).

    Args:
        batch: what the ingest read.
        second_of: turns a sample's `YYYY-MM-DDTHH:MM:SS` into a unix second (None when unreadable).
    """
    out: dict[int, SecondBucket] = {}

    def bucket(sec: bytes) -> SecondBucket | None:
        t = second_of(sec)
        if t is None:
            return None
        b = out.get(t)
        if b is None:
            b = out[t] = SecondBucket(t)
        return b

    for key in batch.http:
        b = bucket(key[0])
        if b is None:
            continue
        try:
            durations = batch.column("http", key, _DURATION)
        except ValueError:
            continue
        have = b.paired.get(key[1])
        if have is None:
            b.paired[key[1]] = list(durations)  # the batch's list stays as the metric model read it
        else:
            have.extend(durations)
    for key, rows in batch.iterations.items():
        b = bucket(key[0])
        if b is None:
            continue
        try:
            sent, received = (
                batch.column("iterations", key, SENT_COLUMN),
                batch.column("iterations", key, RECEIVED_COLUMN),
            )
        except ValueError:
            continue
        b.iterations += len(rows)
        b.data_sent += sum(sent)
        b.data_received += sum(received)
    for pkey, values in batch.points.items():
        b = bucket(pkey[1])
        if b is None:
            continue
        try:
            _point(b, pkey, values, batch)
        except ValueError:
            continue
    _binned(batch.native, bucket)
    # A second's VUs are its last line's, whichever reader took it.
    vus = [
        (batch.last_seen.get(k, 0), k[0], k[1], float(v[-1])) for k, v in batch.points.items() if k[0] in _VUS
    ]
    vus += [(r.seq, r.metric, r.sec, r.last) for r in batch.native if r.metric in _VUS]
    for _seq, metric, sec, value in sorted(vus):
        b = bucket(sec)
        if b is None:
            continue
        if metric == b"vus":
            b.vus = value
        else:
            b.vus_max = value
    return out


def _binned(native: list[Binned], bucket: Callable[[bytes], SecondBucket | None]) -> None:
    """The C reader's sums: requests with their durations' histogram by tag set, iterations, data and
    checks."""
    requests: dict[tuple[bytes, bytes], int] = {}
    durations: dict[tuple[bytes, bytes], Binned] = {}
    for r in native:
        metric = r.metric
        if metric == b"http_reqs":
            requests[(r.sec, r.tags)] = r.n
            continue
        if metric == b"http_req_duration":
            durations[(r.sec, r.tags)] = r
            continue
        b = bucket(r.sec)
        if b is None:
            continue
        if metric == b"iterations":
            b.iterations += r.n
        elif metric == b"data_sent":
            b.data_sent += r.total
        elif metric == b"data_received":
            b.data_received += r.total
        elif metric == b"checks":
            b.checks_fail += r.zeros
            b.checks_pass += r.n - r.zeros
    for key in requests.keys() | durations.keys():
        b = bucket(key[0])
        if b is None:
            continue
        d = durations.get(key)
        part = (requests.get(key, 0), view_histogram(d) if d is not None else Histogram())
        b.counted.setdefault(key[1], []).append(part)


def _point(b: SecondBucket, pkey: tuple[bytes, bytes, bytes], values: list[bytes], batch: RawBatch) -> None:
    metric, raw = pkey[0], pkey[2]
    if metric == b"http_reqs":
        b.req_only[raw] = b.req_only.get(raw, 0) + len(values)
    elif metric == b"http_req_duration":
        b.dur_only.setdefault(raw, []).extend(batch.point_values(pkey, ordered=False))
    elif metric == b"iterations":
        b.iterations += len(values)
    elif metric == b"data_sent":
        b.data_sent += sum(batch.point_values(pkey, ordered=False))
    elif metric == b"data_received":
        b.data_received += sum(batch.point_values(pkey, ordered=False))
    elif metric == b"checks":
        fails = batch.point_values(pkey, ordered=False).count(0.0)
        b.checks_fail += fails
        b.checks_pass += len(values) - fails

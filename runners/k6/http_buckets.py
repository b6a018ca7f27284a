"""The HTTP view's per-second tallies (requests and durations by tag set, iterations, data, checks, VUs),
taken from the ingest's raw groups for the Load tab, the endpoint table and the latency charts."""

from __future__ import annotations

from collections.abc import Callable

from runners.k6.ingest import HTTP_COLUMNS, RECEIVED_COLUMN, SENT_COLUMN, RawBatch, SecondBucket

_DURATION = HTTP_COLUMNS[0]


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
    return out


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
    elif metric == b"vus":
        b.vus = float(values[-1])
    elif metric == b"vus_max":
        b.vus_max = float(values[-1])

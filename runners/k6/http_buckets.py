"""The HTTP view's per-second tallies (requests and durations by tag set, iterations, data, checks, VUs),
taken from the ingest's raw groups for the Load tab, the endpoint table and the latency charts."""

from __future__ import annotations

from collections.abc import Callable

from runners.k6.ingest import RawBatch, SecondBucket


def http_buckets(batch: RawBatch, second_of: Callable[[bytes], int | None]) -> dict[int, SecondBucket]:
    """Per-second HTTP tallies from one batch.

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

    for (sec, raw), rows in batch.http.items():
        b = bucket(sec)
        if b is not None:
            b.paired.setdefault(raw, []).extend(float(r[0]) for r in rows)
    for (sec, _raw), rows3 in batch.iterations.items():
        b = bucket(sec)
        if b is not None:
            b.iterations += len(rows3)
            b.data_sent += sum(float(r[0]) for r in rows3)
            b.data_received += sum(float(r[1]) for r in rows3)
    for (metric, sec, raw), values in batch.points.items():
        b = bucket(sec)
        if b is None:
            continue
        try:
            _point(b, metric, raw, values)
        except ValueError:
            continue
    return out


def _point(b: SecondBucket, metric: bytes, raw: bytes, values: list[bytes]) -> None:
    if metric == b"http_reqs":
        b.req_only[raw] = b.req_only.get(raw, 0) + len(values)
    elif metric == b"http_req_duration":
        b.dur_only.setdefault(raw, []).extend(map(float, values))
    elif metric == b"iterations":
        b.iterations += len(values)
    elif metric == b"data_sent":
        b.data_sent += sum(map(float, values))
    elif metric == b"data_received":
        b.data_received += sum(map(float, values))
    elif metric == b"checks":
        fails = list(map(float, values)).count(0.0)
        b.checks_fail += fails
        b.checks_pass += len(values) - fails
    elif metric == b"vus":
        b.vus = float(values[-1])
    elif metric == b"vus_max":
        b.vus_max = float(values[-1])

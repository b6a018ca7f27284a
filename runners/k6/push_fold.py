"""Turns push deltas (remote write, OTLP) into the per-second buckets the JSON path fills."""

from __future__ import annotations

import json
from collections.abc import Iterable
from itertools import accumulate, repeat
from operator import mul

from runners.k6.ingest import SecondBucket
from runners.k6.push_model import HistDelta, Kind, SeriesDelta, Tags

_REQS, _DURATION = "http_reqs", "http_req_duration"


def tags_json(tags: Tags) -> bytes:
    """The tag set as k6's JSON output writes it (sorted keys, no spaces), the TagCache's key."""
    return json.dumps(dict(tags), separators=(",", ":"), ensure_ascii=False).encode()


def expand(hist: HistDelta) -> list[float]:
    """One value per observation (zeros for the zero bucket): a bucket's count spread evenly in log space
    across the bucket (a bucket of one at its middle), so the HTTP view's percentiles fall by rank."""
    values = [0.0] * hist.zero
    spread = hist.spread
    for v, c in hist.buckets:
        if c == 1 or spread <= 1.0:
            values += [v] * c
            continue
        step = (spread * spread) ** (1.0 / c)
        values += accumulate(repeat(step, c - 1), mul, initial=v / spread * step**0.5)
    return values


def fold_deltas(deltas: Iterable[SeriesDelta]) -> dict[int, SecondBucket]:
    """Buckets by second from one batch of deltas.

    A request count and its durations are paired when they share a second and a tag set and agree in
    number (k6 pushes both from the same samples); otherwise they go in separately.
    """
    out: dict[int, SecondBucket] = {}
    reqs: dict[tuple[int, Tags], int] = {}
    durs: dict[tuple[int, Tags], list[HistDelta]] = {}
    rate_parts: dict[tuple[int, str, Tags], list[float]] = {}
    for d in deltas:
        sec = int(d.t)
        b = out.get(sec)
        if b is None:
            b = out[sec] = SecondBucket(sec)
        name = d.metric
        if d.kind is Kind.COUNTER:
            if name == _REQS:
                reqs[(sec, d.tags)] = reqs.get((sec, d.tags), 0) + round(d.value)
            elif name == "iterations":
                b.iterations += round(d.value)
            elif name == "data_sent":
                b.data_sent += d.value
            elif name == "data_received":
                b.data_received += d.value
            elif name.endswith((".occurred", ".total")):  # an OTLP Rate's two counters
                base, _, part = name.rpartition(".")
                slot = rate_parts.setdefault((sec, base, d.tags), [0.0, 0.0])
                slot[0 if part == "occurred" else 1] += d.value
        elif d.kind is Kind.TREND and name == _DURATION and d.hist is not None:
            durs.setdefault((sec, d.tags), []).append(d.hist)
        elif d.kind is Kind.GAUGE:
            if name == "vus":
                b.vus = d.value
            elif name == "vus_max":
                b.vus_max = d.value
        elif d.kind is Kind.RATE and name == "checks" and d.total >= 0:
            b.checks_pass += round(d.value)
            b.checks_fail += d.total - round(d.value)
    for (sec, base, _tags), (occurred, total) in rate_parts.items():
        if base == "checks":
            out[sec].checks_pass += round(occurred)
            out[sec].checks_fail += round(total - occurred)
    for key, n in reqs.items():
        sec, tags = key
        raw = tags_json(tags)
        hists = durs.pop(key, None)
        if hists is not None and sum(h.count for h in hists) == n:
            out[sec].pushed.setdefault(raw, []).extend(hists)  # their buckets go in as they are
        else:
            out[sec].req_only[raw] = out[sec].req_only.get(raw, 0) + n
            for h in hists or ():
                out[sec].dur_only.setdefault(raw, []).extend(expand(h))
    for (sec, tags), hists in durs.items():
        for h in hists:
            out[sec].dur_only.setdefault(tags_json(tags), []).extend(expand(h))
    return out

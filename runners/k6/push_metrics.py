"""Folds push deltas (remote write, OTLP) into the metric model: every metric k6 pushes, by tag set.

What a push carries decides what the model gets. Counters and gauges arrive per series and interval; a
Trend as a histogram (each bucket's count spread over it by rank, see Agg.add_buckets; a pushed min and max
are exact, else the extreme buckets stand in); a Rate exactly when it comes as OTLP's `.occurred`/`.total` counters, and not at
all when only its ratio is pushed (remote write: there the checks' counts come from k6's REST API, see
rest_checks.py), except `http_req_failed`, which is always taken from `http_reqs`' own `expected_response`
tag (k6 sets both from the same response check).
"""

from __future__ import annotations

from collections.abc import Iterable

from runners.k6.aggregate import Agg
from runners.k6.metric_info import COUNTER, GAUGE, RATE, TREND, MetricInfo, guess_info
from runners.k6.metric_model import MetricModel
from runners.k6.push_fold import tags_json
from runners.k6.push_model import Kind, SeriesDelta, Tags

_KINDS = {Kind.COUNTER: COUNTER, Kind.GAUGE: GAUGE, Kind.RATE: RATE, Kind.TREND: TREND}
_OCCURRED, _TOTAL = ".occurred", ".total"
_FAILED = "http_req_failed"


def _info(name: str, kind: str, contains: str) -> MetricInfo:
    known = guess_info(name)
    if known.type == kind:
        return known
    return MetricInfo(name, kind, contains or "default")


def fold_into_model(model: MetricModel, deltas: Iterable[SeriesDelta]) -> None:
    """Fold one batch of push deltas into the model.

    Args:
        model: The run's metric model.
        deltas: What the receiver decoded since the last tick.
    """
    rates: dict[tuple[int, str, Tags], list[float]] = {}  # OTLP Rate parts: [occurred, total]
    first = last = None
    for d in deltas:
        t = int(d.t)
        first = d.t if first is None else min(first, d.t)
        last = d.t if last is None else max(last, d.t)
        name = d.metric
        if d.kind is Kind.COUNTER and name.endswith((_OCCURRED, _TOTAL)):
            base, _, part = name.rpartition(".")
            slot = rates.setdefault((t, base, d.tags), [0.0, 0.0])
            slot[0 if part == "occurred" else 1] += d.value
            continue
        if name == _FAILED:
            continue  # taken from http_reqs below, whatever the transport
        kind = _KINDS[d.kind]
        agg = Agg(kind)
        if d.kind is Kind.TREND:
            if d.hist is None:
                continue
            h = d.hist
            agg.add_buckets(h.buckets, h.zero, h.total, h.min, h.max, h.spread)
        elif d.kind is Kind.RATE:
            if d.total < 0:
                continue  # remote write pushes a Rate's ratio only: its counts are unknown
            agg.n, agg.nonzero = d.total, round(d.value)
        else:
            agg.add([d.value])
        if not agg.n and not (d.kind is Kind.RATE and agg.nonzero):
            continue  # (a Rate's passes alone: a settled tail correcting what its pushes split apart)
        model.learn_metric(_info(name, kind, d.contains))
        raw = tags_json(d.tags)
        model.add_aggregate(t, name, raw, agg)
        if name == "http_reqs":
            failed = Agg(RATE)
            failed.n = round(d.value)
            failed.nonzero = failed.n if dict(d.tags).get("expected_response") == "false" else 0
            model.learn_metric(guess_info(_FAILED))
            model.add_aggregate(t, _FAILED, raw, failed)
    for (t, base, tags), (occurred, total) in rates.items():
        if base == _FAILED or (total <= 0 and occurred <= 0):
            continue  # (k6's reader may push a sample's `.occurred` an export after its `.total`)
        agg = Agg(RATE)
        agg.n, agg.nonzero = round(total), round(occurred)
        model.learn_metric(_info(base, RATE, ""))
        model.add_aggregate(t, base, tags_json(tags), agg)
    if first is not None and last is not None:
        model.note_times(first - 0.5, last + 0.5)  # a delta's time is its 1 s interval's middle

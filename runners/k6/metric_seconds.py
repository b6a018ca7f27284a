"""One closed second of every k6 metric series, as the record keeps it (bounded per second).

A series is a metric or one of its slices the metric model keeps per second: the whole metric, each declared
sub-metric (thresholds', rules'), and for Counters, Gauges and Rates each scenario, group and check name (a
Trend's per-second slices are its declared sub-metrics only). Each series is named as k6 names it
(`http_req_duration{scenario:buy}`) and holds its type's figures for that second. At most `cap` series are kept
per second: whole metrics first, then sub-metrics, scenarios, groups and checks; what was left out is counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from runners.k6.aggregate import Agg
from runners.k6.metric_info import COUNTER, GAUGE, RATE
from runners.k6.metric_model import MetricModel, SeriesId
from runners.k6.selectors import selector_name

MAX_SERIES_PER_S = 400
"""Series recorded per second; a mixed script with two scenarios, groups and checks writes about 150."""
_DIM_ORDER = {"scenario": 2, "group": 3, "check": 4}
MAX_DROPPED_NAMES = 20

SecondSeries = dict[str, dict[str, float | None]]


def _round(v: float | None) -> float | None:
    return None if v is None else float(f"{v:.6g}")


def figures(agg: Agg) -> dict[str, float | None]:
    """One second's figures of a series, by type (k6's stat keys)."""
    if agg.kind == COUNTER:
        return {"count": _round(agg.total)}
    if agg.kind == GAUGE:
        return {"value": _round(agg.last), "min": _round(agg.min), "max": _round(agg.max)}
    if agg.kind == RATE:
        return {"passes": agg.nonzero, "fails": agg.n - agg.nonzero}
    med, p90, p95, p99 = agg.percentiles((0.5, 0.9, 0.95, 0.99))
    return {"count": agg.n, "avg": _round(agg.total / agg.n), "min": _round(agg.min), "max": _round(agg.max),
            "med": _round(med), "p(90)": _round(p90), "p(95)": _round(p95), "p(99)": _round(p99)}  # fmt: skip


def _rank(model: MetricModel, sid: SeriesId) -> tuple[int, str, tuple[tuple[str, str], ...]]:
    metric, pairs = sid
    if not pairs:
        return 0, metric, pairs
    if pairs in model.selectors.get(metric, ()):
        return 1, metric, pairs
    return max(_DIM_ORDER.get(k, 5) for k, _ in pairs), metric, pairs


class MetricSeconds:
    """Turns the model's closed seconds into record rows, keeping count of the series left out."""

    def __init__(self, cap: int = MAX_SERIES_PER_S) -> None:
        self.cap = cap
        self.seconds = 0
        self.dropped = 0  # series-seconds left out by the cap
        self.dropped_names: list[str] = []
        self.most = 0  # the most series any second had

    def rows(self, model: MetricModel, seconds: Iterable[int]) -> list[tuple[int, SecondSeries]]:
        """The rows of these seconds (seconds the model has nothing for are skipped).

        Args:
            model: The run's metric model.
            seconds: Closed unix seconds.

        Returns:
            (second, series name -> figures) per second.
        """
        out = []
        for t in seconds:
            second = model.second(t)
            if not second:
                continue
            ids = sorted((sid for sid, agg in second.items() if agg.n), key=lambda sid: _rank(model, sid))
            self.seconds += 1
            self.most = max(self.most, len(ids))
            for sid in ids[self.cap :]:
                self.dropped += 1
                name = selector_name(*sid)
                if len(self.dropped_names) < MAX_DROPPED_NAMES and name not in self.dropped_names:
                    self.dropped_names.append(name)
            out.append((t, {selector_name(m, p): figures(second[(m, p)]) for m, p in ids[: self.cap]}))
        return out

    def meta(self) -> dict[str, Any]:
        """The record's `metric_series` metadata: the cap, and what it left out."""
        return {"cap_per_s": self.cap, "seconds": self.seconds, "most_per_s": self.most,
                "dropped": self.dropped, "dropped_names": list(self.dropped_names)}  # fmt: skip

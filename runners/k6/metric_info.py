"""What k6 says about a metric in its `Metric` lines: type, unit kind, thresholds and sub-metrics."""

from __future__ import annotations

import json
from dataclasses import dataclass

COUNTER, GAUGE, RATE, TREND = "counter", "gauge", "rate", "trend"
TYPES = (COUNTER, GAUGE, RATE, TREND)

# k6's built-in metrics, for a sample whose Metric line was lost (k6 writes it before the first Point).
BUILTIN_TYPES: dict[str, tuple[str, str]] = {
    "http_reqs": (COUNTER, "default"), "http_req_failed": (RATE, "default"),
    "iterations": (COUNTER, "default"), "dropped_iterations": (COUNTER, "default"),
    "data_sent": (COUNTER, "data"), "data_received": (COUNTER, "data"), "checks": (RATE, "default"),
    "vus": (GAUGE, "default"), "vus_max": (GAUGE, "default"),
    "ws_sessions": (COUNTER, "default"), "ws_msgs_sent": (COUNTER, "default"),
    "ws_msgs_received": (COUNTER, "default"), "grpc_streams": (COUNTER, "default"),
    "grpc_streams_msgs_sent": (COUNTER, "default"), "grpc_streams_msgs_received": (COUNTER, "default"),
}  # fmt: skip
_TIME_TRENDS = ("http_req_", "iteration_duration", "group_duration", "ws_", "grpc_req_duration",
                "browser_")  # fmt: skip


@dataclass(frozen=True, slots=True)
class MetricInfo:
    """A metric k6 announced: its type, what its values are, its thresholds and sub-metrics."""

    name: str
    type: str  # counter | gauge | rate | trend
    contains: str  # default | time (ms) | data (bytes)
    thresholds: tuple[str, ...] = ()
    submetrics: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()  # (name, tag pairs)


def guess_info(name: str) -> MetricInfo:
    """A metric's description when k6's Metric line was not seen (built-ins known, else a counter)."""
    known = BUILTIN_TYPES.get(name)
    if known is not None:
        return MetricInfo(name, known[0], known[1])
    if name.startswith(_TIME_TRENDS):
        return MetricInfo(name, TREND, "time")
    return MetricInfo(name, COUNTER, "default")


def _threshold_source(item: object) -> str:
    """A threshold's expression: k6 lists `{"threshold": "rate<=0.05", "abortOnFail": true}` as an object."""
    if isinstance(item, dict):
        return str(item.get("threshold", ""))
    return str(item)


def metric_info_of(line: bytes) -> MetricInfo | None:
    """Parse one `{"type":"Metric",...}` line; None when it is not one."""
    try:
        data = json.loads(line)["data"]
        kind = str(data["type"])
        if kind not in TYPES:
            return None
        subs = []
        for sub in data.get("submetrics") or []:
            tags = tuple(sorted((str(k), str(v)) for k, v in (sub.get("tags") or {}).items()))
            subs.append((str(sub["name"]), tags))
        return MetricInfo(
            name=str(data["name"]),
            type=kind,
            contains=str(data.get("contains") or "default"),
            thresholds=tuple(_threshold_source(t) for t in (data.get("thresholds") or [])),
            submetrics=tuple(subs),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None

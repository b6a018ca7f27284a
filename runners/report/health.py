"""Source health in the report: each gauge's faults (down, slow, invalid, no data) as spans and a log."""

from __future__ import annotations

from typing import Any

from runners.record.schema import EventKind
from runners.report.run_data import ReportData

FAULTS = frozenset({"down", "slow", "invalid", "no_data"})
_WHAT = {"down": "down", "slow": "slow", "invalid": "invalid query", "no_data": "no data"}


def _el(data: ReportData, t: Any) -> float:
    return round(float(t) - data.t0, 3) if isinstance(t, int | float) else 0.0


def fault_spans(data: ReportData) -> list[dict[str, Any]]:
    """Stretches of the run each gauge spent in a fault, from the `source_health` events.

    Returns:
        Dicts: gauge, state, reason, start_s, end_s (the run's end for a fault still open), source.
    """
    end = round(data.t_end - data.t0, 3)
    open_: dict[str, dict[str, Any]] = {}
    spans: list[dict[str, Any]] = []
    for e in data.events_of(EventKind.SOURCE_HEALTH):
        at = min(max(_el(data, e.t), 0.0), end)
        state = str(e.get("state") or "")
        for gauge in e.get("gauges") or []:
            span = open_.pop(str(gauge), None)
            if span is not None:
                span["end_s"] = max(at, span["start_s"])
                spans.append(span)
            if state in FAULTS:
                open_[str(gauge)] = {
                    "gauge": str(gauge),
                    "state": state,
                    "reason": str(e.get("reason") or ""),
                    "source": str(e.get("source") or ""),
                    "start_s": at,
                    "end_s": end,
                }
    spans.extend(open_.values())
    return sorted(spans, key=lambda s: (s["start_s"], s["gauge"]))


def health_log(data: ReportData) -> list[dict[str, Any]]:
    """Every source health change of the run, in time order (elapsed seconds and the recorded text)."""
    return [
        {
            "elapsed_s": _el(data, e.t),
            "state": e.get("state"),
            "gauges": list(e.get("gauges") or []),
            "text": str(e.get("text") or ""),
        }
        for e in data.events_of(EventKind.SOURCE_HEALTH)
    ]


def fault_text(spans: list[dict[str, Any]]) -> str:
    """`down (connection refused) 40 s from 0:12; slow 6 s from 1:02` for one gauge's spans."""
    parts = []
    for s in spans[:4]:
        length = max(0.0, s["end_s"] - s["start_s"])
        minutes, seconds = divmod(int(s["start_s"]), 60)
        reason = f" ({s['reason']})" if s["reason"] else ""
        parts.append(
            f"{_WHAT.get(s['state'], s['state'])}{reason} {length:.0f} s from {minutes}:{seconds:02d}"
        )
    if len(spans) > 4:
        parts.append(f"{len(spans) - 4} more")
    return "; ".join(parts)


def sources_section_data(data: ReportData) -> dict[str, Any]:
    """The report's `sources` key: where the gauges came from, each fault span and the health log."""
    found = data.meta.get("gauges")
    meta: dict[str, Any] = found if isinstance(found, dict) else {}
    return {
        "source": meta.get("source"),
        "url": meta.get("url"),
        "targets": meta.get("targets") or [],
        "interval_s": meta.get("interval_s"),
        "gauges": [g.get("name") for g in meta.get("gauges") or [] if isinstance(g, dict)],
        "faults": fault_spans(data),
        "log": health_log(data),
    }

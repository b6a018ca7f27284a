"""The report's event sections: breaches and their spans, the breach log, marks, capacity ceiling, generator."""

from __future__ import annotations

from typing import Any

from runners.record.schema import EventKind, EventRow
from runners.report.run_data import ReportData

OPENING = frozenset({"firing", "escalated", "deescalated"})
CLOSING = frozenset({"resolved", "cancelled"})


def _el(data: ReportData, t: Any) -> float | None:
    """Seconds since the run started, for a wall time (None stays None)."""
    return None if not isinstance(t, int | float) else round(float(t) - data.t0, 3)


def _transition(e: EventRow) -> str:
    return e.transition


def breach_log(data: ReportData) -> list[dict[str, Any]]:
    """Every recorded rule transition (pending, firing, escalated, resolved...), in time order."""
    rows = []
    for e in data.events_of(EventKind.BREACH):
        rows.append(
            {
                "elapsed_s": _el(data, e.t),
                "rule": e.get("rule"),
                "metric": e.get("metric") or e.get("path"),
                "transition": _transition(e),
                "level": e.get("level"),
                "value": e.get("value"),
                "threshold": e.get("threshold"),
                "message": e.get("message", ""),
            }
        )
    return rows


def breach_spans(data: ReportData) -> list[dict[str, Any]]:
    """Stretches of time each rule fired on each metric, split where its level changed.

    A span runs from firing (or escalation) to the next change or the end; a breach still firing when the
    run ended runs to the end. Times are clamped to the run, since a rule resolves on the closing tick.
    """
    end = round(data.t_end - data.t0, 3)
    open_: dict[tuple[str, str], dict[str, Any]] = {}
    spans: list[dict[str, Any]] = []
    for e in data.events_of(EventKind.BREACH):
        key = (str(e.get("rule")), str(e.get("metric") or e.get("path")))
        kind = _transition(e)
        at = min(_el(data, e.t) or 0.0, end)
        if kind in OPENING or kind in CLOSING:
            span = open_.pop(key, None)
            if span is not None:
                span["end_s"] = max(at, span["start_s"])
                spans.append(span)
        if kind in OPENING and e.get("level") in ("warning", "critical"):
            open_[key] = {
                "rule": key[0],
                "metric": key[1],
                "level": e.get("level"),
                "start_s": at,
                "end_s": end,
            }
    spans.extend(open_.values())
    if not spans and data.summary:  # transitions not recorded: fall back to the summary's breaches
        for b in data.summary.get("breaches") or []:
            start = _el(data, b.get("start")) or 0.0
            stop = _el(data, b.get("end"))
            spans.append(
                {
                    "rule": b.get("rule"),
                    "metric": b.get("metric"),
                    "level": b.get("level"),
                    "start_s": start,
                    "end_s": min(end, stop if stop is not None else end),
                }
            )
    return sorted(spans, key=lambda s: (s["start_s"], str(s["rule"])))


def breaches(data: ReportData) -> list[dict[str, Any]]:
    """One row per breach (rule firing on one metric): level reached, start, end, duration, worst value."""
    if data.summary and data.summary.get("breaches") is not None:
        rows = []
        for b in data.summary["breaches"]:
            run_end = round(data.t_end - data.t0, 3)
            start, stop = _el(data, b.get("start")), _el(data, b.get("end"))
            start = None if start is None else min(start, run_end)
            stop = (
                None if stop is None else max(min(stop, run_end), start or 0.0)
            )  # never a negative duration
            end = stop if stop is not None else run_end
            rows.append(
                {
                    "rule": b.get("rule"),
                    "metric": b.get("metric"),
                    "level": b.get("level"),
                    "start_s": start,
                    "end_s": stop,
                    "duration_s": None if start is None else round(end - start, 3),
                    "worst": b.get("worst"),
                    "threshold": b.get("threshold"),
                    "op": b.get("op"),
                    "fires": b.get("fires") or 1,
                }
            )
        return rows
    merged: dict[tuple[str, str], dict[str, Any]] = {}  # no summary (a crashed run): rebuild from spans
    for s in breach_spans(data):
        key = (str(s["rule"]), str(s["metric"]))
        row = merged.setdefault(
            key,
            {
                "rule": s["rule"],
                "metric": s["metric"],
                "level": s["level"],
                "start_s": s["start_s"],
                "end_s": s["end_s"],
                "worst": None,
                "threshold": None,
                "op": None,
            },
        )
        row["end_s"] = s["end_s"]
        if s["level"] == "critical":
            row["level"] = "critical"
    for e in data.events_of(EventKind.BREACH):
        found = merged.get((str(e.get("rule")), str(e.get("metric") or e.get("path"))))
        if found is not None and isinstance(e.get("worst"), int | float):
            found["worst"] = e.get("worst")
            found["threshold"] = e.get("threshold") if found["threshold"] is None else found["threshold"]
    for row in merged.values():
        row["duration_s"] = round(row["end_s"] - row["start_s"], 3)
    return sorted(merged.values(), key=lambda r: r["start_s"])


def marks(data: ReportData) -> list[dict[str, Any]]:
    """The marks typed during the run, with their notes."""
    out = []
    for i, e in enumerate(data.events_of(EventKind.MARK), start=1):
        elapsed = e.get("elapsed_s")
        out.append(
            {
                "n": i,
                "elapsed_s": round(float(elapsed), 3) if isinstance(elapsed, int | float) else _el(data, e.t),
                "note": str(e.get("note", "")),
                "by": str(e.get("by", "user")),
            }
        )
    return out


def capacity_ceiling(data: ReportData) -> dict[str, Any] | None:
    """The load level at the first critical breach, None when no critical rule fired."""
    found = (data.summary or {}).get("capacity_ceiling")
    if not found:
        events = data.events_of(EventKind.CAPACITY_CEILING)
        found = dict(events[0].data) if events else None
    if not found:
        return None
    keys = ("rule", "metric", "value", "threshold", "vus", "rps", "elapsed_s", "planned_s", "stage",
            "fired_elapsed_s", "fired_vus", "fired_rps")  # fmt: skip
    return {k: found.get(k) for k in keys}


def generator(data: ReportData) -> dict[str, Any]:
    """The load generator's health: its peaks, the seconds it was saturated, and the warnings it raised."""
    g = dict((data.summary or {}).get("generator") or {})
    episodes = [
        {
            "elapsed_s": _el(data, e.t),
            "state": e.kind.value.removeprefix("generator_"),
            "warning": e.get("warning") or "",
            "box_cpu_pct": e.get("box_cpu_pct"),
            "k6_cpu_pct": e.get("k6_cpu_pct"),
        }
        for e in data.events
        if e.kind in (EventKind.GENERATOR_SATURATED, EventKind.GENERATOR_RECOVERED)
    ]
    saturated_s = g.get("saturated_s") or 0.0
    saturated = saturated_s > 0 or any(x["state"] == "saturated" for x in episodes)
    warning = g.get("warning") or next((x["warning"] for x in episodes if x["warning"]), "")
    return {**g, "saturated": saturated, "warning": warning, "episodes": episodes, "recorded": bool(g)}

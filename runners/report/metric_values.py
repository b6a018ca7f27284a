"""What the record says a `metric.` or `check.` rule's value was, second by second (its metric series).

Counts, rates and ratios are over the run's window ending at each second, as the rule saw them; a Trend's
percentiles, avg, min and max are each second's own (the record keeps figures, not samples, per second), and
only the recorded p50, p90, p95 and p99 can be judged.
"""

from __future__ import annotations

import difflib
from fnmatch import fnmatchcase

from runners.model.metric_paths import MetricPath, parse_metric_path
from runners.record.schema import MetricSecondRow
from runners.report.run_data import ReportData

_TREND_KEYS = {"p(50)": "med", "p(90)": "p(90)", "p(95)": "p(95)", "p(99)": "p(99)", "med": "med", "avg": "avg",
               "min": "min", "max": "max"}  # fmt: skip


def _windowed(rows: tuple[MetricSecondRow, ...], i: int, window: int, name: str) -> tuple[float, float, int]:
    """(sum of counts or passes, sum of fails, seconds) over the window ending at second i."""
    first = rows[i].t - window + 1
    a = b = 0.0
    n = 0
    for row in rows[max(0, i - window + 1) : i + 1]:
        if row.t < first:
            continue
        n += 1
        stats = row.series.get(name) or {}
        a += stats.get("count") or stats.get("passes") or 0.0
        b += stats.get("fails") or 0.0
    return a, b, max(1, n)


def _kind(rows: tuple[MetricSecondRow, ...], name: str) -> str | None:
    for row in rows:
        stats = row.series.get(name)
        if stats:
            return (
                "trend"
                if "avg" in stats
                else "rate"
                if "passes" in stats
                else "gauge"
                if "value" in stats
                else "counter"
            )
    return None


def _values(data: ReportData, path: MetricPath) -> list[float]:
    rows, window = data.metric_seconds, data.meta.window_s
    name = f"checks{{check:{path.check}}}" if path.source == "check" else path.selector
    kind = "rate" if path.source == "check" else _kind(rows, name)
    stat = path.stat
    if kind is None or not path.applies_to(kind):
        return []
    out: list[float] = []
    for i, row in enumerate(rows):
        stats = row.series.get(name) or {}
        v: float | None
        if stat in ("count", "rate") and kind in ("trend", "counter"):
            total, _, secs = _windowed(rows, i, window, name)
            v = total if stat == "count" else total / secs
        elif kind == "trend":
            v = stats.get(_TREND_KEYS.get(stat, ""))
        elif kind == "gauge":
            v = stats.get(stat)
        else:
            a, b, _ = _windowed(rows, i, window, name)
            share = a / (a + b) if a + b else None
            v = None if share is None else {"rate": share, "value": share, "pass_pct": 100 * share,
                                            "fail_pct": 100 * (1 - share), "passes": a, "fails": b,
                                            "count": a + b}.get(stat)  # fmt: skip
        if v is not None:
            out.append(float(v))
    return out


def metric_rule_values(data: ReportData, metric: str) -> dict[str, list[float]]:
    """Path -> per-second values of a `metric.` or `check.` rule (a check glob: one path per check name)."""
    try:
        path = parse_metric_path(metric)
    except ValueError:
        return {}
    if path.source == "check" and any(c in path.check for c in "*?["):
        names = {n[len("checks{check:") : -1] for r in data.metric_seconds for n in r.series
                 if n.startswith("checks{check:") and "," not in n}  # fmt: skip
        out = {}
        for name in sorted(names):
            if fnmatchcase(name, path.check):
                values = _values(data, MetricPath("check", "checks", (), path.stat, name))
                if values:
                    out[f"check.{name}.{path.stat}"] = values
        return out
    values = _values(data, path)
    return {metric: values} if values else {}


def metric_unit(data: ReportData, metric: str) -> str:
    """The unit of a `metric.` or `check.` rule's value: % for percentages, ms for a time Trend's figures."""
    try:
        path = parse_metric_path(metric)
    except ValueError:
        return ""
    if path.stat.endswith("_pct"):
        return "%"
    timed = data.view is not None and any(
        m.name == path.metric and m.contains == "time" for m in data.view.metrics
    )
    return "ms" if timed and path.source == "metric" and path.stat not in ("count", "rate") else ""


def missing_metric_reason(data: ReportData, metric: str) -> str:
    """Why a `metric.` or `check.` rule has no recorded values, with the close names k6 did emit."""
    try:
        path = parse_metric_path(metric)
    except ValueError as exc:
        return str(exc)
    names = {n for r in data.metric_seconds for n in r.series}
    if path.source == "check":
        checks = sorted(
            {n[len("checks{check:") : -1] for n in names if n.startswith("checks{check:") and "," not in n}
        )
        close = difflib.get_close_matches(path.check, checks, n=3, cutoff=0.5)
        text = f"k6 never emitted a check named {path.check!r}"
    else:
        bases = sorted({n.split("{", 1)[0] for n in names})
        if path.metric in bases:
            return f"{path.selector} has no recorded {path.stat} (a stat its type lacks, or a slice never sampled)"
        close = difflib.get_close_matches(path.metric, bases, n=3, cutoff=0.5)
        text = f"k6 never emitted the metric {path.metric!r}"
    return text + (f"; close names it did emit: {', '.join(close)}" if close else "")

"""Charts over time of the script's own metrics, its checks and its scenarios, from the record's metric series."""

from __future__ import annotations

from typing import Any

from runners.k6.metrics_view import section_of
from runners.model.frames import MetricsView
from runners.model.metric_paths import K6_BUILTINS
from runners.report.run_data import ReportData

MAX_CUSTOM_CHARTS = 12
MAX_LINES = 6  # the palette's colours
Point = list[float | None]


def _series_names(data: ReportData) -> list[str]:
    seen: dict[str, None] = {}
    for row in data.metric_seconds:
        seen.update(dict.fromkeys(row.series))
    return list(seen)


def _line(data: ReportData, label: str, value: Any) -> dict[str, Any]:
    """One line: x is the second's end since the run started; a second without the series is a gap."""
    points: list[Point] = []
    for row in data.metric_seconds:
        v = value(row)
        points.append([round(row.t + 1 - data.t0, 3), None if v is None else round(float(v), 6)])
    return {"label": label, "points": points}


def _chart(
    cid: str, title: str, unit: str, patterns: list[str], lines: list[dict[str, Any]]
) -> dict[str, Any]:
    return {"id": cid, "title": title, "unit": unit, "patterns": patterns, "lines": lines, "spans": []}


def _kind(data: ReportData, name: str, view: MetricsView | None) -> tuple[str, str]:
    """(type, contains) of a metric: from the Metrics view, else from its recorded figures."""
    if view is not None:
        for m in view.metrics:
            if m.name == name:
                return m.type, m.contains
    for row in data.metric_seconds:
        stats = row.series.get(name)
        if stats:
            if "passes" in stats:
                return "rate", "default"
            if "avg" in stats:
                return "trend", "default"
            return ("gauge" if "value" in stats else "counter"), "default"
    return "counter", "default"


def _pct(stats: Any) -> float | None:
    if not stats:
        return None
    n = (stats.get("passes") or 0) + (stats.get("fails") or 0)
    return 100.0 * (stats.get("passes") or 0) / n if n else None


def _custom_chart(data: ReportData, name: str) -> dict[str, Any]:
    kind, contains = _kind(data, name, data.view)
    pattern = [f"metric.{name}.*", f"metric.{name}{{*"]
    cid = f"metric-{name}"
    if kind == "trend":
        lines = [_line(data, q, lambda r, k=k: r.value(name, k)) for q, k in
                 (("p50", "med"), ("p95", "p(95)"), ("p99", "p(99)"))]  # fmt: skip
        unit = "ms" if contains == "time" else ""
        return _chart(cid, f"{name} (Trend) p50 / p95 / p99 per second", unit, pattern, lines)
    if kind == "counter":
        line = _line(data, f"{name}/s", lambda r: r.value(name, "count") or 0.0)
        return _chart(cid, f"{name} (Counter) per second", "/s", pattern, [line])
    if kind == "rate":
        line = _line(data, f"{name} %", lambda r: _pct(r.series.get(name)))
        return _chart(cid, f"{name} (Rate) % non-zero per second", "%", pattern, [line])
    lines = [_line(data, "last", lambda r: r.value(name, "value")),
             _line(data, "max", lambda r: r.value(name, "max"))]  # fmt: skip
    return _chart(cid, f"{name} (Gauge) per second", "", pattern, lines)


def custom_charts(data: ReportData) -> list[dict[str, Any]]:
    """One chart per custom metric (whole metric): a Trend's p50/p95/p99, a Counter per second, a Rate's
    share of non-zero values in %, a Gauge's last and highest value."""
    names = [
        n for n in _series_names(data) if "{" not in n and section_of(n) == "CUSTOM" and n not in K6_BUILTINS
    ]
    return [_custom_chart(data, name) for name in sorted(names)[:MAX_CUSTOM_CHARTS]]


def _slices(data: ReportData, metric: str, tag: str) -> list[str]:
    head = f"{metric}{{{tag}:"
    return sorted({n[len(head) : -1] for n in _series_names(data) if n.startswith(head) and "," not in n})


def check_chart(data: ReportData) -> list[dict[str, Any]]:
    """Failed % per second of each check by name (the checks failing most first, at most six)."""
    names = _slices(data, "checks", "check")
    if not names:
        return []

    def fails(name: str) -> float:
        return sum(r.value(f"checks{{check:{name}}}", "fails") or 0.0 for r in data.metric_seconds)

    names.sort(key=lambda n: (-fails(n), n))
    lines = [_line(data, n, lambda r, n=n: None if (p := _pct(r.series.get(f"checks{{check:{n}}}"))) is None
                   else 100.0 - p) for n in names[:MAX_LINES]]  # fmt: skip
    title = "Checks: failed % per second by check" + (
        f" (6 of {len(names)})" if len(names) > MAX_LINES else ""
    )
    return [_chart("checks-by-name", title, "%", ["check.*", "k6.checks_pct"], lines)]


def scenario_charts(data: ReportData) -> list[dict[str, Any]]:
    """Iterations per second by scenario, and dropped iterations per second when any were dropped."""
    names = _slices(data, "iterations", "scenario")
    out = []
    if names:
        lines = [_line(data, n, lambda r, n=n: r.value(f"iterations{{scenario:{n}}}", "count") or 0.0)
                 for n in names[:MAX_LINES]]  # fmt: skip
        out.append(_chart("scenarios-iterations", "Iterations per second by scenario", "/s",
                          ["k6.iterations_per_s", "metric.iterations*"], lines))  # fmt: skip
    dropped = _slices(data, "dropped_iterations", "scenario")
    if dropped:
        lines = [_line(data, n, lambda r, n=n: r.value(f"dropped_iterations{{scenario:{n}}}", "count") or 0.0)
                 for n in dropped[:MAX_LINES]]  # fmt: skip
        out.append(_chart("scenarios-dropped", "Dropped iterations per second by scenario (arrival-rate saturation)",
                          "/s", ["metric.dropped_iterations*"], lines))  # fmt: skip
    return out


def metric_charts(data: ReportData) -> list[dict[str, Any]]:
    """Every chart of the record's metric series (none for records made before they were kept)."""
    if not data.metric_seconds:
        return []
    return scenario_charts(data) + check_chart(data) + custom_charts(data)

"""The report's charts as data: one series per line, x in seconds since the run started, and the breaches on each."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from runners.report.health import fault_spans
from runners.report.metric_charts import metric_charts
from runners.report.run_data import ReportData

Point = list[float | None]  # [x seconds, y or None for a gap]


def _x(data: ReportData, t: int) -> float:
    # A second's values are known when it closes (the window ends with it), so they sit at its end.
    return round(t + 1 - data.t0, 3)


def _num(v: Any) -> float | None:
    return round(float(v), 6) if isinstance(v, int | float) else None


def _chart(
    cid: str, title: str, unit: str, patterns: list[str], lines: list[dict[str, Any]]
) -> dict[str, Any]:
    return {"id": cid, "title": title, "unit": unit, "patterns": patterns, "lines": lines, "spans": []}


def _k6_charts(data: ReportData) -> list[dict[str, Any]]:
    pts = data.points
    xs = [_x(data, p.t) for p in pts]
    rps = [[x, float(p.requests)] for x, p in zip(xs, pts, strict=True)]
    err = [
        [x, round(100.0 * p.failed / p.requests, 6) if p.requests else None]
        for x, p in zip(xs, pts, strict=True)
    ]
    lat = [
        {"label": q, "points": [[x, _num(getattr(p.window, q))] for x, p in zip(xs, pts, strict=True)]}
        for q in ("p50", "p95", "p99")
    ]
    vus = [[x, _num(p.vus)] for x, p in zip(xs, pts, strict=True)]
    return [
        _chart(
            "rps",
            "Requests per second",
            "req/s",
            ["k6.rps", "k6.iterations_per_s", "endpoint.*.rps"],
            [{"label": "requests/s", "points": rps}],
        ),
        _chart(
            "errors",
            "Failed requests %",
            "%",
            ["k6.error_pct", "k6.checks_pct", "endpoint.*.error_pct"],
            [{"label": "error %", "points": err}],
        ),
        _chart(
            "latency",
            "Latency p50 / p95 / p99 (sliding window)",
            "ms",
            ["k6.p*_ms", "endpoint.*.p*_ms", "metric.http_req_duration*"],
            lat,
        ),
        _chart("vus", "Virtual users", "VUs", ["k6.vus"], [{"label": "VUs", "points": vus}]),
    ]


def gauge_units(data: ReportData) -> dict[str, str]:
    """Each gauge's unit, from summary.json's `gauges` (gauge -> series -> stats with a unit)."""
    units: dict[str, str] = {}
    for name, series in ((data.summary or {}).get("gauges") or {}).items():
        for stats in (series or {}).values():
            if isinstance(stats, dict) and stats.get("unit"):
                units[str(name)] = str(stats["unit"])
    return units


def _gauge_charts(data: ReportData) -> list[dict[str, Any]]:
    """One chart per gauge; a second a series has no value is a gap (None), never a line across it."""
    names: dict[str, dict[str, dict[int, float | None]]] = {}
    for row in data.gauges:
        for (gauge, name), value in row.values.items():
            names.setdefault(gauge, {}).setdefault(name, {})[row.t] = _num(value)
    units = gauge_units(data)
    faults = fault_spans(data)
    for f in faults:  # a gauge with no value at all still gets its chart, with its fault band
        names.setdefault(f["gauge"], {})
    first = int(data.t0)
    last = max([int(data.t_end), *(row.t for row in data.gauges)])
    out = []
    for gauge, by_series in sorted(names.items()):
        lines = []
        for label, by_t in sorted(by_series.items()):
            lo, hi = min(by_t), max(by_t)
            points: list[Point] = [
                [_x(data, t), by_t.get(t)] for t in range(max(first, lo), min(last, hi) + 1)
            ]
            lines.append({"label": label or gauge, "points": points})
        chart = _chart(
            f"gauge-{gauge}",
            f"Gauge {gauge}",
            units.get(gauge, ""),
            [f"gauge.{gauge}", f"gauge.{gauge}.*", f"gauge.{gauge}|*"],
            lines,
        )
        chart["faults"] = [f for f in faults if f["gauge"] == gauge]
        out.append(chart)
    return out


def _container_charts(data: ReportData) -> list[dict[str, Any]]:
    found: dict[str, dict[str, list[Point]]] = {}
    for row in data.containers:
        for name, stats in row.containers.items():
            c = found.setdefault(name, {"cpu": [], "mem_pct": [], "mem_mb": []})
            x = _x(data, row.t)
            c["cpu"].append([x, _num(stats.cpu_pct)])
            c["mem_pct"].append([x, _num(stats.mem_pct)])
            mb = stats.mem_bytes
            c["mem_mb"].append([x, round(mb / 1e6, 3) if mb is not None else None])
    charts = []
    for name, c in sorted(found.items()):
        charts.append(
            _chart(
                f"container-{name}-cpu",
                f"Container {name}: CPU",
                "%",
                [f"container.{name}.cpu_pct"],
                [{"label": "CPU %", "points": c["cpu"]}],
            )
        )
        use_pct = any(p[1] is not None for p in c["mem_pct"])
        charts.append(
            _chart(
                f"container-{name}-mem",
                f"Container {name}: memory",
                "%" if use_pct else "MB",
                [f"container.{name}.mem_*"],
                [
                    {
                        "label": "memory %" if use_pct else "memory MB",
                        "points": c["mem_pct"] if use_pct else c["mem_mb"],
                    }
                ],
            )
        )
    return charts


def charts(data: ReportData, spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The charts present in this run, with each breach span placed on the chart of its metric.

    A breach whose metric no chart shows (the host, the k6 process) goes on the requests/s chart.

    Args:
        data: The run.
        spans: From `report_events.breach_spans`.

    Returns:
        Chart dicts: id, title, unit, patterns (rule metrics it shows), lines [{label, points}], spans.
    """
    out = _k6_charts(data) + metric_charts(data) + _gauge_charts(data) + _container_charts(data)
    for span in spans:
        metric = str(span.get("metric") or "")
        home = next((c for c in out if any(fnmatchcase(metric, p) for p in c["patterns"])), out[0])
        home["spans"].append(span)
    return out


def chart_end(report_charts: list[dict[str, Any]]) -> float:
    """The largest x over every line (seconds), at least 1."""
    xs: list[float] = [
        p[0] for c in report_charts for line in c["lines"] for p in line["points"] if p[0] is not None
    ]
    return max([1.0, *xs])

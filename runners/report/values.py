"""What the record says a rule's metric was: k6 window values, gauges, containers, endpoints, generator peaks."""

from __future__ import annotations

from fnmatch import fnmatchcase

from runners.record.schema import CONTAINER_METRICS
from runners.report.format import GAUGE_UNIT
from runners.report.run_data import ReportData
from runners.report.series import gauge_units


def unit_of(metric: str) -> str:
    """The unit of a rule's value path, from its suffix (`k6.p95_ms` -> ms)."""
    if metric.endswith("_ms"):
        return "ms"
    if metric.endswith(("_pct", "%")):
        return "%"
    if metric.endswith(("rps", "_per_s")):
        return "req/s"
    if metric.endswith("_mb"):
        return "MB"
    return ""


def gauge_unit(data: ReportData, pattern: str) -> str:
    """The display unit of the gauges a rule's glob matches (`gauge.db_pool*` -> %)."""
    for name, unit in gauge_units(data).items():
        if fnmatchcase(f"gauge.{name}", pattern) or fnmatchcase(f"gauge.{name}.x", pattern):
            return GAUGE_UNIT.get(unit, unit)
    return ""


def window_values(data: ReportData, name: str) -> list[float]:
    """The k6 value a rule sees (`k6.<name>`), second by second over the run's sliding window."""
    pts = data.points
    win = data.meta.window_s
    out: list[float] = []
    for i, p in enumerate(pts):
        if name in ("p50_ms", "p90_ms", "p95_ms", "p99_ms"):
            v = getattr(p.window, name[:3])
            if v is not None:
                out.append(float(v))
            continue
        if name == "vus":
            if p.vus is not None:
                out.append(float(p.vus))
            continue
        w = pts[max(0, i - win + 1) : i + 1]
        req = sum(x.requests for x in w)
        checks = sum(x.checks_pass + x.checks_fail for x in w)
        if name == "error_pct" and req:
            out.append(100.0 * sum(x.failed for x in w) / req)
        elif name == "rps":
            out.append(req / len(w))
        elif name == "iterations_per_s":
            out.append(sum(x.iterations for x in w) / len(w))
        elif name == "checks_pct" and checks:
            out.append(100.0 * sum(x.checks_pass for x in w) / checks)
    return out


ENDPOINT_FIELD = {
    "p95_ms": ("latency_ms", "p95"),
    "p99_ms": ("latency_ms", "p99"),
    "error_pct": ("error_pct", ""),
    "rps": ("rps_mean", ""),
}
GENERATOR_PEAK = {
    "host.cpu_pct": "peak_box_cpu_pct",
    "k6proc.cpu_pct": "peak_k6_cpu_pct",
    "k6proc.rss_mb": "peak_k6_rss_mb",
}


def recorded_values(data: ReportData, metric: str) -> tuple[list[float], str]:
    """Values the record holds for a rule's metric (a path or glob) when the rule never reached pending.

    Returns:
        The values and what they are: "peak" of the per-second series (k6 window, gauges, containers),
        "run" (whole-run figures of matching endpoints) or "generator peak"; empty when nothing matches.
    """
    if metric.startswith("k6."):
        return window_values(data, metric.removeprefix("k6.")), "peak"
    if metric in GENERATOR_PEAK:
        v = ((data.summary or {}).get("generator") or {}).get(GENERATOR_PEAK[metric])
        return ([float(v)] if isinstance(v, int | float) else []), "generator peak"
    out: list[float] = []
    if metric.startswith("endpoint."):
        for e in (data.summary or {}).get("endpoints") or []:
            for suffix, (key, sub) in ENDPOINT_FIELD.items():
                v = (e.get(key) or {}).get(sub) if sub else e.get(key)
                if isinstance(v, int | float) and fnmatchcase(f"endpoint.{e['name']}.{suffix}", metric):
                    out.append(float(v))
        return out, "run"
    for row in data.gauges:
        for (gauge, series), v in row.values.items():
            paths = (f"gauge.{gauge}", f"gauge.{gauge}.{series}")
            if any(fnmatchcase(p, metric) for p in paths):
                out.append(v)
    for crow in data.containers:
        for name, stats in crow.containers.items():
            for k in CONTAINER_METRICS:
                cv = stats.metric(k)
                if cv is not None and fnmatchcase(f"container.{name}.{k}", metric):
                    out.append(cv)
    return out, "peak"

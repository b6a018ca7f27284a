"""The report as JSON (`loadwatch report --format json`): every number the Markdown and HTML pages show."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from runners.k6.histogram import Histogram, bucket_value
from runners.k6.progress import parse_duration
from runners.record.schema import CONTAINER_METRICS
from runners.report import events as ev
from runners.report.compare import compare
from runners.report.criteria import success_criteria
from runners.report.health import sources_section_data
from runners.report.k6_metrics import k6_metrics
from runners.report.run_data import ReportData, ReportError, load_report
from runners.report.series import charts, gauge_units

__all__ = ["REPORT_VERSION", "ReportData", "ReportError", "build_report_json", "load_report", "report_of"]

REPORT_VERSION = 1
ERROR_CODES = {
    1000: "generic error",
    1010: "non-TCP network error",
    1020: "invalid URL",
    1050: "request timeout",
    1100: "DNS error",
    1200: "TCP error",
    1210: "dial error",
    1211: "dial timeout",
    1212: "connection refused",
    1220: "connection reset by peer",
    1300: "TLS error",
    1600: "HTTP/2 error",
}
_FOR = re.compile(r"\bfor (\S+) over\b|\bfor (\S+) \(|\bfor (\S+)$")


def _planned_s(data: ReportData) -> float | None:
    for candidate in (
        data.meta.planned_s,
        ((data.summary or {}).get("capacity_ceiling") or {}).get("planned_s"),
    ):
        if isinstance(candidate, int | float):
            return float(candidate)
    found = [
        parse_duration(next(g for g in m.groups() if g)) for line in data.plan if (m := _FOR.search(line))
    ]
    known = [f for f in found if f is not None]
    return max(known) if known else None


def run_section(data: ReportData) -> dict[str, Any]:
    """The run's metadata: what ran, where, with which k6, how it ended."""
    m = data.meta
    keys = (
        "name",
        "script",
        "script_sha256",
        "k6_args",
        "k6_binary",
        "k6_version",
        "host",
        "status",
        "status_detail",
        "k6_exit_code",
        "stopped_by",
        "window_s",
        "parse_errors",
        "demo_target",
    )
    return {
        **{k: m.get(k) for k in keys},
        "name": m.name or data.run_dir.name,
        "run_dir": str(data.run_dir),
        "folder": data.run_dir.name,
        "started_at": data.t0,
        "ended_at": m.ended_at,
        "duration_s": round(data.t_end - data.t0, 3),
        "seconds_recorded": len(data.points),
        "record_damage": list(data.damage),
        "planned_s": _planned_s(data),
        "plan": m.plan if m.plan is not None else list(data.plan),
        "summary_written": data.summary is not None and not data.summary.get("partial"),
        "summary_partial": bool(data.summary and data.summary.get("partial")),
    }


def _pct(num: float, den: float) -> float | None:
    return round(100.0 * num / den, 6) if den else None


def totals(data: ReportData) -> dict[str, Any]:
    """Whole-run numbers from the record's seconds; latency from summary.json, else the merged histograms."""
    pts = data.points
    requests = sum(p.requests for p in pts)
    failed = sum(p.failed for p in pts)
    c_pass, c_fail = sum(p.checks_pass for p in pts), sum(p.checks_fail for p in pts)
    busy = [p.t for p in pts if p.requests]  # k6's trailing VU samples carry no requests
    active = float(busy[-1] - busy[0] + 1) if busy else 0.0
    rps_mean = round(requests / active, 3) if active else 0.0
    recorded_rps = (data.summary or {}).get("rps_mean")
    if isinstance(recorded_rps, int | float) and recorded_rps > 0:  # the engine's own figure, as CI saw it
        rps_mean, active = float(recorded_rps), round(requests / recorded_rps, 3)
    lat = dict((data.summary or {}).get("latency_ms") or {})
    source = "summary.json"
    if not lat and data.hist:
        h = Histogram()
        h.counts = dict(data.hist)
        h.count = sum(data.hist.values())
        h.min = bucket_value(min(data.hist))
        h.max = max((p.latency.max or 0.0) for p in pts) or bucket_value(max(data.hist))
        p50, p90, p95, p99 = h.percentiles((0.5, 0.9, 0.95, 0.99))
        lat = {"p50": p50, "p90": p90, "p95": p95, "p99": p99, "max": h.max, "min": None, "avg": None}
        source = "histograms"
    vus = [p.vus for p in pts if p.vus is not None]
    return {
        "requests": requests,
        "failed_requests": failed,
        "failed_rate": round(failed / requests, 6) if requests else 0.0,
        "error_pct": _pct(failed, requests) or 0.0,
        "rps_mean": rps_mean,
        "rps_peak": max((p.requests for p in pts), default=0),
        "active_s": active,
        "latency_ms": {k: None if v is None else round(float(v), 3) for k, v in lat.items()},
        "latency_source": source,
        "checks_pct": _pct(c_pass, c_pass + c_fail),
        "iterations": sum(p.iterations for p in pts),
        "vus_max": max(vus) if vus else None,
        "data_sent_bytes": sum(p.data_sent for p in pts),
        "data_received_bytes": sum(p.data_received for p in pts),
    }


def k6_own(data: ReportData) -> dict[str, Any] | None:
    """The same numbers from k6's own summary export, to check loadwatch's against."""
    metrics = (data.k6_summary or {}).get("metrics")
    if not isinstance(metrics, dict):
        return None

    def get(metric: str, key: str) -> float | None:
        v = (metrics.get(metric) or {}).get(key)
        return float(v) if isinstance(v, int | float) else None

    dur = "http_req_duration"
    checks = get("checks", "value")
    failed_rate = get("http_req_failed", "value")
    return {
        "requests": get("http_reqs", "count"),
        "rps_mean": get("http_reqs", "rate"),
        "failed_requests": get("http_req_failed", "passes"),
        "error_pct": None if failed_rate is None else round(100.0 * failed_rate, 6),
        "latency_ms": {
            "p50": get(dur, "med"),
            "p90": get(dur, "p(90)"),
            "p95": get(dur, "p(95)"),
            "p99": get(dur, "p(99)"),
            "max": get(dur, "max"),
            "min": get(dur, "min"),
            "avg": get(dur, "avg"),
        },
        "checks_pct": None if checks is None else round(100.0 * checks, 6),
        "iterations": get("iterations", "count"),
        "vus_max": get("vus", "max"),
        "data_sent_bytes": get("data_sent", "count"),
        "data_received_bytes": get("data_received", "count"),
    }


def codes_and_errors(data: ReportData) -> dict[str, Any]:
    """HTTP status codes, k6 error codes (summed over endpoints) and k6's own warnings and errors."""
    codes = (data.summary or {}).get("status_codes") or {}
    total = sum(codes.values())
    errors: dict[int, int] = {}
    for e in (data.summary or {}).get("endpoints") or []:
        for code, n in (e.get("error_codes") or {}).items():
            errors[int(code)] = errors.get(int(code), 0) + int(n)

    def meaning(code: int) -> str:
        if 1400 <= code < 1600:
            return f"HTTP {code - 1000} response"
        return ERROR_CODES.get(code, ERROR_CODES.get(code // 100 * 100, "k6 error"))

    return {
        "status_codes": [
            {
                "code": c,
                "count": n,
                "pct": _pct(n, total),
                "label": "no response (network error)" if c in ("0", "") else "",
            }
            for c, n in sorted(codes.items())
        ],
        "error_codes": [{"code": c, "count": n, "meaning": meaning(c)} for c, n in sorted(errors.items())],
        "messages": [{"level": lvl, "message": msg, "count": n} for lvl, msg, n in data.messages],
    }


def _stats(values: list[float]) -> dict[str, Any]:
    return {"min": round(min(values), 6), "mean": round(sum(values) / len(values), 6),
            "max": round(max(values), 6), "last": round(values[-1], 6), "samples": len(values)}  # fmt: skip


def system_under_test(data: ReportData) -> dict[str, Any]:
    """Min, mean, max and last of each gauge series and of each container's CPU and memory."""
    units = gauge_units(data)
    series: dict[tuple[str, str], list[float]] = {}
    for row in data.gauges:
        for key, v in row.values.items():
            series.setdefault(key, []).append(v)
    boxes: dict[tuple[str, str], list[float]] = {}
    for crow in data.containers:
        for name, stats in crow.containers.items():
            for k in CONTAINER_METRICS:
                value = stats.metric(k)
                if value is not None:
                    boxes.setdefault((name, k), []).append(value)
    return {
        "gauges": [
            {"gauge": g, "series": n, "unit": units.get(g, ""), **_stats(v)}
            for (g, n), v in sorted(series.items())
        ],
        "containers": [{"container": c, "metric": k, **_stats(v)} for (c, k), v in sorted(boxes.items())],
    }


def report_of(data: ReportData) -> dict[str, Any]:
    """The report JSON of one run, without a baseline."""
    spans = ev.breach_spans(data)
    return {
        "report_version": REPORT_VERSION,
        "generated_at": round(time.time(), 3),
        "run": run_section(data),
        "totals": totals(data),
        "k6_summary": k6_own(data),
        "criteria": success_criteria(data),
        "endpoints": list((data.summary or {}).get("endpoints") or []),
        "k6_metrics": k6_metrics(data),
        "system": system_under_test(data),
        "codes": codes_and_errors(data),
        "breaches": ev.breaches(data),
        "breach_spans": spans,
        "breach_log": ev.breach_log(data),
        "capacity_ceiling": ev.capacity_ceiling(data),
        "marks": ev.marks(data),
        "generator": ev.generator(data),
        "sources": sources_section_data(data),
        "charts": charts(data, spans),
        "baseline": None,
    }


def build_report_json(run_dir: Path, baseline_dir: Path | None = None) -> dict[str, Any]:
    """The whole report of a run as JSON-ready data, compared with a baseline run when one is given.

    Args:
        run_dir: The run's folder.
        baseline_dir: The baseline run's folder, or None.

    Returns:
        The report (keys: report_version, run, totals, k6_summary, criteria, endpoints, k6_metrics, system, codes, breaches,
        breach_spans, breach_log, capacity_ceiling, marks, generator, charts, baseline). With a baseline,
        each chart also carries `baseline_lines` and `baseline_marks`, and `baseline` the comparison.

    Raises:
        ReportError: when a folder is not a readable run record.
    """
    report = report_of(load_report(run_dir))
    if baseline_dir is None:
        return report
    base = report_of(load_report(baseline_dir))
    report["baseline"] = compare(base, report)
    base_charts = {c["id"]: c for c in base["charts"]}
    for c in report["charts"]:
        c["baseline_lines"] = base_charts.get(c["id"], {}).get("lines", [])
    return report

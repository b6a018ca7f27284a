"""The report's k6 metrics, checks, groups and scenarios, as k6's end-of-test summary has them.

Read from the run's last recorded Metrics view (typed: each metric's type, unit kind and section), else from
summary.json's `metrics`, `checks`, `groups` and `scenarios`, else from k6's own summary export (records made
before loadwatch kept them: types inferred from the stat keys).
"""

from __future__ import annotations

from typing import Any

from runners.k6.metrics_view import SECTION_ORDER, section_of
from runners.model.frames import GroupStat, MetricStat, MetricsView
from runners.report.run_data import ReportData

_TIME_NAMES = ("http_req_", "iteration_duration", "group_duration", "ws_connecting", "ws_session_duration",
               "ws_ping", "grpc_req_duration", "browser_")  # fmt: skip


def _num(v: Any) -> float | None:
    return round(float(v), 6) if isinstance(v, int | float) and not isinstance(v, bool) else None


def infer_type(stats: dict[str, Any]) -> str:
    """A metric's k6 type from the keys of its summary-export entry."""
    if "passes" in stats:
        return "rate"
    if "avg" in stats or "p(95)" in stats or "med" in stats:
        return "trend"
    if "rate" in stats:
        return "counter"
    return "gauge"


def _metric_row(m: MetricStat) -> dict[str, Any]:
    return {"name": m.name, "type": m.type, "contains": m.contains, "section": m.section,
            "values": {k: _num(v) for k, v in m.values},
            "thresholds": [{"expression": e, "ok": ok} for e, ok in m.thresholds]}  # fmt: skip


def _from_export(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for name, stats in metrics.items():
        if not isinstance(stats, dict):
            continue
        base = name.split("{", 1)[0]
        kind = infer_type(stats)
        contains = "time" if kind == "trend" and base.startswith(_TIME_NAMES) else "default"
        contains = "data" if base in ("data_sent", "data_received") else contains
        marks = stats.get("thresholds") or {}
        rows.append({"name": name, "type": kind, "contains": contains, "section": section_of(base),
                     "values": {k: _num(v) for k, v in stats.items() if k != "thresholds"},
                     "thresholds": [{"expression": e, "ok": not failed} for e, failed in marks.items()]})  # fmt: skip
    rows.sort(
        key=lambda r: (
            SECTION_ORDER.index(str(r["section"])),
            str(r["name"]).split("{", 1)[0],
            str(r["name"]),
        )
    )
    return rows


def _group_row(g: GroupStat, checks: list[dict[str, Any]]) -> dict[str, Any]:
    by = {m.name.split("{", 1)[0]: m for m in g.metrics}

    def stat(metric: str, key: str) -> float | None:
        m = by.get(metric)
        return _num(m.value(key)) if m is not None else None

    mine = [c for c in checks if c["group"] == g.path]
    passes, fails = sum(c["passes"] for c in mine), sum(c["fails"] for c in mine)
    failed = stat("http_req_failed", "value")
    return {"path": g.path, "name": g.name, "depth": g.depth, "requests": stat("http_reqs", "count"),
            "failed_pct": None if failed is None else round(100 * failed, 6),
            "p95_ms": stat("http_req_duration", "p(95)"), "duration_p95_ms": stat("group_duration", "p(95)"),
            "checks_passes": passes, "checks_fails": fails}  # fmt: skip


def _groups_from_tree(tree: dict[str, Any], out: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for g in (tree.get("groups") or {}).values():
        if not isinstance(g, dict):
            continue
        ms = g.get("metrics") or {}
        checks = (g.get("checks") or {}).values()
        failed = _num((ms.get("http_req_failed") or {}).get("value"))
        path = str(g.get("path") or "")
        out.append({"path": path, "name": str(g.get("name") or ""), "depth": path.count("::"),
                    "requests": _num((ms.get("http_reqs") or {}).get("count")),
                    "failed_pct": None if failed is None else round(100 * failed, 6),
                    "p95_ms": _num((ms.get("http_req_duration") or {}).get("p(95)")),
                    "duration_p95_ms": _num((ms.get("group_duration") or {}).get("p(95)")),
                    "checks_passes": sum(int(c.get("passes") or 0) for c in checks),
                    "checks_fails": sum(int(c.get("fails") or 0) for c in checks)})  # fmt: skip
        _groups_from_tree(g, out)
    return out


def _scenario_rows(
    view: MetricsView | None, summary: dict[str, Any], duration: float
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if view is not None:
        for s in view.scenarios:
            rows.append({"name": s.name, "iterations": s.iterations, "dropped_iterations": s.dropped_iterations,
                         "requests": s.requests, "p95_ms": _num(s.p95_ms),
                         "checks_pass_pct": _num(s.checks_pass_pct)})  # fmt: skip
    else:
        for name, s in (summary.get("scenarios") or {}).items():
            c_pass, c_fail = s.get("checks_passes") or 0, s.get("checks_fails") or 0
            rows.append({"name": name, "iterations": s.get("iterations"),
                         "dropped_iterations": s.get("dropped_iterations"), "requests": s.get("requests"),
                         "p95_ms": _num(s.get("http_req_duration_p95_ms")),
                         "checks_pass_pct": round(100 * c_pass / (c_pass + c_fail), 6) if c_pass + c_fail else None})  # fmt: skip
    for r in rows:
        r["iterations_per_s"] = round(r["iterations"] / duration, 3) if duration and r["iterations"] else None
    return rows


def k6_metrics(data: ReportData) -> dict[str, Any]:
    """The report's `k6_metrics` key: metrics (k6's summary, custom ones included), checks, groups, scenarios.

    Returns:
        `source` (where they were read), `metrics` (name, type, contains, section, values, thresholds),
        `checks` (name, group, passes, fails, pass_pct), `groups` (path, name, depth, requests, failed_pct,
        p95_ms, duration_p95_ms, checks passes and fails), `scenarios` (name, iterations, iterations_per_s,
        dropped_iterations, requests, p95_ms, checks_pass_pct).
    """
    view, summary = data.view, data.summary or {}
    duration = view.duration_s if view is not None else float(summary.get("duration_s") or 0.0)
    if view is not None and view.metrics:
        checks = [{"name": c.name, "group": c.group, "passes": c.passes, "fails": c.fails,
                   "pass_pct": _num(c.pass_pct)} for c in view.checks]  # fmt: skip
        return {"source": "record", "metrics": [_metric_row(m) for m in view.metrics], "checks": checks,
                "groups": [_group_row(g, checks) for g in view.groups],
                "scenarios": _scenario_rows(view, summary, duration)}  # fmt: skip
    exported = summary.get("metrics")
    source = "summary.json"
    if not isinstance(exported, dict) or not exported:
        exported, source = (data.k6_summary or {}).get("metrics"), "k6 summary export"
    if not isinstance(exported, dict) or not exported:
        return {"source": "", "metrics": [], "checks": [], "groups": [], "scenarios": []}
    checks = [{k: c.get(k) for k in ("name", "group", "passes", "fails", "pass_pct")}
              for c in summary.get("checks") or [] if isinstance(c, dict)]  # fmt: skip
    tree = summary.get("groups")
    return {"source": source, "metrics": _from_export(exported), "checks": checks,
            "groups": _groups_from_tree(tree, []) if isinstance(tree, dict) else [],
            "scenarios": _scenario_rows(None, summary, duration)}  # fmt: skip

"""The success-criteria table: each alert rule (passed when it never fired) and each k6 threshold (k6's verdict)."""

from __future__ import annotations

import re
from typing import Any

from runners.record.schema import EventKind
from runners.report.run_data import ReportData
from runners.report.values import gauge_unit, recorded_values, unit_of

NEGATE = {">": "≤", ">=": "<", "<": "≥", "<=": ">"}
FIRED = frozenset({"firing", "escalated", "deescalated"})
_EXPR = re.compile(
    r"^\s*(avg|min|max|med|count|rate|value|p\(\d+(?:\.\d+)?\))\s*(<=|>=|==|!=|<|>)\s*([-+0-9.eE]+)\s*$"
)
_K6_KEY = {
    "rate": "value",
    "med": "med",
    "count": "count",
    "value": "value",
    "avg": "avg",
    "min": "min",
    "max": "max",
}


def _rule_defs(data: ReportData) -> tuple[list[dict[str, Any]], bool]:
    """The rules in force (recorded), else those seen in breach events; and whether the set is complete."""
    recorded = data.meta.rules
    if recorded is not None:
        return [r for r in recorded if isinstance(r, dict) and r.get("name")], True
    ops = {b.get("rule"): b.get("op") for b in (data.summary or {}).get("breaches") or []}
    found: dict[str, dict[str, Any]] = {}
    for e in data.events_of(EventKind.BREACH):
        r = found.setdefault(
            str(e.get("rule")),
            {
                "name": e.get("rule"),
                "metric": e.get("metric"),
                "op": ops.get(e.get("rule")),
                "warning": None,
                "critical": None,
            },
        )
        level = e.get("level")
        if level in ("warning", "critical") and r[level] is None:
            r[level] = e.get("threshold")
        if (
            r["op"] is None
            and isinstance(e.get("value"), int | float)
            and isinstance(e.get("threshold"), int | float)
        ):
            r["op"] = ">" if e.get("value") >= e.get("threshold") else "<"
    return list(found.values()), False


def _fmt_num(v: float) -> str:
    return f"{v:g}"


def rule_rows(data: ReportData) -> tuple[list[dict[str, Any]], bool]:
    """One criterion per rule: passed when it never fired, `warn` when it fired only at warning.

    Returns:
        The rows, and True when the rule set was recorded (False: only rules that reached pending are known).
    """
    defs, complete = _rule_defs(data)
    rows = []
    for r in defs:
        name, metric, op = str(r["name"]), str(r.get("metric") or ""), str(r.get("op") or ">")
        evs = [e for e in data.events_of(EventKind.BREACH) if e.get("rule") == name]
        fired = {e.get("level") for e in evs if e.transition in FIRED}
        worsts = [float(e.get("worst")) for e in evs if isinstance(e.get("worst"), int | float)]
        actual_is = "worst" if fired else "worst while pending"
        if not worsts:
            worsts, actual_is = recorded_values(data, metric)
        high = op.startswith(">")
        actual = (max(worsts) if high else min(worsts)) if worsts else None
        unit = gauge_unit(data, metric) if metric.startswith("gauge.") else unit_of(metric)
        level = r.get("warning") if r.get("warning") is not None else r.get("critical")
        target = f"{NEGATE.get(op, '?')} {_fmt_num(level)} {unit}".strip() if level is not None else "?"
        if r.get("critical") is not None and r.get("warning") is not None:
            target += f" (critical {op} {_fmt_num(r['critical'])} {unit})".replace(" )", ")")
        status = (
            "fail"
            if "critical" in fired
            else "warn"
            if "warning" in fired
            else "pass"
            if evs or worsts
            else "no data"
        )
        rows.append(
            {
                "kind": "rule",
                "name": name,
                "metric": metric,
                "target": target,
                "op": op,
                "warning": r.get("warning"),
                "critical": r.get("critical"),
                "for_s": r.get("for_s"),
                "actual": None if actual is None else round(actual, 6),
                "actual_is": actual_is,
                "unit": unit,
                "status": status,
                "detail": str(r.get("description") or ""),
            }
        )
    return rows, complete


def k6_metric_value(k6_summary: dict[str, Any] | None, metric: str, expression: str) -> float | None:
    """The value k6's own summary export gives for a threshold's aggregation (`p(95)<500` -> p(95))."""
    m = _EXPR.match(expression)
    metrics = (k6_summary or {}).get("metrics") or {}
    if m is None or metric not in metrics:
        return None
    v = metrics[metric].get(_K6_KEY.get(m.group(1), m.group(1)))
    return float(v) if isinstance(v, int | float) else None


def _threshold_unit(base: str, agg: str) -> str:
    if agg == "rate" or (agg == "value" and base in ("http_req_failed", "checks")):
        return "ratio"
    if agg in ("count", "value"):
        return ""
    return "ms" if base.startswith("http_req_") or "duration" in base else ""


def threshold_rows(data: ReportData) -> list[dict[str, Any]]:
    """One criterion per k6 threshold, with k6's own verdict and value (its summary export) where present."""
    listed = (data.summary or {}).get("thresholds")
    if listed is None:
        ev = data.events_of(EventKind.THRESHOLDS)
        listed = [{"metric": m, "expression": x} for m, x in (ev[-1].get("thresholds") or [])] if ev else []
    metrics = (data.k6_summary or {}).get("metrics") or {}
    rows = []
    for t in listed:
        metric, expr = str(t["metric"]), str(t["expression"])
        failed = (metrics.get(metric) or {}).get("thresholds", {}).get(expr)
        ok = (not failed) if isinstance(failed, bool) else t.get("ok")
        k6_value = k6_metric_value(data.k6_summary, metric, expr)
        m = _EXPR.match(expr)
        unit = _threshold_unit(metric.split("{", maxsplit=1)[0], m.group(1) if m else "")
        value = k6_value if k6_value is not None else t.get("value")
        detail = (
            ""
            if t.get("ok") is None or t.get("ok") == ok
            else f"loadwatch's live verdict was {'pass' if t.get('ok') else 'fail'}"
        )
        rows.append(
            {
                "kind": "threshold",
                "name": "k6 threshold",
                "metric": metric,
                "target": expr,
                "actual": None if value is None else round(float(value), 6),
                "actual_is": "k6 summary" if k6_value is not None else "loadwatch",
                "unit": unit,
                "status": "unknown" if ok is None else "pass" if ok else "fail",
                "detail": detail,
            }
        )
    return rows


def success_criteria(data: ReportData) -> dict[str, Any]:
    """The success-criteria table: rules first, then k6 thresholds; and whether every row passed."""
    rules, complete = rule_rows(data)
    rows = rules + threshold_rows(data)
    note = (
        ""
        if complete
        else "The rules in force were not recorded with this run: only rules that reached pending are listed."
    )
    return {
        "rows": rows,
        "passed": sum(r["status"] == "pass" for r in rows),
        "failed": sum(r["status"] == "fail" for r in rows),
        "warned": sum(r["status"] == "warn" for r in rows),
        "no_data": sum(r["status"] == "no data" for r in rows),
        "rules_recorded": complete,
        "note": note,
    }

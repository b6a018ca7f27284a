"""The success-criteria table: each rule's metric judged over the run, and each k6 threshold (k6's verdict)."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Any

from runners.model.rule_spec import COMPARE
from runners.record.schema import CONTAINER_METRICS, EventKind
from runners.report.health import fault_spans, fault_text
from runners.report.metric_values import metric_rule_values, metric_unit, missing_metric_reason
from runners.report.run_data import ReportData
from runners.report.values import (
    ENDPOINT_FIELD,
    GENERATOR_PEAK,
    gauge_unit,
    recorded_values,
    unit_of,
    window_values,
)

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
    """One criterion per rule, judged on what the run did (see `judge`), not on whether the rule fired.

    Returns:
        The rows, and True when the rule set was recorded (False: only rules that reached pending are known).
    """
    defs, complete = _rule_defs(data)
    faults = fault_spans(data)
    rows = []
    for r in defs:
        name, metric, op = str(r["name"]), str(r.get("metric") or ""), str(r.get("op") or ">")
        evs = [e for e in data.events_of(EventKind.BREACH) if e.get("rule") == name]
        fired = {e.get("level") for e in evs if e.transition in FIRED}
        unit = gauge_unit(data, metric) if metric.startswith("gauge.") else unit_of(metric)
        if metric.startswith(("metric.", "check.")):
            unit = metric_unit(data, metric)
        level = r.get("warning") if r.get("warning") is not None else r.get("critical")
        target = f"{NEGATE.get(op, '?')} {_fmt_num(level)} {unit}".strip() if level is not None else "?"
        if r.get("critical") is not None and r.get("warning") is not None:
            target += f" (critical {op} {_fmt_num(r['critical'])} {unit})".replace(" )", ")")
        series, kind = path_values(data, metric, op)
        verdict = judge(series, kind, op, level, r.get("critical"), fired, unit)
        gauge_faults = [f for f in faults if _gauge_matches(f["gauge"], metric)]
        reason = verdict["reason"]
        if verdict["status"] == "no data":
            reason = _no_data_reason(data, metric, gauge_faults)
        elif gauge_faults:
            reason += f"; gaps: {fault_text(gauge_faults)}"
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
                "actual": verdict["actual"],
                "actual_is": verdict["actual_is"],
                "worst": verdict["worst"],
                "over_target_pct": verdict["over_target_pct"],
                "over_critical_pct": verdict["over_critical_pct"],
                "measured_s": verdict["measured_s"],
                "path": verdict["path"],
                "fired": "critical" if "critical" in fired else "warning" if "warning" in fired else None,
                "unit": unit,
                "status": verdict["status"],
                "reason": reason,
                "detail": str(r.get("description") or ""),
            }
        )
    return rows, complete


TOLERANCE = 0.05
"""Share of the measured time a value may spend beyond its target before the criterion fails (a p95)."""
_RANK = {"fail": 3, "warn": 2, "pass": 1, "no data": 0}


def judge(
    series: dict[str, list[float]],
    kind: str,
    op: str,
    target: float | None,
    critical: float | None,
    fired: set[Any],
    unit: str = "",
) -> dict[str, Any]:
    """Judge a rule's metric over the run, path by path, and keep the worst path.

    Per-second values: fail when they were beyond the target for more than TOLERANCE of the measured time
    (or a critical breach fired); warn when beyond it only briefly (or a warning breach fired); else pass.
    A whole-run figure (endpoints) fails when beyond the target; a peak (the generator) only warns.

    Args:
        series: Path -> values (per second, or one whole-run figure, or one peak).
        kind: "per second", "run" or "peak".
        op: The rule's comparison (the bad side).
        target: The target level (the warning level, else critical).
        critical: The critical level, if any.
        fired: Levels the rule fired at during the run.
        unit: For the reason's text.

    Returns:
        status, actual (p95 on the bad side, or the figure), actual_is, worst, over_target_pct,
        over_critical_pct, measured_s, path and reason.
    """
    high = op.startswith(">")
    cmp = COMPARE.get(op, COMPARE[">"])
    best: dict[str, Any] = {"status": "no data", "actual": None, "actual_is": "", "worst": None,
                            "over_target_pct": None, "over_critical_pct": None, "measured_s": 0,
                            "path": "", "reason": ""}  # fmt: skip
    for path, values in series.items():
        if not values:
            continue
        n = len(values)
        worst = max(values) if high else min(values)
        ordered = sorted(values, reverse=high)
        p95 = ordered[min(n - 1, int(n * TOLERANCE))]  # the value beyond which 5 % of the time lies
        over_t = sum(cmp(v, target) for v in values) / n if target is not None else 0.0
        over_c = sum(cmp(v, critical) for v in values) / n if critical is not None else 0.0
        u = f" {unit}" if unit else ""
        if kind == "per second":
            actual, actual_is = p95, f"p95 of {n} s"
            if "critical" in fired or over_t > TOLERANCE:
                status = "fail"
                reason = f"beyond {_fmt_num(target or 0)}{u} for {over_t:.0%} of {n} s measured"
                if critical is not None and over_c:
                    reason += f" (beyond critical {_fmt_num(critical)}{u} for {over_c:.0%})"
                if "critical" in fired and over_t <= TOLERANCE:
                    reason = f"the rule fired at critical; beyond the target {over_t:.0%} of the time"
            elif over_t or "warning" in fired:
                status = "warn"
                reason = f"beyond {_fmt_num(target or 0)}{u} for {over_t:.0%} of {n} s: within the {TOLERANCE:.0%} tolerance"
            else:
                status, reason = "pass", f"within the target for all {n} s measured"
        else:
            actual, actual_is = worst, "whole run" if kind == "run" else "peak"
            beyond = target is not None and cmp(worst, target)
            if "critical" in fired or (beyond and kind == "run"):
                status, reason = "fail", f"{actual_is} figure beyond the target"
            elif beyond or "warning" in fired:
                status, reason = "warn", "the peak went beyond the target (only the peak is recorded)"
            else:
                status, reason = "pass", f"{actual_is} figure within the target"
        row = {"status": status, "actual": round(actual, 6), "actual_is": actual_is, "worst": round(worst, 6),
               "over_target_pct": round(100 * over_t, 3), "over_critical_pct": round(100 * over_c, 3),
               "measured_s": n if kind == "per second" else 0, "path": path, "reason": reason}  # fmt: skip
        key = (_RANK[status], row["over_target_pct"])
        if key > (_RANK[best["status"]], best["over_target_pct"] or 0.0):
            best = row
    if best["status"] == "no data" and fired:
        best.update(
            status="fail" if "critical" in fired else "warn", reason="the rule fired (no values recorded)"
        )
    return best


def path_values(data: ReportData, metric: str, op: str) -> tuple[dict[str, list[float]], str]:
    """The values the record holds for a rule's metric, per concrete path.

    Returns:
        Path -> values, and their kind: "per second" (k6 window values, gauges, containers), "run" (each
        matching endpoint's whole-run figure) or "peak" (the generator).
    """
    if metric.startswith("k6."):
        return {metric: window_values(data, metric.removeprefix("k6."))}, "per second"
    if metric.startswith(("metric.", "check.")):
        return metric_rule_values(data, metric), "per second"
    if metric in GENERATOR_PEAK or metric.startswith(("endpoint.", "host.", "k6proc.")):
        found, kind = recorded_values(data, metric)
        if metric.startswith("endpoint."):
            return _endpoint_values(data, metric), "run"
        return {metric: found}, "peak" if kind == "generator peak" else "run"
    out: dict[str, list[float]] = {}
    worse = max if op.startswith(">") else min
    for row in data.gauges:
        whole: dict[str, list[float]] = {}
        for (gauge, series), v in row.values.items():
            path = f"gauge.{gauge}.{series}" if series else f"gauge.{gauge}"
            if series and fnmatchcase(path, metric):
                out.setdefault(path, []).append(float(v))
            elif fnmatchcase(f"gauge.{gauge}", metric):
                whole.setdefault(f"gauge.{gauge}", []).append(float(v))
        for path, vs in whole.items():
            out.setdefault(path, []).append(worse(vs))
    for crow in data.containers:
        for name, stats in crow.containers.items():
            for k in CONTAINER_METRICS:
                cv = stats.metric(k)
                path = f"container.{name}.{k}"
                if cv is not None and fnmatchcase(path, metric):
                    out.setdefault(path, []).append(cv)
    return out, "per second"


def _endpoint_values(data: ReportData, metric: str) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for e in (data.summary or {}).get("endpoints") or []:
        for suffix, (key, sub) in ENDPOINT_FIELD.items():
            v = (e.get(key) or {}).get(sub) if sub else e.get(key)
            path = f"endpoint.{e['name']}.{suffix}"
            if isinstance(v, int | float) and fnmatchcase(path, metric):
                out[path] = [float(v)]
    return out


def _gauge_matches(gauge: str, metric: str) -> bool:
    return fnmatchcase(f"gauge.{gauge}", metric) or fnmatchcase(f"gauge.{gauge}.x", metric)


def _no_data_reason(data: ReportData, metric: str, faults: list[dict[str, Any]]) -> str:
    if faults:
        return f"no data: {fault_text(faults)}"
    source = metric.split(".", 1)[0]
    if source == "gauge":
        defs = (data.meta.get("gauges") or {}).get("gauges") or []
        names = [str(g.get("name")) for g in defs if isinstance(g, dict)]
        if defs and not any(_gauge_matches(n, metric) for n in names):
            return f"no gauge of this run matches (gauges: {', '.join(names)})"
        if not defs and not data.gauges:
            return "no gauges were configured for this run"
        return "the gauge's query returned no series"
    if source == "k6":
        return "k6 recorded no values for it (no requests in the window?)"
    if source == "endpoint":
        return "no endpoint of this run matches"
    if source in ("metric", "check"):
        if not data.metric_seconds:
            return "this record has no per-second metric series (made before they were kept)"
        return missing_metric_reason(data, metric)
    if source == "container":
        return "no container of this run matches"
    return "not recorded"


def k6_metric_value(k6_summary: dict[str, Any] | None, metric: str, expression: str) -> float | None:
    """The value k6's own summary export gives for a threshold's aggregation (`p(95)<500` -> p(95))."""
    m = _EXPR.match(expression)
    metrics = (k6_summary or {}).get("metrics") or {}
    if m is None or metric not in metrics:
        return None
    entry = metrics[metric]
    stat = m.group(1)
    key = "rate" if stat == "rate" and "passes" not in entry and "rate" in entry else _K6_KEY.get(stat, stat)
    v = entry.get(key)
    return float(v) if isinstance(v, int | float) else None


def _threshold_unit(data: ReportData, base: str, agg: str) -> str:
    kinds = {m.name: (m.type, m.contains) for m in data.view.metrics} if data.view is not None else {}
    kind, contains = kinds.get(base, ("", ""))
    if (agg == "rate" and kind != "counter") or (
        agg == "value" and (kind == "rate" or base in ("http_req_failed", "checks"))
    ):
        return "ratio"
    if agg == "rate":
        return "/s"
    if agg in ("count", "value"):
        return ""
    return "ms" if contains == "time" or base.startswith("http_req_") or "duration" in base else ""


def threshold_rows(data: ReportData) -> list[dict[str, Any]]:
    """One criterion per k6 threshold, with k6's own verdict and value (its summary export) where present."""
    listed = (data.summary or {}).get("thresholds")
    if listed is None:
        ev = data.events_of(EventKind.THRESHOLDS)
        listed = [{"metric": m, "expression": x} for m, x in (ev[-1].get("thresholds") or [])] if ev else []
    metrics = (data.k6_summary or {}).get("metrics") or {}
    live = {
        (r.metric, r.expression): r.value for r in data.thresholds
    }  # the last tick's, for a run cut short
    rows = []
    for t in listed:
        metric, expr = str(t["metric"]), str(t["expression"])
        failed = (metrics.get(metric) or {}).get("thresholds", {}).get(expr)
        ok = (not failed) if isinstance(failed, bool) else t.get("ok")
        k6_value = k6_metric_value(data.k6_summary, metric, expr)
        m = _EXPR.match(expr)
        unit = _threshold_unit(data, metric.split("{", maxsplit=1)[0], m.group(1) if m else "")
        value = k6_value if k6_value is not None else t.get("value")
        if value is None:
            value = live.get((metric, expr))
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

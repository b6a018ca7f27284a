"""The run's k6 metrics shaped like k6's own `--summary-export`, plus checks, the group tree and scenarios."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from runners.k6.aggregate import Agg
from runners.k6.command import flag_value
from runners.k6.metric_info import COUNTER, GAUGE, RATE
from runners.k6.metric_model import MetricModel
from runners.k6.metrics_view import submetric_names
from runners.model.frames import CheckStat, MetricsView, ThresholdRow

K6_TREND_STATS = ("avg", "min", "med", "max", "p(90)", "p(95)")  # k6's default --summary-trend-stats
EXTRA_TREND_STATS = ("p(99)", "count")  # always added by loadwatch


def trend_stats(k6_args: Sequence[str], env: Mapping[str, str]) -> tuple[str, ...]:
    """The Trend stats k6 exports for this run (`--summary-trend-stats`, else its default), then p(99), count."""
    given = flag_value(k6_args, "--summary-trend-stats") or env.get("K6_SUMMARY_TREND_STATS") or ""
    chosen = [s.strip() for s in given.split(",") if s.strip()] or list(K6_TREND_STATS)
    return tuple(dict.fromkeys([*chosen, *EXTRA_TREND_STATS]))


def k6_run_duration_s(summary_export: Path) -> float | None:
    """k6's own test-run duration, what its Counter `rate`s divide by: `count / rate` of a Counter in the
    summary export it wrote (None without one, or without a Counter that counted)."""
    try:
        metrics = json.loads(summary_export.read_text()).get("metrics", {})
    except (OSError, ValueError, AttributeError):
        return None
    for m in metrics.values() if isinstance(metrics, dict) else ():
        count, rate = (m or {}).get("count"), (m or {}).get("rate")
        if isinstance(count, int | float) and isinstance(rate, int | float) and count > 0 and rate > 0:
            return float(count) / float(rate)
    return None


def k6_export_parts(summary_export: Path) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(metrics, root_group) of k6's own summary export, for a run whose samples loadwatch did not model."""
    try:
        data = json.loads(summary_export.read_text())
        metrics, root = data["metrics"], data["root_group"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return (metrics, root) if isinstance(metrics, dict) and isinstance(root, dict) else None


def checks_of_group(group: dict[str, Any], out: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The checks of a k6 `root_group` tree as `export_checks` gives them."""
    out = [] if out is None else out
    for c in (group.get("checks") or {}).values():
        passes, fails = int(c.get("passes", 0)), int(c.get("fails", 0))
        pct = 100.0 * passes / (passes + fails) if passes + fails else None
        out.append({"name": c.get("name"), "group": group.get("path", ""), "path": c.get("path"), "passes": passes,
                    "fails": fails, "pass_pct": None if pct is None else round(pct, 4)})  # fmt: skip
    for sub in (group.get("groups") or {}).values():
        checks_of_group(sub, out)
    return out


def _number(v: float | None) -> float | int | None:
    """k6 writes whole counts as integers."""
    if v is not None and float(v).is_integer() and abs(v) < 2**53:
        return int(v)
    return v


def metric_values(agg: Agg, duration_s: float, trend_keys: Sequence[str]) -> dict[str, Any]:
    """One metric's stats under k6's export keys.

    Counter `count`, `rate` (per second of the test); Gauge `value` (the last), `min`, `max`; Rate `passes`
    (non-zero samples), `fails` (zero ones), `value` (passes / all); Trend the `trend_keys`.
    """
    if agg.kind == COUNTER:
        return {"count": _number(agg.total), "rate": agg.total / duration_s if duration_s else None}
    if agg.kind in (GAUGE, RATE):
        return {k: _number(v) if k in ("passes", "fails") else v for k, v in agg.stats().items()}
    return _trend_values(agg, trend_keys)


def _trend_values(agg: Agg, keys: Sequence[str]) -> dict[str, Any]:
    """A Trend's stats, its percentiles read in one pass over the histogram."""
    n = agg.n
    direct: dict[str, Any] = {"count": n, "avg": agg.total / n if n else None, "min": agg.min if n else None,
                              "max": agg.max if n else None}  # fmt: skip
    wanted = {
        k: 0.5 if k == "med" else float(k[2:-1]) / 100.0 for k in keys if k == "med" or k.startswith("p(")
    }
    qs = tuple(sorted(set(wanted.values())))
    at = dict(zip(qs, agg.percentiles(qs), strict=True))
    return {k: at[wanted[k]] if k in wanted else direct.get(k, agg.stat(k)) for k in keys}


def export_metrics(model: MetricModel, thresholds: Sequence[ThresholdRow], duration_s: float,
                   trend_keys: Sequence[str] = (*K6_TREND_STATS, *EXTRA_TREND_STATS)) -> dict[str, Any]:  # fmt: skip
    """Every metric and sub-metric keyed as k6's `--summary-export` keys them (`name`, `name{tag:value}`).

    A metric or sub-metric carrying thresholds gets k6's `thresholds` object: expression -> true when the
    threshold FAILED (k6's own convention), null when nobody judged it.
    """
    out: dict[str, Any] = {}
    for name in model.metric_names():
        agg = model.total(name)
        if agg is not None:
            out[name] = metric_values(agg, duration_s, trend_keys)
    for (base, pairs), sub_name in submetric_names(model, thresholds).items():
        agg = model.total(base, pairs) if base in out else None
        if agg is not None:
            out[sub_name] = metric_values(agg, duration_s, trend_keys)
        elif base in model.infos:  # k6 exports a declared sub-metric without samples: every stat 0
            out[sub_name] = dict.fromkeys(metric_values(Agg(model.info(base).type), 0.0, trend_keys), 0)
    for r in thresholds:
        entry = out.get(r.metric)
        if entry is None:
            continue
        entry.setdefault("thresholds", {})[r.expression] = None if r.ok_by_k6 is None else not r.ok_by_k6
    return dict(sorted(out.items()))


def _check(c: CheckStat) -> dict[str, Any]:
    path = f"{c.group}::{c.name}"
    return {"name": c.name, "path": path, "id": _id(path), "passes": c.passes, "fails": c.fails}


def _id(path: str) -> str:
    return hashlib.md5(path.encode(), usedforsecurity=False).hexdigest()  # k6's group and check ids


def export_checks(view: MetricsView) -> list[dict[str, Any]]:
    """Every named check, per group: name, group path, passes, fails and pass percentage."""
    rows = []
    for c in sorted(view.checks, key=lambda c: (c.group.split("::"), c.name)):
        pct = c.pass_pct
        rows.append({"name": c.name, "group": c.group, "path": f"{c.group}::{c.name}", "passes": c.passes,
                     "fails": c.fails, "pass_pct": None if pct is None else round(pct, 4)})  # fmt: skip
    return rows


def export_groups(view: MetricsView, with_metrics: bool = True) -> dict[str, Any]:
    """The group tree as k6's `root_group` (name, path, id, groups by name, checks by name), each group also
    with `metrics` (unless `with_metrics` is False): the metrics sampled inside it, k6's stats per type."""
    root: dict[str, Any] = {"name": "", "path": "", "id": _id(""), "groups": {}, "checks": {}}
    nodes = {"": root}
    for g in view.groups:
        parent = nodes.get(g.path.rsplit("::", 1)[0], root)
        node: dict[str, Any] = {"name": g.name, "path": g.path, "id": _id(g.path), "groups": {}, "checks": {}}
        if with_metrics:
            node["metrics"] = {m.name.split("{", 1)[0]: dict(m.values) for m in g.metrics}
        parent["groups"][g.name] = nodes[g.path] = node
    for c in view.checks:
        nodes.setdefault(c.group, root)["checks"][c.name] = _check(c)
    return root


def export_scenarios(model: MetricModel, view: MetricsView) -> dict[str, Any]:
    """Per scenario: iterations, dropped iterations, HTTP requests, p95 of http_req_duration, checks."""
    out: dict[str, Any] = {}
    for s in view.scenarios:
        checks = model.total("checks", (("scenario", s.name),))
        out[s.name] = {
            "iterations": s.iterations,
            "dropped_iterations": s.dropped_iterations,
            "requests": s.requests,
            "http_req_duration_p95_ms": s.p95_ms,
            "checks_passes": checks.nonzero if checks is not None else 0,
            "checks_fails": checks.n - checks.nonzero if checks is not None else 0,
        }
    return out

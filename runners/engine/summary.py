"""The run's totals as JSON (`--json-summary`); CI pipelines read it, so the keys are stable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runners.k6.summary_export import (
    checks_of_group,
    export_checks,
    export_groups,
    export_metrics,
    export_scenarios,
    k6_export_parts,
    k6_run_duration_s,
    trend_stats,
)
from runners.model.frames import Frame, MetricsView

if TYPE_CHECKING:
    from runners.engine.live import RunEngine

SUMMARY_VERSION = 1


def _round(v: float | None, digits: int = 3) -> float | None:
    return None if v is None else round(v, digits)


def build_summary(engine: RunEngine, frame: Frame, so_far: bool = False) -> dict[str, Any]:
    """The summary of a finished run (keys documented in README, "JSON summary").

    Args:
        so_far: the summary of a run still going (written every second for a crash): groups without their
            per-group metrics, which can run to hundreds of kilobytes.
    """
    t = frame.totals
    duration = (engine.ended_at or frame.wall_t) - engine.started_at
    active = 0.0
    if t.first_sample_t is not None and t.last_sample_t is not None:
        active = float(t.last_sample_t - t.first_sample_t + 1)
    return {
        "summary_version": SUMMARY_VERSION,
        "run_name": engine.run_name,
        "run_dir": str(engine.run_dir),
        "status": frame.state.value,
        "status_detail": frame.status_detail,
        "k6_exit_code": frame.k6_exit_code,
        "duration_s": round(duration, 3),
        "requests": t.requests,
        "failed_requests": t.failed,
        "failed_rate": round(t.failed_rate, 6),
        "rps_mean": round(t.requests / active, 3) if active else 0.0,
        "latency_ms": {
            "p50": _round(t.latency.p50),
            "p90": _round(t.latency.p90),
            "p95": _round(t.latency.p95),
            "p99": _round(t.latency.p99),
            "max": _round(t.latency.max),
            "min": _round(t.latency_min),
            "avg": _round(t.latency_avg),
        },
        "checks_rate": _round(t.checks_rate, 6),
        "iterations": t.iterations,
        "data_sent_bytes": t.data_sent,
        "data_received_bytes": t.data_received,
        "parse_errors": frame.parse_errors,
        "endpoints": _endpoints(engine),
        "status_codes": _status_codes(engine),
        "thresholds": [
            {"metric": r.metric, "expression": r.expression, "value": _round(r.value, 6), "ok": r.ok_by_k6}
            for r in frame.thresholds
        ],
        "generator": _generator(engine, frame),
        **engine.rules.summary(),
        "critical_rule_fired": engine.rules.critical_fired,
        **engine.sources.summary(),
        "k6_summary_export": str(engine.summary_export) if engine.summary_export.is_file() else None,
        **_k6_metrics(engine, frame, so_far),
    }


def _k6_metrics(engine: RunEngine, frame: Frame, so_far: bool) -> dict[str, Any]:
    """`metrics` keyed like k6's `--summary-export`, then `checks`, `groups` and `scenarios`.

    From loadwatch's metric model (every sample); when it holds nothing, or only a push transport's aggregates,
    and k6 wrote its export, from that export, and `metrics_source` says which.
    """
    model = engine.stats.model
    keys = trend_stats(engine.spec.k6_args, engine.env)
    view = frame.metrics or MetricsView()
    duration = model.duration_s
    fresh = engine.ended_at is not None and _fresh(engine.summary_export, engine.started_at)
    if fresh:
        duration = k6_run_duration_s(engine.summary_export) or duration  # k6's own: exact Counter rates
    modelled = model.first_t is not None  # it folded at least one sample
    pushed = engine.spec.transport != "json"  # the model then holds a push's aggregates: k6's export is exact
    if (pushed or not modelled) and fresh and (k6 := k6_export_parts(engine.summary_export)) is not None:
        metrics, root = k6
        return {"metrics_source": "k6", "metrics": metrics, "checks": checks_of_group(root), "groups": root,
                "scenarios": {}}  # fmt: skip
    return {
        "metrics_source": "loadwatch" if modelled else None,
        "metrics": export_metrics(model, frame.thresholds, duration, keys),
        "checks": export_checks(view),
        "groups": export_groups(view, with_metrics=not so_far),
        "scenarios": export_scenarios(model, view),
    }


def _fresh(path: Path, started_at: float) -> bool:
    """True when k6 wrote this file during this run (a user's own export may be a previous run's)."""
    try:
        return path.stat().st_mtime >= started_at - 1
    except OSError:
        return False


def _endpoints(engine: RunEngine) -> list[dict[str, Any]]:
    stats = engine.stats
    active = 1.0
    if stats.first_t is not None and stats.last_t is not None:
        active = float(stats.last_t - stats.first_t + 1)
    rows = []
    for name, t in sorted(stats.endpoints.items(), key=lambda kv: -kv[1].requests):
        p50, p95, p99 = t.hist.percentiles((0.5, 0.95, 0.99))
        rows.append(
            {
                "name": name,
                "requests": t.requests,
                "rps_mean": round(t.requests / active, 3),
                "latency_ms": {"p50": _round(p50), "p95": _round(p95), "p99": _round(p99),
                               "max": _round(t.hist.max if t.hist.count else None)},
                "error_pct": round(100.0 * t.failed / t.requests, 4) if t.requests else 0.0,
                "status_codes": dict(sorted(t.statuses.items())),
                "error_codes": dict(sorted(t.error_codes.items())),
            }
        )  # fmt: skip
    return rows


def _status_codes(engine: RunEngine) -> dict[str, int]:
    codes: dict[str, int] = {}
    for t in engine.stats.endpoints.values():
        for k, v in t.statuses.items():
            codes[k or "0"] = codes.get(k or "0", 0) + v
    return dict(sorted(codes.items()))


def _generator(engine: RunEngine, frame: Frame) -> dict[str, Any] | None:
    g = frame.generator
    if g is None:
        return None
    return {
        "peak_loadwatch_rss_mb": round(engine.generator.peak_loadwatch_rss / 1e6, 1),
        "peak_box_cpu_pct": round(g.peak_box_cpu_pct, 1),
        "peak_k6_cpu_pct": round(g.peak_k6_cpu_pct, 1),
        "peak_k6_rss_mb": round(g.peak_k6_rss_bytes / 1e6, 1),
        "cores": g.cores,
        "saturated_s": round(g.saturated_s, 1),
        "warning": g.warning,
    }


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    """Write the summary JSON to a path the user chose."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2) + "\n")

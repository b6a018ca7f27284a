"""The run's totals as JSON (`--json-summary`); CI pipelines read it, so the keys are stable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runners.frames import Frame

if TYPE_CHECKING:
    from runners.engine import RunEngine

SUMMARY_VERSION = 1


def _round(v: float | None, digits: int = 3) -> float | None:
    return None if v is None else round(v, digits)


def build_summary(engine: RunEngine, frame: Frame) -> dict[str, Any]:
    """The summary of a finished run (keys documented in README, "JSON summary")."""
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
        "k6_summary_export": str(engine.summary_export) if engine.summary_export.is_file() else None,
    }


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    """Write the summary JSON to a path the user chose."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2) + "\n")

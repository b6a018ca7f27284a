"""A run as plain text for people: the closing summary printed on quit and `loadwatch show RUN`."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def verdict_word(status: str, thresholds_failed: int, critical_rules: int) -> str:
    """The one-word verdict of a run, as the end-of-run screen, the closing summary and `show` say it.

    Args:
        status: The run's final state (`RunState` value).
        thresholds_failed: How many k6 thresholds failed.
        critical_rules: How many rules fired at critical.

    Returns:
        PASS, FAIL, ABORTED, ERROR, or RUNNING while the run is not over.
    """
    if status in ("starting", "running", "stopping"):
        return "RUNNING"
    if status == "failed":
        return "ERROR"
    if status == "aborted":
        return "ABORTED"
    if thresholds_failed or status == "thresholds_failed" or critical_rules:
        return "FAIL"
    return "PASS"


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v:,.1f} ms"


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d}" if m < 60 else f"{m // 60}:{m % 60:02d}:{s:02d}"


def _threshold_lines(thresholds: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = []
    for t in thresholds:
        ok = t.get("ok")
        mark = "pass" if ok else ("FAIL" if ok is False else "?   ")
        value = t.get("value")
        shown = "-" if value is None else f"{value:.4g}"
        lines.append(f"  {mark}  {t.get('metric')} {t.get('expression')}  (value {shown})")
    return lines or ["  (the script declares no thresholds)"]


def _breach_lines(breaches: Sequence[Mapping[str, Any]], started_at: float | None) -> list[str]:
    lines = []
    for b in breaches[:12]:
        start = b.get("start")
        at = _clock(start - started_at) if isinstance(start, (int, float)) and started_at else "-"
        level = str(b.get("max_level") or b.get("level") or "").upper()
        lines.append(f"  {level:<8} {b.get('rule')} on {b.get('metric')} at {at} (worst {b.get('worst')})")
    if len(breaches) > 12:
        lines.append(f"  … and {len(breaches) - 12} more")
    return lines or ["  none: no rule fired"]


def card_lines(summary: Mapping[str, Any], *, started_at: float | None = None,
               report: Sequence[Path] = (), title: str = "") -> list[str]:  # fmt: skip
    """The run card: verdict, totals, thresholds, breaches, status codes, where the record and report are.

    Args:
        summary: The run's JSON summary (`build_summary`, `summary.json` in the record).
        started_at: The run's start (unix seconds), for breach times; None to leave them out.
        report: Report files written for the run, if any.
        title: A first line, if any.

    Returns:
        The lines, no trailing newlines.
    """
    thresholds = list(summary.get("thresholds") or [])
    failed = sum(1 for t in thresholds if t.get("ok") is False)
    breaches = list(summary.get("breaches") or [])
    critical = len({b.get("rule") for b in breaches if (b.get("max_level") or b.get("level")) == "critical"})
    status = str(summary.get("status") or "?")
    word = verdict_word(status, failed, critical)
    lat = summary.get("latency_ms") or {}
    checks = summary.get("checks_rate")
    lines = [title] if title else []
    lines += [
        f"{word}  run {summary.get('run_name')}: {status.replace('_', ' ')} ({summary.get('status_detail')})",
        f"  {failed} of {len(thresholds)} thresholds failed; {critical} rule(s) fired at critical",
        f"  duration {_clock(summary.get('duration_s'))}, {summary.get('requests', 0):,} requests "
        f"({summary.get('rps_mean', 0):,.1f} req/s avg), failed {100 * (summary.get('failed_rate') or 0):.2f} %, "
        f"checks {'-' if checks is None else f'{100 * checks:.2f} %'}",
        f"  latency p50 {_ms(lat.get('p50'))}  p95 {_ms(lat.get('p95'))}  p99 {_ms(lat.get('p99'))}  "
        f"max {_ms(lat.get('max'))}",
    ]
    codes = summary.get("status_codes") or {}
    total = sum(codes.values()) or 1
    if codes:
        lines.append("  status codes: " + ", ".join(
            f"{code} {n:,} ({100 * n / total:.1f} %)" for code, n in sorted(codes.items(), key=lambda kv: -kv[1])
        ))  # fmt: skip
    lines += ["thresholds", *_threshold_lines(thresholds), "breaches", *_breach_lines(breaches, started_at)]
    ceiling = summary.get("capacity_ceiling")
    if isinstance(ceiling, Mapping):
        lines.append(
            f"capacity ceiling: {ceiling.get('vus')} VUs, {ceiling.get('rps')} req/s at "
            f"{_clock(ceiling.get('elapsed_s'))} ({ceiling.get('rule')})"
        )
    lines.append(f"record: {summary.get('run_dir')}")
    if report:
        lines.append("report: " + ", ".join(str(p) for p in report))
    else:
        lines.append(f"report: not written (loadwatch report {Path(str(summary.get('run_dir'))).name})")
    return lines


def show_card(record: Mapping[str, Any]) -> str:
    """`loadwatch show RUN` for people: the run card plus marks, events and snapshots.

    Args:
        record: What `runners.record.index.show` returns.

    Returns:
        The text.
    """
    meta = record.get("meta") or {}
    summary = dict(record.get("summary") or {})
    summary.setdefault("run_name", meta.get("name") or Path(str(record.get("run_dir"))).name)
    summary.setdefault("status", meta.get("status"))
    summary.setdefault("status_detail", meta.get("status_detail") or meta.get("detail"))
    summary["run_dir"] = record.get("run_dir")
    started = meta.get("started_at")
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)) if started else "-"
    folder = Path(str(record.get("run_dir")))
    report = [p for p in (folder / "report.md", folder / "report.html") if p.is_file()]
    lines = card_lines(summary, started_at=started, report=report, title=f"run {folder.name} started {when}")
    marks = record.get("marks") or []
    lines.append(f"marks ({len(marks)})")
    for m in marks:
        at = _clock(m["t"] - started) if started else "-"
        lines.append(f"  {at}  {m.get('note') or '(instant mark)'}")
    lines.append(
        f"events: {len(record.get('events') or [])}, seconds recorded: {record.get('seconds_recorded')}"
    )
    snaps = record.get("snapshots") or []
    if snaps:
        lines.append("snapshots: " + ", ".join(Path(s).name for s in snaps))
    lines.append("(--json for everything, as JSON)")
    return "\n".join(lines)

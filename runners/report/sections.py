"""The report's first sections as tables: headline notes, run metadata, success criteria, totals, baseline."""

from __future__ import annotations

import re
from typing import Any

from runners.model.units import format_elapsed, format_unit_value, format_wall
from runners.report.format import Cell, Section, Table, cell, fmt_diff

MUST_MATCH = frozenset({"script sha256", "k6 version", "k6 arguments", "planned", "plan"})
"""Run fields that make two runs incomparable when they differ (highlighted in the side-by-side table)."""
SOFT_CLS = {"better": "better-soft", "worse": "worse-soft"}
"""Cells that hold numbers and a verdict: coloured, not bold (the verdict column is)."""
VERDICT_CLS = {
    "better": "better",
    "same": "same",
    "worse": "worse",
    "new": "muted",
    "gone": "muted",
    "n/a": "muted",
}


def headline(r: dict[str, Any]) -> Section:
    """Warnings that change how to read the numbers, then the verdict in one line."""
    notes: list[tuple[str, str]] = []
    run, crit, gen, base = r["run"], r["criteria"], r["generator"], r.get("baseline")
    if gen.get("saturated"):
        notes.append(
            (
                f"The load generator was saturated ({gen.get('warning') or 'see Load generator'}): "
                "the load it sent and the latency it measured are not trustworthy for that time.",
                "fail",
            )
        )
    if base and not base["comparable"]:
        notes.append(("The two runs may not be comparable: " + "; ".join(base["warnings"]) + ".", "warn"))
    if run.get("status") not in ("finished", "thresholds_failed"):
        notes.append((f"The run ended as {run.get('status')}: {run.get('status_detail') or ''}", "warn"))
    for problem in run.get("record_damage") or []:
        notes.append(
            (f"The run record is damaged ({problem}); this report covers what could be read", "warn")
        )
    if run.get("summary_partial"):
        notes.append(("The run was cut short: per-endpoint numbers and status codes are as the record kept "
                      "them each second, up to its last second; k6's own verdicts are missing.", "warn"))  # fmt: skip
    elif not run.get("summary_written"):
        notes.append(
            (
                "No summary.json: the run was cut short. Per-endpoint numbers and k6's verdicts are missing; "
                "totals come from the recorded seconds.",
                "warn",
            )
        )
    c = r.get("capacity_ceiling")
    if c:
        fired = c.get("fired_elapsed_s")
        when = f"; it fired at {format_elapsed(fired)}" if isinstance(fired, int | float) else ""
        notes.append(
            (
                f"Capacity ceiling: {format_unit_value(c.get('vus'))} VUs, {format_unit_value(c.get('rps'), 'req/s')} at "
                f"{format_elapsed(c.get('elapsed_s'))}, when {c.get('metric')} began crossing the critical level "
                f"of {c.get('rule')}{when}.",
                "fail",
            )
        )
    t = r["totals"]
    notes.append(
        (
            f"{crit['passed']} criteria passed, {crit['failed']} failed, {crit['warned']} warned"
            + (f", {crit['no_data']} without data" if crit["no_data"] else "")
            + f". {t['requests']:,} requests, {format_unit_value(t['error_pct'], '%')} failed, "
            f"{format_unit_value(t['rps_mean'], 'req/s')} on average, p95 {format_unit_value(t['latency_ms'].get('p95'), 'ms')}.",
            "fail" if crit["failed"] else "warn" if crit["warned"] else "ok",
        )
    )
    if base:
        n = base["counts"]
        notes.append(
            (
                f"Against the baseline ({base['run']['folder']}): {n['better']} metrics better, "
                f"{n['same']} the same within noise, {n['worse']} worse.",
                "info",
            )
        )
    return Section("summary", "Summary", notes=tuple(notes))


def _run_rows(run: dict[str, Any]) -> list[tuple[str, str]]:
    sha = run.get("script_sha256")
    return [
        ("run", str(run.get("folder"))),
        ("name", str(run.get("name"))),
        ("script", str(run.get("script") or "–")),
        ("script sha256", sha[:16] + "…" if sha else "–"),
        ("k6 version", str(run.get("k6_version") or "–")),
        ("k6 arguments", " ".join(run.get("k6_args") or []) or "(none)"),
        ("host", str(run.get("host") or "–")),
        ("started", format_wall(run.get("started_at"))),
        ("ended", format_wall(run.get("ended_at"))),
        ("duration", format_unit_value(run.get("duration_s"), "s")),
        ("planned", format_unit_value(run.get("planned_s"), "s")),
        ("plan", " / ".join(run.get("plan") or []) or "–"),
        ("status", f"{run.get('status')}: {run.get('status_detail') or ''}"),
        ("k6 exit code", str(run.get("k6_exit_code"))),
        ("stopped by", str(run.get("stopped_by") or "–")),
        ("window", format_unit_value(run.get("window_s"), "s")),
    ]


def _differs(key: str, here: str, there: str | None) -> bool:
    # Only fields that decide comparability, and only when both runs know them.
    return key in MUST_MATCH and there is not None and "–" not in (here, there) and here != there


def run_meta(r: dict[str, Any]) -> Section:
    """What ran, where and how it ended; with a baseline, both side by side."""
    rows = _run_rows(r["run"])
    base = r.get("baseline")
    if not base:
        return Section(
            "run", "Run", tables=(Table(("", "this run"), tuple((Cell(k), Cell(v)) for k, v in rows)),)
        )
    other = dict(_run_rows(base["run"]))
    return Section(
        "run",
        "Run",
        tables=(
            Table(
                ("", "this run", "baseline"),
                tuple(
                    (
                        Cell(k),
                        Cell(v),
                        Cell(other.get(k, "–"), "warn" if _differs(k, v, other.get(k)) else ""),
                    )
                    for k, v in rows
                ),
            ),
        ),
    )


def criteria(r: dict[str, Any]) -> Section:
    """The success-criteria table: metric, target, actual (p95, worst, time beyond), result and why."""
    crit = r["criteria"]
    rows = []
    for c in crit["rows"]:
        what = f"rule {c['name']}" if c["kind"] == "rule" else "k6 threshold"
        actual = format_unit_value(c["actual"], c["unit"]) + (
            f" ({c['actual_is']})" if c["actual"] is not None else ""
        )
        if c.get("worst") is not None and c.get("actual_is", "").startswith("p95"):
            actual += f", worst {format_unit_value(c['worst'], c['unit'])}"
        about = re.split(r" \(|: ", str(c.get("detail") or ""), maxsplit=1)[0]  # a rule's description
        why = str(c.get("reason") or "") or about
        if c.get("fired"):
            why += f"; the rule fired at {c['fired']}"
        rows.append(
            (
                Cell(c.get("path") or c["metric"], "code"),
                Cell(c["target"], "code"),
                Cell(actual, "num"),
                Cell(c["status"], c["status"] if c["status"] in ("pass", "fail", "warn") else "muted"),
                Cell(what),
                Cell(why, "muted"),
            )
        )
    notes: list[tuple[str, str]] = [(crit["note"], "info")] if crit["note"] else []
    notes.append(
        (
            "A rule's criterion judges the whole run from its recorded values, whether or not the rule fired: "
            "fail when the value was beyond the target for more than 5 % of the measured seconds (p95 beyond "
            "the target) or the rule fired at critical; warn when it went beyond only briefly.",
            "",
        )
    )
    if not rows:
        notes.append(("No rule is recorded and the script declares no k6 thresholds.", "info"))
    return Section(
        "criteria",
        "Success criteria",
        notes=tuple(notes),
        tables=(Table(("metric", "target", "actual", "result", "criterion", "why"), tuple(rows)),)
        if rows
        else (),
    )


TOTALS = (
    ("requests", "requests", ""),
    ("failed requests", "failed_requests", ""),
    ("failed %", "error_pct", "%"),
    ("requests/s (mean)", "rps_mean", "req/s"),
    *((f"latency {q}", q, "ms") for q in ("p50", "p90", "p95", "p99", "max", "min", "avg")),
    ("checks passed", "checks_pct", "%"),
    ("iterations", "iterations", ""),
    ("VUs (max)", "vus_max", ""),
    ("data sent", "data_sent_bytes", "bytes"),
    ("data received", "data_received_bytes", "bytes"),
)


def _get(d: dict[str, Any] | None, key: str) -> Any:
    if d is None:
        return None
    return (
        d["latency_ms"].get(key) if key in ("p50", "p90", "p95", "p99", "max", "min", "avg") else d.get(key)
    )


def totals(r: dict[str, Any]) -> Section:
    """Whole-run numbers from loadwatch's record next to k6's own end-of-test summary."""
    t, k = r["totals"], r.get("k6_summary")
    rows = tuple(
        (Cell(label), cell(_get(t, key), unit), cell(_get(k, key), unit)) for label, key, unit in TOTALS
    )
    note = (
        "loadwatch's requests/s is over the seconds k6 sent samples in; k6's over its whole run time. "
        f"Latency percentiles come from {t['latency_source']} (log buckets, within 0.5 %)."
    )
    return Section(
        "totals", "Totals", notes=((note, ""),), tables=(Table(("", "loadwatch record", "k6 summary"), rows),)
    )


def _pair(f: dict[str, Any]) -> Cell:
    unit = f.get("unit", "")
    text = f"{format_unit_value(f['baseline'], unit)} → {format_unit_value(f['current'], unit)}"
    return Cell(
        text + (f" ({fmt_diff(f)})" if f.get("diff") is not None else ""), SOFT_CLS.get(f["verdict"], "")
    )


def comparison(r: dict[str, Any]) -> Section | None:
    """Each metric and each endpoint beside the baseline, with the difference and a verdict."""
    base = r.get("baseline")
    if not base:
        return None
    metrics = tuple(
        (
            Cell(m["label"]),
            cell(m["baseline"], m["unit"]),
            cell(m["current"], m["unit"]),
            Cell(fmt_diff(m), "num"),
            Cell(m["verdict"], VERDICT_CLS[m["verdict"]]),
        )
        for m in base["metrics"]
    )
    eps = tuple(
        (
            Cell(e["name"]),
            _pair(e["requests"]),
            _pair(e["p95"]),
            _pair(e["p99"]),
            _pair(e["error_pct"]),
            Cell(e["verdict"], VERDICT_CLS.get(e["verdict"], "")),
        )
        for e in base["endpoints"]
    )
    noise = "Same within noise means inside: " + "; ".join(base["noise"].values()) + "."
    notes = (*((w, "warn") for w in base["warnings"]), (noise, ""))
    return Section(
        "baseline",
        f"Compared with the baseline {base['run']['folder']}",
        notes=notes,
        tables=(
            Table(("metric", "baseline", "this run", "difference", "verdict"), metrics, "Metrics"),
            Table(
                ("endpoint", "requests", "p95", "p99", "failed %", "verdict"),
                eps,
                "Endpoints (baseline → this run)",
            ),
        ),
    )

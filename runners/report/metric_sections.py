"""The report's k6 sections as tables: scenarios, checks by name, every metric (k6's summary) and groups."""

from __future__ import annotations

from typing import Any

from runners.model.metric_paths import K6_BUILTINS
from runners.report.format import Cell, Section, Table, cell

TYPE_TABLES = (
    ("trend", "Trends", ("count", "avg", "min", "med", "max", "p(90)", "p(95)", "p(99)")),
    ("counter", "Counters", ("count", "rate")),
    ("rate", "Rates", ("value", "passes", "fails")),
    ("gauge", "Gauges", ("value", "min", "max")),
)


def _unit(m: dict[str, Any], key: str) -> str:
    if key in ("count", "passes", "fails") and m["type"] != "counter":
        return ""
    if m["type"] == "rate" and key == "value":
        return "ratio"
    if m["contains"] == "time":
        return ""  # the table says times are in ms: a unit on every cell would not fit
    if m["contains"] == "data":
        return "bytes" if key != "rate" else "B/s"
    return "/s" if key == "rate" else ""


def _section(m: dict[str, Any]) -> str:
    """k6's section of a metric; checks have their own (k6 prints them apart from the script's metrics)."""
    return "checks" if m["name"].split("{", 1)[0] == "checks" else str(m["section"]).lower()


def _mark(t: dict[str, Any]) -> str:
    return f"{'✓' if t['ok'] else '✗' if t['ok'] is False else '?'} {t['expression']}"


def metrics(r: dict[str, Any]) -> Section | None:
    """Every k6 metric and sub-metric as k6's end-of-test summary gives it, one table per type."""
    k = r.get("k6_metrics") or {}
    rows = k.get("metrics") or []
    if not rows:
        return None
    tables = []
    for kind, caption, keys in TYPE_TABLES:
        mine = [m for m in rows if m["type"] == kind]
        if mine:
            body = tuple(
                (Cell(_section(m), "muted"), Cell(m["name"], "code"),
                 *(cell(m["values"].get(key), _unit(m, key)) for key in keys))
                for m in mine
            )  # fmt: skip
            title = caption + (" (times in ms)" if kind == "trend" else "")
            tables.append(Table(("section", "metric", *keys), body, title))
    custom = sum(
        m["section"] == "CUSTOM" and "{" not in m["name"] and m["name"] not in K6_BUILTINS for m in rows
    )
    note = (f"{len(rows)} metrics and sub-metrics, {custom} of them the script's own (section custom), "
            f"whole run, read from the {k.get('source')}. Trend percentiles are within 1 % (log buckets); "
            "a Counter's rate is per second of the run; a Rate's value is its share of non-zero samples.")  # fmt: skip
    marks = [
        f"{m['name']}: {'  '.join(_mark(t) for t in m['thresholds'])}" for m in rows if m.get("thresholds")
    ]
    notes = [(note, "")]
    if marks:
        failed = any(t["ok"] is False for m in rows for t in m.get("thresholds") or [])
        notes.append(("Thresholds (see Success criteria): " + "; ".join(marks), "warn" if failed else "info"))
    return Section("metrics", "Metrics (k6 summary)", notes=tuple(notes), tables=tuple(tables))


def checks(r: dict[str, Any]) -> Section | None:
    """Each check by name (and group): passes, fails and the share that passed."""
    rows = (r.get("k6_metrics") or {}).get("checks") or []
    if not rows:
        return None
    body = tuple(
        (Cell(c["name"], "code"), Cell(c.get("group") or "(root)", "muted"), cell(c["passes"]),
         cell(c["fails"]), cell(c.get("pass_pct"), "%"),
         Cell("pass" if not c["fails"] else "fail", "pass" if not c["fails"] else "fail"))
        for c in rows
    )  # fmt: skip
    failing = [c["name"] for c in rows if c["fails"]]
    note = f"{len(failing)} of {len(rows)} checks failed at least once." if failing else "Every check passed."
    level = "warn" if failing else "ok"
    table = Table(("check", "group", "passes", "fails", "passed", "result"), body)
    return Section("checks", "Checks", notes=((note, level),), tables=(table,))


def groups(r: dict[str, Any]) -> Section | None:
    """The script's groups as a tree: requests, failed %, latency p95, group duration p95, checks."""
    rows = (r.get("k6_metrics") or {}).get("groups") or []
    if not rows:
        return None
    body = tuple(
        (Cell("· " * (g["depth"] - 1) + g["name"], "code"), cell(g.get("requests")), cell(g.get("failed_pct"), "%"),
         cell(g.get("p95_ms"), "ms"), cell(g.get("duration_p95_ms"), "ms"),
         Cell(f"{g['checks_passes']:,} / {g['checks_passes'] + g['checks_fails']:,}" if g["checks_passes"] +
              g["checks_fails"] else "–", "num"))
        for g in rows
    )  # fmt: skip
    table = Table(("group", "requests", "failed", "p95", "group duration p95", "checks passed"), body)
    note = (
        "Nested groups are indented; each row counts what ran inside that group itself (not its subgroups)."
    )
    return Section("groups", "Groups", notes=((note, ""),), tables=(table,))


def scenarios(r: dict[str, Any]) -> Section | None:
    """Each scenario: iterations, their mean rate, dropped iterations, requests, latency p95, checks."""
    rows = (r.get("k6_metrics") or {}).get("scenarios") or []
    if not rows:
        return None
    body = tuple(
        (Cell(s["name"], "code"), cell(s.get("iterations")), cell(s.get("iterations_per_s"), "/s"),
         cell(s.get("dropped_iterations"), cls="num warn" if s.get("dropped_iterations") else "num"),
         cell(s.get("requests")), cell(s.get("p95_ms"), "ms"), cell(s.get("checks_pass_pct"), "%"))
        for s in rows
    )  # fmt: skip
    notes: list[tuple[str, str]] = []
    dropped = [s for s in rows if s.get("dropped_iterations")]
    for s in dropped:
        notes.append((f"Scenario {s['name']} dropped {s['dropped_iterations']:,} iterations: its arrival rate "
                      "needed more VUs than it had (the load planned was not sent).", "warn"))  # fmt: skip
    table = Table(
        ("scenario", "iterations", "iterations/s", "dropped", "requests", "p95", "checks passed"), body
    )
    return Section("scenarios", "Scenarios", notes=tuple(notes), tables=(table,))

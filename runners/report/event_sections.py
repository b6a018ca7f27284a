"""The report's later sections as tables: endpoints, codes and errors, breaches, breach log, marks, generator."""

from __future__ import annotations

from typing import Any

from runners.model.units import format_elapsed, format_unit_value
from runners.report.format import GAUGE_UNIT, Cell, Section, Table, cell
from runners.report.values import unit_of

LEVEL_CLS = {"critical": "fail", "warning": "warn"}


def endpoints(r: dict[str, Any]) -> Section:
    """Per endpoint: requests, rate, latency percentiles, failed % and status codes, busiest first."""
    rows = []
    for e in r["endpoints"]:
        lat = e.get("latency_ms") or {}
        codes = ", ".join(f"{c}: {n:,}" for c, n in (e.get("status_codes") or {}).items())
        rows.append(
            (
                Cell(e["name"]),
                cell(e["requests"]),
                cell(e.get("rps_mean"), "req/s"),
                cell(lat.get("p50"), "ms"),
                cell(lat.get("p95"), "ms"),
                cell(lat.get("p99"), "ms"),
                cell(lat.get("max"), "ms"),
                cell(e.get("error_pct"), "%", "fail" if (e.get("error_pct") or 0) > 0 else "num"),
                Cell(codes),
            )
        )
    if not rows:
        return Section(
            "endpoints",
            "Endpoints",
            notes=(("No per-endpoint numbers (they are written when the run ends).", "info"),),
        )
    return Section(
        "endpoints",
        "Endpoints",
        tables=(
            Table(
                ("endpoint", "requests", "req/s", "p50", "p95", "p99", "max", "failed %", "status codes"),
                tuple(rows),
            ),
        ),
    )


CONTAINER_UNIT = {"cpu_pct": ("CPU", "%"), "mem_pct": ("memory", "%"), "mem_bytes": ("memory", "bytes")}


def system(r: dict[str, Any]) -> Section | None:
    """The system under test: each gauge series and each container's CPU and memory over the run."""
    sut = r["system"]
    tables = []
    if sut["gauges"]:
        rows = []
        for g in sut["gauges"]:
            unit = GAUGE_UNIT.get(g["unit"], g["unit"])
            name = f"{g['gauge']} {g['series']}".strip()
            rows.append(
                (Cell(name), *(cell(g[k], unit) for k in ("min", "mean", "max", "last")), cell(g["samples"]))
            )
        tables.append(Table(("gauge", "min", "mean", "max", "last", "seconds"), tuple(rows), "Gauges"))
    if sut["containers"]:
        rows = []
        for c in sut["containers"]:
            label, unit = CONTAINER_UNIT[c["metric"]]
            rows.append((Cell(f"{c['container']} {label}"), *(cell(c[k], unit) for k in ("min", "mean", "max", "last")),
                         cell(c["samples"])))  # fmt: skip
        tables.append(
            Table(("container", "min", "mean", "max", "last", "seconds"), tuple(rows), "Containers")
        )
    if not tables:
        return None
    return Section("system", "System under test", tables=tuple(tables))


def codes(r: dict[str, Any]) -> Section:
    """HTTP status codes, k6 error codes and the warnings and errors k6 printed."""
    c = r["codes"]
    tables = []
    if c["status_codes"]:
        tables.append(
            Table(
                ("status", "responses", "share"),
                tuple(
                    (
                        Cell(
                            f"{s['code']} {s['label']}".strip(),
                            "fail" if str(s["code"])[:1] in ("0", "5") else "",
                        ),
                        cell(s["count"]),
                        cell(s["pct"], "%"),
                    )
                    for s in c["status_codes"]
                ),
                "HTTP status codes",
            )
        )
    if c["error_codes"]:
        tables.append(
            Table(
                ("k6 error code", "meaning", "count"),
                tuple((Cell(str(e["code"])), Cell(e["meaning"]), cell(e["count"])) for e in c["error_codes"]),
                "k6 error codes",
            )
        )
    if c["messages"]:
        tables.append(
            Table(
                ("level", "message", "count"),
                tuple(
                    (
                        Cell(m["level"], LEVEL_CLS.get(m["level"], "fail")),
                        Cell(m["message"]),
                        cell(m["count"]),
                    )
                    for m in c["messages"]
                ),
                "What k6 reported (stderr)",
            )
        )
    notes = () if tables else (("No status codes or errors recorded.", "info"),)
    return Section("codes", "Status codes and errors", notes=notes, tables=tuple(tables))


def breaches(r: dict[str, Any]) -> Section:
    """Each rule that fired: level reached, when, how long, worst value; then the capacity ceiling."""
    rows = tuple(
        (
            Cell(str(b["rule"])),
            Cell(str(b["metric"]), "code"),
            Cell(str(b["level"]), LEVEL_CLS.get(str(b["level"]), "")),
            Cell(format_elapsed(b["start_s"])),
            Cell(format_elapsed(b["end_s"]) if b["end_s"] is not None else "still firing"),
            cell(b.get("duration_s"), "s"),
            cell(b.get("worst"), unit_of(str(b["metric"]))),
            Cell(
                f"{b.get('op') or ''} {format_unit_value(b.get('threshold'), unit_of(str(b['metric'])))}".strip()
            ),
        )
        for b in r["breaches"]
    )
    rows = tuple(
        (
            *row[:2],
            Cell(f"{row[2].text} ×{b['fires']}", row[2].cls) if (b.get("fires") or 1) > 1 else row[2],
            *row[3:],
        )
        for row, b in zip(rows, r["breaches"], strict=True)
    )
    c = r.get("capacity_ceiling")
    if c:
        u = unit_of(str(c.get("metric") or ""))
        fired = ""
        if isinstance(c.get("fired_elapsed_s"), int | float):
            fired = (
                f" The rule fired at {format_elapsed(c['fired_elapsed_s'])}, with {format_unit_value(c.get('fired_vus'))} VUs "
                f"and {format_unit_value(c.get('fired_rps'), 'req/s')}: the ceiling is the load when the crossing began."
            )
        ceiling = (
            f"Capacity ceiling (load at the first sustained critical crossing): {format_unit_value(c.get('vus'))} VUs and "
            f"{format_unit_value(c.get('rps'), 'req/s')} at {format_elapsed(c.get('elapsed_s'))}"
            f"{' of ' + format_unit_value(c.get('planned_s'), 's') + ' planned' if c.get('planned_s') else ''}, when "
            f"{c.get('metric')} crossed {format_unit_value(c.get('threshold'), u)} for {c.get('rule')} "
            f"({format_unit_value(c.get('value'), u)} when it fired).{fired}"
        )
    else:
        ceiling = "No critical rule fired: no capacity ceiling was reached in this run."
    notes: tuple[tuple[str, str], ...] = ((ceiling, "fail" if c else "info"),)
    if not rows:
        return Section(
            "breaches", "Breaches and capacity ceiling", notes=(("No rule fired.", "info"), *notes)
        )
    return Section(
        "breaches",
        "Breaches and capacity ceiling",
        notes=notes,
        tables=(Table(("rule", "metric", "level", "from", "to", "duration", "worst", "threshold"), rows),),
    )


def breach_log(r: dict[str, Any]) -> Section:
    """Every transition of every rule, in time order."""
    rows = tuple(
        (
            Cell(format_elapsed(e["elapsed_s"])),
            Cell(str(e["rule"])),
            Cell(
                str(e["transition"]),
                LEVEL_CLS.get(str(e["level"]), "") if e["transition"] in ("firing", "escalated") else "",
            ),
            Cell(str(e.get("level") or "")),
            Cell(str(e.get("message") or "")),
        )
        for e in r["breach_log"]
    )
    if not rows:
        return Section("breach-log", "Breach log", notes=(("No rule changed state.", "info"),))
    return Section(
        "breach-log", "Breach log", tables=(Table(("time", "rule", "transition", "level", "message"), rows),)
    )


def marks(r: dict[str, Any]) -> Section:
    """The marks typed during the run, with their notes."""
    rows = tuple(
        (
            Cell(f"M{m['n']}"),
            Cell(format_elapsed(m["elapsed_s"])),
            Cell(m["note"] or "(no note)"),
            Cell(m["by"], "muted"),
        )
        for m in r["marks"]
    )
    if not rows:
        return Section("marks", "Marks", notes=(("No marks were set during this run.", "info"),))
    return Section("marks", "Marks", tables=(Table(("mark", "time", "note", "by"), rows),))


def generator(r: dict[str, Any]) -> Section:
    """The load generator's health, and a warning when it, not the target, was the bottleneck."""
    g = r["generator"]
    if not g.get("recorded") and not g["episodes"]:
        return Section(
            "generator", "Load generator", notes=(("The generator's health was not recorded.", "info"),)
        )
    rows = (
        ("CPU cores", cell(g.get("cores"))),
        ("peak box CPU", cell(g.get("peak_box_cpu_pct"), "%")),
        ("peak k6 CPU", cell(g.get("peak_k6_cpu_pct"), "%")),
        ("peak k6 memory", cell(g.get("peak_k6_rss_mb"), "MB")),
        ("peak loadwatch memory", cell(g.get("peak_loadwatch_rss_mb"), "MB")),
        ("seconds saturated", cell(g.get("saturated_s"), "s", "fail" if g.get("saturated") else "num")),
    )
    notes: list[tuple[str, str]] = []
    if g.get("saturated"):
        notes.append(
            (
                f"Saturated: {g.get('warning') or 'the generator ran out of CPU'}. Numbers from those seconds "
                "measure the generator, not the target.",
                "fail",
            )
        )
    else:
        notes.append(("The generator was never saturated: the numbers measure the target.", "info"))
    for e in g["episodes"]:
        notes.append(
            (
                f"{format_elapsed(e['elapsed_s'])} {e['state']}: {e['warning'] or ''}".strip(),
                "warn" if e["state"] == "saturated" else "",
            )
        )
    return Section(
        "generator",
        "Load generator",
        notes=tuple(notes),
        tables=(Table(("", "value"), tuple((Cell(k), v) for k, v in rows)),),
    )


def sources(r: dict[str, Any]) -> Section | None:
    """Where the gauges came from and every fault of their source (down, slow, invalid, no data) and its end."""
    src = r.get("sources") or {}
    if not src.get("source") and not src.get("log"):
        return None
    where = src.get("url") or ", ".join(src.get("targets") or []) or "?"
    notes: list[tuple[str, str]] = [
        (
            f"{len(src.get('gauges') or [])} gauges from {src.get('source')} {where}, polled every "
            f"{format_unit_value(src.get('interval_s'), 's')}.",
            "",
        )
    ]
    faults = src.get("faults") or []
    if faults:
        total = sum(f["end_s"] - f["start_s"] for f in faults)
        notes.append(
            (
                f"{len(faults)} fault spans, {total:.0f} s of gauge time without data (the gray bands on the charts).",
                "warn",
            )
        )
    else:
        notes.append(("No source fault: every gauge answered every poll.", "info"))
    rows = tuple(
        (Cell(format_elapsed(e["elapsed_s"])), Cell(str(e["state"])), Cell(e["text"]))
        for e in src.get("log") or []
    )
    tables = (Table(("at", "state", "what"), rows),) if rows else ()
    return Section("sources", "Gauge sources", notes=tuple(notes), tables=tables)

"""Text for rules and breaches: values with the unit their path implies, durations, the `loadwatch rules` table."""

from __future__ import annotations

import math
from collections.abc import Sequence

from runners.model.rule_spec import Rule

_BYTE_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")
PERCENT_GAUGES = frozenset({"cpu", "memory", "db_pool", "redis_clients", "cache_hit"})
"""The preset gauges, all in percent (the Prometheus side's contract)."""


def _number(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    size = abs(value)
    if size >= 100 or value == int(value):
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 0.1:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


def _exact(value: float) -> str:
    return format(value, ",.10g") if math.isfinite(value) else str(value)


def format_value(path: str, value: float | None, *, exact: bool = False) -> str:
    """Format a value with the unit its metric path implies.

    Args:
        path: The metric path or glob (`k6.p95_ms`, `container.*.mem_bytes`, `gauge.cpu`).
        value: The value; None when there is no data.
        exact: Keep every significant digit (for thresholds); else round for reading.

    Returns:
        For example `612 ms`, `1.5 %`, `1.2 GiB`, `830/s`, or `no data`.
    """
    if value is None:
        return "no data"
    number = _exact if exact else _number
    suffix = path.rsplit(".", 1)[-1]
    if path.startswith("gauge.") and path.split(".")[1].rstrip("*?") in PERCENT_GAUGES:
        return f"{number(value)} %"
    if suffix.endswith("_ms"):
        return f"{number(value)} ms"
    if suffix.endswith("_pct"):
        return f"{number(value)} %"
    if suffix.endswith("_mb"):
        return f"{number(value)} MB"
    if suffix == "rps" or suffix.endswith("_per_s"):
        return f"{number(value)}/s"
    if suffix.endswith("_bytes"):
        size, unit = float(value), 0
        while abs(size) >= 1024 and unit < len(_BYTE_UNITS) - 1:
            size /= 1024
            unit += 1
        return f"{number(size)} {_BYTE_UNITS[unit]}"
    return number(value)


def format_seconds(seconds: float) -> str:
    """Format a duration compactly: `0s`, `10s`, `1m30s`, `2h5m`.

    Args:
        seconds: The duration in seconds.

    Returns:
        The text.
    """
    if 0 < seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m{secs}s" if secs else f"{minutes}m"
    return f"{secs}s"


def describe_condition(rule: Rule) -> str:
    """The rule as one phrase: `k6.p95_ms > 300 ms (warning) / 500 ms (critical) for 10s`."""
    levels = []
    if rule.warning is not None:
        levels.append(f"{format_value(rule.metric, rule.warning, exact=True)} (warning)")
    if rule.critical is not None:
        levels.append(f"{format_value(rule.metric, rule.critical, exact=True)} (critical)")
    text = f"{rule.metric} {rule.op} {' / '.join(levels)}"
    return f"{text} for {format_seconds(rule.for_s)}" if rule.for_s else text


def _level(rule: Rule, value: float | None) -> str:
    return "-" if value is None else f"{rule.op} {format_value(rule.metric, value, exact=True)}"


def format_rules(rules: Sequence[Rule]) -> str:
    """A readable table of rules for `loadwatch rules`, followed by each rule's description.

    Args:
        rules: The active rules, in evaluation order.

    Returns:
        The text, ending with a newline; a short note when there are no rules.
    """
    if not rules:
        return "No alert rules are active (defaults disabled and none configured).\n"
    head = ("NAME", "METRIC", "WARNING", "CRITICAL", "FOR", "SHARE", "CLEAR", "ACTIONS", "SOURCE")
    rows = [head]
    for r in rules:
        clear = format_value(r.metric, r.clear_level, exact=True) if r.clear is not None else "="
        rows.append(
            (
                r.name,
                r.metric,
                _level(r, r.warning),
                _level(r, r.critical),
                format_seconds(r.for_s),
                f"{r.share:.0%}" if r.for_s else "-",
                clear,
                r.actions.describe(),
                r.origin or r.source,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.append("")
    lines.append(
        "A level holds once the value crossed it for SHARE of the last FOR seconds (its crossings began at least"
    )
    lines.append(
        "FOR ago); it resolves once back past CLEAR ('=': its first level) and crossed for less than SHARE."
    )
    later = [r.name for r in rules if r.metric.split(".", 1)[0] in ("endpoint", "container")]
    if later:
        lines.append(f"Waiting for data until a matching endpoint or container appears: {', '.join(later)}.")
    described = [r for r in rules if r.description]
    if described:
        lines.append("")
        lines.extend(f"{r.name}: {r.description}" for r in described)
    for r in rules:
        if r.actions.command:
            lines.append(
                f"{r.name} runs: {' '.join(r.actions.command)} (timeout {r.actions.command_timeout_s:g} s)"
            )
    return "\n".join(lines) + "\n"


def path_part(path: str, pattern: str) -> str:
    """What a glob matched: the path without the pattern's literal head and tail.

    Args:
        path: The concrete path (`endpoint.GET /search.p95_ms`).
        pattern: The rule's metric (`endpoint.*search*.p95_ms`); an exact path gives "".

    Returns:
        For example `GET /search`; "" when the glob matched nothing; the whole path when the pattern
        does not frame it.
    """
    if path == pattern:
        return ""
    cut = [i for i, c in enumerate(pattern) if c in "*?"]
    if not cut:
        return path
    head, tail = pattern[: cut[0]], pattern[cut[-1] + 1 :]
    if len(head) + len(tail) <= len(path) and path.startswith(head) and path.endswith(tail):
        return path[len(head) : len(path) - len(tail)].strip(".")
    return path


def breach_label(rule: str, path: str, pattern: str) -> str:
    """A rule's name plus, for a glob rule, what it matched: `db-connections primary`."""
    part = path_part(path, pattern)
    return f"{rule} {part}" if part else rule

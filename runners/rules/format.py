"""Text for rules and breaches: conditions, glob matches and the `loadwatch rules` table (numbers: runners.model.units)."""

from __future__ import annotations

from collections.abc import Sequence

from runners.model.metric_paths import parse_metric_path
from runners.model.rule_spec import Rule
from runners.model.units import format_seconds, format_value
from runners.rules.metrics import emitted_later


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
    custom = [r for r in rules if r.metric.startswith("metric.") and emitted_later(r.metric)[0] != "ok"]
    if custom:
        lines.append(
            "Not k6 built-in metrics, so known once k6 emits them (the screen says 'no such metric yet' until then): "
            + ", ".join(f"{r.name} ({parse_metric_path(r.metric).metric})" for r in custom)
            + "."
        )
    checks = [r for r in rules if r.metric.startswith("check.")]
    if checks:
        lines.append(
            "Checks, known once the script runs them: "
            + ", ".join(f"{r.name} ({parse_metric_path(r.metric).check})" for r in checks)
            + "."
        )
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

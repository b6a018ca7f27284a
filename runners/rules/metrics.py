"""Which metric paths a run can give, so a rule on a misspelt metric is an error at start, not a silent rule."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from fnmatch import fnmatchcase
from typing import Literal

from runners.model.metric_paths import K6_BUILTINS, parse_metric_path
from runners.model.rule_spec import SOURCES, Rule

LATER_SOURCES = frozenset({"endpoint", "container", "metric", "check"})
"""Sources whose names appear during the run: a rule on them waits for data rather than failing."""
Availability = Literal["ok", "waiting", "unknown"]


def known_paths(gauge_names: Sequence[str]) -> list[str]:
    """Every fixed path a run can give: k6's, the generator's and each configured gauge's."""
    paths = [
        f"{src}.{m}" for src, names in SOURCES.items() if names and src not in LATER_SOURCES for m in names
    ]
    return sorted(paths + [f"gauge.{g}" for g in gauge_names])


def availability(metric: str, gauge_names: Sequence[str]) -> tuple[Availability, str]:
    """Whether a rule's metric can ever have data in this run.

    Args:
        metric: The rule's metric path or glob (already checked by `check_rule`).
        gauge_names: The configured gauges.

    Returns:
        ("ok", ""), ("waiting", why it may come later) or ("unknown", the problem with the nearest names).
    """
    source, _, rest = metric.partition(".")
    if source in ("metric", "check"):
        return emitted_later(metric)
    if source in LATER_SOURCES:
        return "waiting", f"{source}s appear during the run: waiting for data until one matches"
    if source != "gauge":
        return "ok", ""
    name = rest.split(".", 1)[0]
    if any(fnmatchcase(g, name) for g in gauge_names) or (
        any(c in name for c in "*?") and any(fnmatchcase(f"gauge.{g}", metric) for g in gauge_names)
    ):
        return "ok", ""
    configured = ", ".join(f"gauge.{g}" for g in gauge_names) or "none"
    return (
        "unknown",
        f"no configured gauge gives {metric!r} (gauges: {configured}){nearest(metric, gauge_names)}",
    )


def emitted_later(metric: str) -> tuple[Availability, str]:
    """A `metric.` or `check.` rule: a k6 built-in is known now; a custom metric or a check once k6 emits it."""
    try:
        path = parse_metric_path(metric)
    except ValueError as exc:
        return "unknown", str(exc)
    if path.source == "check":
        return "waiting", "checks are known once the script runs them: waiting for k6 to emit this one"
    if path.metric in K6_BUILTINS:
        return "ok", ""
    return (
        "waiting",
        f"{path.metric} is not a k6 built-in metric: it is known once k6 emits it (a custom metric)",
    )


def nearest(metric: str, gauge_names: Sequence[str]) -> str:
    """`; nearest: a, b` with the closest known paths, or "" when none is close."""
    found = difflib.get_close_matches(metric, known_paths(gauge_names), n=3, cutoff=0.5)
    return f"; nearest: {', '.join(found)}" if found else ""


def unknown_metrics(rules: Sequence[Rule], gauge_names: Sequence[str]) -> list[tuple[Rule, str]]:
    """Rules whose metric no source of this run can give, with the problem for each."""
    out = []
    for rule in rules:
        state, why = availability(rule.metric, gauge_names)
        if state == "unknown":
            out.append((rule, why))
    return out

"""Alert rules: what a rule says (metric, comparison, levels, duration, hysteresis, actions) and checks on it."""

from __future__ import annotations

import difflib
import math
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fnmatch import translate
from typing import Any, Literal, get_args

from runners.model.metric_paths import parse_metric_path

Op = Literal[">", ">=", "<", "<="]
Level = Literal["warning", "critical"]
AbortLevel = Literal["never", "warning", "critical"]
RuleSource = Literal["default", "config", "override"]

OPS: tuple[Op, ...] = get_args(Op)
ABORT_LEVELS: tuple[AbortLevel, ...] = get_args(AbortLevel)
COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
K6_METRICS = frozenset(
    {"rps", "error_pct", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "vus", "checks_pct", "iterations_per_s"}
)
ENDPOINT_METRICS = frozenset({"rps", "error_pct", "p95_ms", "p99_ms"})
CONTAINER_METRICS = frozenset({"cpu_pct", "mem_pct", "mem_bytes", "restarts"})
SOURCES: dict[str, frozenset[str] | None] = {
    "k6": K6_METRICS,
    "endpoint": ENDPOINT_METRICS,
    "gauge": None,  # any gauge name, any series
    "container": CONTAINER_METRICS,
    "host": frozenset({"cpu_pct", "mem_pct"}),
    "k6proc": frozenset({"cpu_pct", "rss_mb"}),
    "metric": None,  # any k6 metric or sub-metric: metric.<selector>.<stat> (runners.model.metric_paths)
    "check": None,  # any check by name: check.<name>.<stat>
}
GLOB_CHARS = ("*", "?")
MAX_COMMAND_TIMEOUT_S = 300.0
DEFAULT_SHARE = 0.5
"""Share of a rule's `for` window the value must cross a level for the level to hold (README, "How rules judge")."""


@dataclass(frozen=True, slots=True)
class RuleActions:
    """What a rule does when it fires: ring the bell, run a command (argument list), abort the run."""

    bell: bool = False
    command: tuple[str, ...] | None = None
    command_timeout_s: float = 10.0
    abort: AbortLevel = "never"

    def describe(self) -> str:
        """Short text for tables (`bell, cmd, abort@critical`; `-` when none)."""
        parts = ["bell"] if self.bell else []
        if self.command:
            parts.append(f"cmd {self.command[0].rsplit('/', 1)[-1]}")
        if self.abort != "never":
            parts.append(f"abort@{self.abort}")
        return ", ".join(parts) or "-"


@dataclass(frozen=True, slots=True)
class Rule:
    """One alert rule. `metric` is a value path or a glob (`endpoint.*.p95_ms`) applied per matching path.

    The rule crosses a level when `value <op> level`. A level holds once the value has crossed it for at least
    `share` of the last `for_s` seconds, counted from the first crossing at least `for_s` ago (share 1: every
    evaluation, as Prometheus' `for`). `clear` is the hysteresis level: a firing rule resolves once the value
    no longer crosses it and has crossed it for less than `share` of the last `for_s` seconds (default: the
    lowest firing level). `origin` says where a rule generated from a gauge's levels came from.
    """

    name: str
    metric: str
    op: Op
    warning: float | None = None
    critical: float | None = None
    for_s: float = 0.0
    clear: float | None = None
    actions: RuleActions = field(default_factory=RuleActions)
    description: str = ""
    source: RuleSource = "config"
    share: float = DEFAULT_SHARE
    origin: str = ""

    @property
    def is_glob(self) -> bool:
        """True when the metric holds `*` or `?` and so applies to every matching path."""
        return any(c in self.metric for c in GLOB_CHARS)

    @property
    def lowest(self) -> Level:
        """The first level a rising problem reaches (warning when set)."""
        return "warning" if self.warning is not None else "critical"

    @property
    def clear_level(self) -> float:
        """The effective hysteresis level."""
        if self.clear is not None:
            return self.clear
        return self.threshold(self.lowest)

    def threshold(self, level: Level) -> float:
        """The level's threshold (the other level's when this one is unset)."""
        value = self.critical if level == "critical" else self.warning
        fallback = self.warning if value is None else value
        if fallback is None:
            fallback = self.critical
        assert fallback is not None  # check_rule: at least one level is set
        return fallback

    def crosses(self, value: float, level: float) -> bool:
        """Whether `value <op> level`."""
        return COMPARE[self.op](value, level)

    @property
    def higher_is_worse(self) -> bool:
        """True for `>` and `>=`: the worst value is the largest."""
        return self.op in (">", ">=")


def glob_regex(pattern: str) -> re.Pattern[str]:
    """Compile a metric glob: `*` and `?` are wildcards, brackets are literal (endpoint names hold them)."""
    escaped = pattern.replace("[", "[[]")
    return re.compile(translate(escaped))


def metric_problem(metric: str) -> str | None:
    """What is wrong with a metric path or glob, or None when it is fine."""
    if not metric.strip():
        return "metric is empty"
    source, dot, rest = metric.partition(".")
    if source not in SOURCES or not dot or not rest:
        return f"metric {metric!r} must start with one of: {', '.join(s + '.' for s in SOURCES)}"
    if source in ("metric", "check"):
        try:
            parse_metric_path(metric)
        except ValueError as exc:
            return f"metric {metric!r}: {exc}"
        return None
    known = SOURCES[source]
    if known is None:
        return None
    if source in ("endpoint", "container"):
        name, dot, suffix = rest.rpartition(".")
        if not dot or not name:
            if any(c in rest for c in GLOB_CHARS):
                return None
            return f"metric {metric!r} must be {source}.<name>.<{'|'.join(sorted(known))}>"
    else:
        suffix = rest
    if any(c in suffix for c in GLOB_CHARS) or suffix in known:
        return None
    close = difflib.get_close_matches(suffix, sorted(known), n=2, cutoff=0.5)
    hint = f"; nearest: {', '.join(f'{source}.{c}' for c in close)}" if close else ""
    return f"metric {metric!r}: unknown {source} metric {suffix!r} (known: {', '.join(sorted(known))}){hint}"


def check_rule(rule: Rule) -> tuple[str, str] | None:
    """Find the first problem in a rule.

    Args:
        rule: The rule to check.

    Returns:
        (config key, problem) or None when the rule is valid.
    """
    if not rule.name.strip():
        return "name", "must not be empty"
    problem = metric_problem(rule.metric)
    if problem:
        return "metric", problem
    if rule.op not in OPS:
        return "op", f"must be one of {', '.join(OPS)}, got {rule.op!r}"
    if rule.warning is None and rule.critical is None:
        return "warning", "set warning, critical or both"
    for key, value in (("warning", rule.warning), ("critical", rule.critical), ("clear", rule.clear)):
        if value is not None and not math.isfinite(value):
            return key, f"must be a finite number, got {value}"
    up = rule.higher_is_worse
    w, c = rule.warning, rule.critical
    if w is not None and c is not None and ((c <= w) if up else (c >= w)):
        side = "above" if up else "below"
        return "critical", f"critical {c:g} must be {side} warning {w:g} (op {rule.op})"
    if rule.clear is not None:
        low = rule.threshold(rule.lowest)
        if (rule.clear > low) if up else (rule.clear < low):
            side = "at or below" if up else "at or above"
            return (
                "clear",
                f"clear {rule.clear:g} must be {side} the {rule.lowest} level {low:g} (op {rule.op})",
            )
    if not math.isfinite(rule.for_s) or rule.for_s < 0:
        return "for", f"must be 0 or more seconds, got {rule.for_s}"
    if not (math.isfinite(rule.share) and 0 < rule.share <= 1):
        return "share", f"must be more than 0 and at most 1 (a share of the `for` window), got {rule.share}"
    a = rule.actions
    if a.command is not None and (not a.command or not all(a.command)):
        return "command", "must be a non-empty list of non-empty strings"
    if not 0 < a.command_timeout_s <= MAX_COMMAND_TIMEOUT_S:
        return "command_timeout", f"must be more than 0 and at most {MAX_COMMAND_TIMEOUT_S:g} s"
    if a.abort not in ABORT_LEVELS:
        return "abort", f"must be one of {', '.join(ABORT_LEVELS)}, got {a.abort!r}"
    return None


def rules_meta(rules: Sequence[Rule]) -> list[dict[str, Any]]:
    """The rules in force, as the run record's `rules` metadata key (so the report can list rules that held).

    Args:
        rules: The run's rules.

    Returns:
        JSON-ready dicts: name, metric, op, warning, critical, for_s, share, clear, description, source, origin.
    """
    return [
        {
            "name": r.name,
            "metric": r.metric,
            "op": r.op,
            "warning": r.warning,
            "critical": r.critical,
            "for_s": r.for_s,
            "share": r.share,
            "clear": r.clear,
            "description": r.description,
            "source": r.source,
            "origin": r.origin,
        }
        for r in rules
    ]

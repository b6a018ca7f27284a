"""Reads `[[rules]]` and `[rules_settings]` from the TOML config; errors name the file, the key, the rule and the problem.

    [rules_settings]
    defaults = true            # false: only the rules below

    [[rules]]
    name = "checkout-p95"
    metric = "endpoint.POST /checkout.p95_ms"   # a path or a glob: endpoint.*.p95_ms
    op = ">"                   # >, >=, <, <= (or "above", "below"); default ">"
    warning = 400
    critical = 800
    for = "30s"                # "500ms", "30s", "2m", "1m30s" or a number of seconds
    clear = 350                # hysteresis: resolves once back past 350 (default: the first level)
    bell = true
    command = ["notify-send", "loadwatch"]      # a list of arguments, never a shell string
    command_timeout = "10s"
    abort = "critical"         # "never", "warning", "critical" (or true = "critical")

A `[[rules]]` table whose name is a default rule's overrides only the keys it gives; `enabled = false`
removes a rule (a default one included).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from runners.config.loader import ConfigContext, ConfigError, RawConfig
from runners.model.rule_spec import (
    ABORT_LEVELS,
    MAX_COMMAND_TIMEOUT_S,
    OPS,
    AbortLevel,
    Op,
    Rule,
    RuleActions,
    check_rule,
)
from runners.rules.defaults import default_rules

RULE_KEYS = frozenset(
    {
        "name",
        "metric",
        "op",
        "warning",
        "critical",
        "for",
        "clear",
        "bell",
        "command",
        "command_timeout",
        "abort",
        "description",
        "enabled",
    }
)
SETTINGS_KEYS = frozenset({"defaults"})
OP_WORDS = {"above": ">", "below": "<"}
MAX_RULES = 500
MAX_FOR_S = 86_400.0
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_DURATION = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h))+")
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: object, ctx: ConfigContext, key: str, maximum: float = MAX_FOR_S) -> float:
    """Seconds from `"500ms"`, `"30s"`, `"2m"`, `"1m30s"`, `"1h"` or a number of seconds.

    Args:
        value: The raw TOML value.
        ctx: Where it comes from, for errors.
        key: Its key in `ctx`.
        maximum: The largest duration allowed, in seconds.

    Returns:
        The duration in seconds.

    Raises:
        ConfigError: not a duration, negative, or above the maximum.
    """
    seconds: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        if _NUMBER.fullmatch(text):
            seconds = float(text)
        elif _DURATION.fullmatch(text):
            seconds = sum(float(n) * _UNIT_S[u] for n, u in _PART.findall(text))
    if seconds is None:
        raise ctx.error(key, f'expected a duration like "30s", "2m", "1m30s" or seconds, got {value!r}')
    if not math.isfinite(seconds) or seconds < 0 or seconds > maximum:
        raise ctx.error(key, f"must be between 0 and {maximum:g} seconds, got {value!r}")
    return seconds


def parse_rules(raw: RawConfig) -> list[Rule]:
    """The active rules: the defaults (unless disabled), overridden and extended by `[[rules]]`.

    Args:
        raw: The parsed config file (no file: the defaults).

    Returns:
        The rules, defaults first in their order, then the config's own in file order.

    Raises:
        ConfigError: a rule or the settings are invalid; the message names file, key, rule and problem.
    """
    settings, sctx = raw.section("rules_settings")
    if not isinstance(settings, Mapping):
        raise ConfigError(raw.path, "rules_settings", "must be a table: write [rules_settings]")
    sctx.reject_unknown(settings, set(SETTINGS_KEYS))
    use_defaults = sctx.get(settings, "defaults", bool, True)
    tables = raw.data.get("rules", [])
    if not isinstance(tables, list):
        raise ConfigError(raw.path, "rules", "must be an array of tables: write [[rules]] once per rule")
    if len(tables) > MAX_RULES:
        raise ConfigError(raw.path, "rules", f"{len(tables)} rules; at most {MAX_RULES} are allowed")
    defaults = {r.name: r for r in default_rules()} if use_defaults else {}
    active: dict[str, Rule] = dict(defaults)
    seen: dict[str, int] = {}
    for i, table in enumerate(tables):
        ctx = ConfigContext(raw.path, f"rules[{i}]")
        if not isinstance(table, Mapping):
            raise ConfigError(raw.path, ctx.prefix, "must be a table: write [[rules]] then its keys")
        name = ctx.require(table, "name", str).strip()
        if not name:
            raise ctx.error("name", "must not be empty")
        if name in seen:
            raise ctx.error("name", f'rule "{name}": duplicate name (also rules[{seen[name]}])')
        seen[name] = i
        try:
            rule = _parse_rule(table, ctx, name, defaults.get(name))
        except ConfigError as exc:
            raise ConfigError(exc.path, exc.key, f'rule "{name}": {exc.problem}') from None
        if rule is None:
            active.pop(name, None)
        else:
            active[name] = rule
    return list(active.values())


def _parse_rule(table: Mapping[str, Any], ctx: ConfigContext, name: str, base: Rule | None) -> Rule | None:
    ctx.reject_unknown(table, set(RULE_KEYS))
    enabled = ctx.get(table, "enabled", bool, True)
    if base is None:
        metric = ctx.require(table, "metric", str).strip()
    else:
        metric = ctx.get(table, "metric", str, base.metric).strip()
    op_text = ctx.get(table, "op", str, base.op if base else ">").strip()
    op_text = OP_WORDS.get(op_text, op_text)
    if op_text not in OPS:
        raise ctx.error("op", f"must be one of {', '.join(OPS)} (or above, below), got {op_text!r}")
    op: Op = op_text  # checked against OPS just above
    actions = base.actions if base else RuleActions()
    command = actions.command
    if "command" in table:
        command = _parse_command(table["command"], ctx)
    timeout = actions.command_timeout_s
    if "command_timeout" in table:
        timeout = parse_duration(table["command_timeout"], ctx, "command_timeout", MAX_COMMAND_TIMEOUT_S)
    rule = Rule(
        name=name,
        metric=metric,
        op=op,
        warning=ctx.get(table, "warning", float, base.warning if base else None),
        critical=ctx.get(table, "critical", float, base.critical if base else None),
        for_s=parse_duration(table["for"], ctx, "for") if "for" in table else (base.for_s if base else 0.0),
        clear=ctx.get(table, "clear", float, base.clear if base else None),
        actions=RuleActions(
            bell=ctx.get(table, "bell", bool, actions.bell),
            command=command,
            command_timeout_s=timeout,
            abort=_parse_abort(table, ctx, actions.abort),
        ),
        description=ctx.get(table, "description", str, base.description if base else ""),
        source="override" if base else "config",
    )
    problem = check_rule(rule)
    if problem:
        raise ctx.error(*problem)
    return rule if enabled else None


def _parse_command(value: object, ctx: ConfigContext) -> tuple[str, ...]:
    if isinstance(value, str):
        example = ", ".join(f'"{w}"' for w in value.split()[:4]) or '"program", "arg"'
        raise ctx.error(
            "command",
            f"must be a list of arguments, not a shell string (no shell runs it): write command = [{example}]",
        )
    if not isinstance(value, list) or not value:
        raise ctx.error("command", f"must be a non-empty list of strings, got {value!r}")
    for j, arg in enumerate(value):
        if not isinstance(arg, str) or not arg:
            raise ctx.error(f"command[{j}]", f"must be a non-empty string, got {arg!r}")
    return tuple(value)


def _parse_abort(table: Mapping[str, Any], ctx: ConfigContext, default: AbortLevel) -> AbortLevel:
    value = ctx.get(table, "abort", (str, bool), default)
    if isinstance(value, bool):
        return "critical" if value else "never"
    if value not in ABORT_LEVELS:
        raise ctx.error("abort", f"must be one of {', '.join(ABORT_LEVELS)} (or true, false), got {value!r}")
    return value  # checked against ABORT_LEVELS just above

"""Reads `[[rules]]` and `[rules_settings]` from the TOML config; errors name the file, the key, the rule and the problem.

    [rules_settings]
    defaults = true            # false: only the rules below

    [[rules]]
    name = "checkout-p95"
    metric = "endpoint.POST /checkout.p95_ms"   # a path or a glob: endpoint.*.p95_ms
    op = ">"                   # >, >=, <, <= (or "above", "below"); default ">"
    warning = 400
    critical = 800
    for = "30s"                # the window: "500ms", "30s", "2m", "1m30s" or a number of seconds
    share = 0.5                # a level holds once crossed for this share of the window (1: every evaluation)
    clear = 350                # hysteresis: resolves once back past 350 (default: the first level)
    bell = true
    command = ["notify-send", "loadwatch"]      # a list of arguments, never a shell string
    command_timeout = "10s"
    abort = "critical"         # "never", "warning", "critical" (or true = "critical")

A `[[rules]]` table whose name is a default rule's overrides only the keys it gives; `enabled = false`
removes a rule (a default one included). Every gauge with a warning or critical level is a default rule
(`db-connections` for the db_pool gauge, `gauge-<name>` for one of your own), overridable the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from collectors.gauges import GaugeSpec
from runners.config.durations import parse_duration
from runners.config.loader import ConfigContext, ConfigError, RawConfig
from runners.model.rule_spec import (
    ABORT_LEVELS,
    DEFAULT_SHARE,
    MAX_COMMAND_TIMEOUT_S,
    OPS,
    AbortLevel,
    Op,
    Rule,
    RuleActions,
    check_rule,
)
from runners.rules.defaults import default_rules
from runners.rules.metrics import unknown_metrics

RULE_KEYS = frozenset(
    {
        "name",
        "metric",
        "op",
        "warning",
        "critical",
        "for",
        "share",
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


def parse_rules(raw: RawConfig, gauges: Sequence[GaugeSpec] = ()) -> list[Rule]:
    """The active rules: the defaults (unless disabled), overridden and extended by `[[rules]]`.

    Args:
        raw: The parsed config file (no file: the defaults).
        gauges: The run's gauges; those with levels add default rules.

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
    defaults = {r.name: r for r in default_rules(gauges)} if use_defaults else {}
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
    if not enabled and base is None and "metric" not in table:
        return None  # switching off a rule this run does not have (a gauge's, say) is fine
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
        share=ctx.get(table, "share", float, base.share if base else DEFAULT_SHARE),
        actions=RuleActions(
            bell=ctx.get(table, "bell", bool, actions.bell),
            command=command,
            command_timeout_s=timeout,
            abort=_parse_abort(table, ctx, actions.abort),
        ),
        description=ctx.get(table, "description", str, base.description if base else ""),
        source="override" if base else "config",
        origin=base.origin if base else "",
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


def check_rule_sources(rules: Sequence[Rule], gauges: Sequence[GaugeSpec], raw: RawConfig) -> None:
    """Refuse a rule whose metric no source of the run can ever give (a misspelt gauge, say).

    Args:
        rules: The active rules.
        gauges: The run's gauges.
        raw: The config file, for the error's location.

    Raises:
        ConfigError: naming the rule, its metric and the nearest known metrics.
    """
    tables = raw.data.get("rules", [])
    index = {t.get("name"): i for i, t in enumerate(tables) if isinstance(t, Mapping)}
    for rule, problem in unknown_metrics(rules, [g.name for g in gauges]):
        key = f"rules[{index[rule.name]}].metric" if rule.name in index else "rules"
        raise ConfigError(raw.path, key, f'rule "{rule.name}": {problem}')

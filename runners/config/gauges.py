"""The `[prometheus]`, `[scrape]`, `presets` and `[[gauges]]` tables, validated into a GaugesConfig."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from collectors.gauge_config import (
    DEFAULT_INTERVAL_S,
    DEFAULT_MAX_BACKOFF_S,
    DEFAULT_TAIL_S,
    DEFAULT_TIMEOUT_S,
    GaugesConfig,
    PrometheusSettings,
    ScrapeSettings,
    metrics_url,
)
from collectors.gauge_presets import PRESETS
from collectors.gauges import DIRECTIONS, UNITS, Direction, GaugeSpec, Unit
from collectors.prometheus_auth import AUTH_KEYS
from collectors.scrape_ast import ExprError
from collectors.scrape_expr import parse_expr
from runners.config.durations import parse_duration
from runners.config.loader import ConfigContext, ConfigError, RawConfig
from runners.config.prometheus_auth import parse_auth, reject_secrets

_NAME = re.compile(r"[a-z_][a-z0-9_]*\Z")
MAX_TAIL_S = 120.0


_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


_AUTH_KEYS = {
    "bearer_token_env",
    "bearer_token_file",
    "username",
    "username_env",
    "password_env",
    "password_file",
}


_SECRET_KEYS = {"password", "token", "bearer_token", "api_key", "secret", "authorization"}


_UNIT_BY_NAME: dict[str, Unit] = {u: u for u in UNITS}


_DIRECTION_BY_NAME: dict[str, Direction] = {d: d for d in DIRECTIONS}


_GAUGE_KEYS = {
    "name",
    "query",
    "expr",
    "unit",
    "max",
    "warning",
    "critical",
    "split_by",
    "direction",
    "title",
    "for",
}


def parse_gauges(raw_config: RawConfig) -> GaugesConfig:
    """Read and validate the gauge configuration.

    Args:
        raw_config: The parsed TOML file.

    Returns:
        The gauges and their source.

    Raises:
        ConfigError: Naming the file, the key and the problem.
    """
    prom_raw, prom_ctx = raw_config.section("prometheus")
    prometheus = _prometheus(prom_raw, prom_ctx) if "prometheus" in raw_config.data else None
    scrape_raw, scrape_ctx = raw_config.section("scrape")
    scrape = _scrape(scrape_raw, scrape_ctx)
    top = ConfigContext(raw_config.path)
    preset_names = top.get(raw_config.data, "presets", list, [])
    gauges: list[GaugeSpec] = []
    origin: dict[str, str] = {}
    for i, name in enumerate(preset_names):
        if not isinstance(name, str) or name not in PRESETS:
            raise top.error(f"presets[{i}]", f"unknown preset {name!r} (known: {', '.join(sorted(PRESETS))})")
        for spec in PRESETS[name]:
            if spec.name in origin:
                raise top.error(
                    f"presets[{i}]",
                    f"preset {name!r} defines gauge {spec.name!r}, already from {origin[spec.name]}",
                )
            origin[spec.name] = f"preset {name!r}"
            gauges.append(spec)
    entries = raw_config.data.get("gauges", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise top.error("gauges", "expected an array of tables ([[gauges]])")
    for i, entry in enumerate(entries):
        ctx = top.child(f"gauges[{i}]")
        spec = _gauge(entry, ctx)
        if prometheus is None:
            _check_scrape_expr(spec, ctx)
        if spec.name in origin:
            raise ctx.error("name", f"duplicate gauge name {spec.name!r} (already from {origin[spec.name]})")
        origin[spec.name] = f"gauges[{i}]"
        gauges.append(spec)
    if gauges and prometheus is None and not scrape.targets:
        raise ConfigContext(raw_config.path).error(
            "prometheus.url", "gauges are configured but neither prometheus.url nor scrape.targets is set"
        )
    return GaugesConfig(tuple(gauges), prometheus, scrape, tuple(preset_names))


def _check_url(value: str, ctx: ConfigContext, key: str) -> str:
    parts = urlsplit(value)
    if parts.username is not None or parts.password is not None:  # never echo the value: it holds the secret
        raise ctx.error(
            key,
            "a user name or password in the URL is refused (it would be shown and recorded): "
            "set username or username_env with password_env or password_file in [prometheus]",
        )
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ctx.error(key, f"expected an http:// or https:// URL, got {value!r}")
    return value.rstrip("/") if key == "url" else value


def _positive(table: dict[str, Any], ctx: ConfigContext, key: str, default: float) -> float:
    value = ctx.get(table, key, float, default)
    if not value > 0:
        raise ctx.error(key, f"must be a positive number of seconds, got {value}")
    return value


def _prometheus(table: Any, ctx: ConfigContext) -> PrometheusSettings:
    if not isinstance(table, dict):
        raise ConfigError(ctx.path, ctx.prefix, "expected a table")
    reject_secrets(table, ctx)
    ctx.reject_unknown(table, {"url", "interval", "timeout", "max_backoff", "tail"} | AUTH_KEYS)
    url = _check_url(ctx.require(table, "url", str), ctx, "url")
    auth = parse_auth(table, ctx)
    return PrometheusSettings(
        url,
        _positive(table, ctx, "interval", DEFAULT_INTERVAL_S),
        _positive(table, ctx, "timeout", DEFAULT_TIMEOUT_S),
        _positive(table, ctx, "max_backoff", DEFAULT_MAX_BACKOFF_S),
        auth,
        "interval" in table,
        _tail(table, ctx),
    )


def _scrape(table: Any, ctx: ConfigContext) -> ScrapeSettings:
    if not isinstance(table, dict):
        raise ConfigError(ctx.path, ctx.prefix, "expected a table")
    ctx.reject_unknown(table, {"targets", "interval", "timeout", "max_backoff", "tail"})
    targets = ctx.get(table, "targets", list, [])
    for i, target in enumerate(targets):
        if not isinstance(target, str):
            raise ctx.error(f"targets[{i}]", f"expected a URL string, got {target!r}")
        _check_url(target, ctx, f"targets[{i}]")
    return ScrapeSettings(
        tuple(metrics_url(t) for t in targets),
        _positive(table, ctx, "interval", DEFAULT_INTERVAL_S),
        _positive(table, ctx, "timeout", DEFAULT_TIMEOUT_S),
        _positive(table, ctx, "max_backoff", DEFAULT_MAX_BACKOFF_S),
        "interval" in table,
        _tail(table, ctx),
    )


def _tail(table: dict[str, Any], ctx: ConfigContext) -> float:
    return parse_duration(table["tail"], ctx, "tail", MAX_TAIL_S) if "tail" in table else DEFAULT_TAIL_S


def _gauge(table: dict[str, Any], ctx: ConfigContext) -> GaugeSpec:
    ctx.reject_unknown(table, _GAUGE_KEYS)
    name = ctx.require(table, "name", str)
    if not _NAME.match(name):
        raise ctx.error("name", f"{name!r} must be lower_snake_case (it names the gauge in alert rules)")
    query = ctx.get(table, "query", str, "").strip()
    expr = ctx.get(table, "expr", str, "").strip() or None
    if not query and expr is None:
        raise ctx.error("query", "is required (PromQL; or `expr` for direct scrape)")
    unit = ctx.require(table, "unit", str)
    if unit not in UNITS:
        raise ctx.error("unit", f"unknown unit {unit!r} (known: {', '.join(UNITS)})")
    direction = ctx.get(table, "direction", str, "above")
    if direction not in DIRECTIONS:
        raise ctx.error("direction", f'expected "above" or "below", got {direction!r}')
    maximum = _optional_number(table, ctx, "max")
    if maximum is not None and not maximum > 0:
        raise ctx.error("max", f"must be positive, got {maximum}")
    warning = _optional_number(table, ctx, "warning")
    critical = _optional_number(table, ctx, "critical")
    if warning is not None and critical is not None:
        if direction == "above" and not warning < critical:
            raise ctx.error(
                "critical", f'must be above warning ({warning}) when direction is "above", got {critical}'
            )
        if direction == "below" and not warning > critical:
            raise ctx.error(
                "critical", f'must be below warning ({warning}) when direction is "below", got {critical}'
            )
    split_by = ctx.get(table, "split_by", str, "") or None
    if split_by is not None and not _LABEL.match(split_by):
        raise ctx.error("split_by", f"{split_by!r} is not a label name")
    return GaugeSpec(
        name,
        query or expr or "",
        _UNIT_BY_NAME[unit],
        expr,
        maximum,
        warning,
        critical,
        split_by,
        _DIRECTION_BY_NAME[direction],
        ctx.get(table, "title", str, ""),
        parse_duration(table["for"], ctx, "for") if "for" in table else None,
    )


def _optional_number(table: dict[str, Any], ctx: ConfigContext, key: str) -> float | None:
    return ctx.require(table, key, float) if key in table else None


def _check_scrape_expr(spec: GaugeSpec, ctx: ConfigContext) -> None:
    try:
        parse_expr(spec.scrape_expr)
    except ExprError as exc:
        key = "expr" if spec.expr else "query"
        raise ctx.error(
            key,
            f"direct scrape (no prometheus.url) cannot evaluate it: {exc}; add an `expr` in the supported subset",
        ) from None

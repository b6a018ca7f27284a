"""The `[docker]` table of loadwatch.toml, validated into a DockerConfig."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.docker_config import HOST_SCHEMES, DockerConfig, default_host
from runners.config.loader import ConfigContext, ConfigError, RawConfig

KNOWN_KEYS = {
    "enabled",
    "host",
    "names",
    "labels",
    "compose_project",
    "cpu_warning",
    "cpu_critical",
    "mem_warning",
    "mem_critical",
}


def _strings(table: Mapping[str, Any], name: str, ctx: ConfigContext) -> tuple[str, ...]:
    values = ctx.get(table, name, list, [])
    for i, value in enumerate(values):
        if not isinstance(value, str) or not value.strip():
            raise ctx.error(f"{name}[{i}]", f"expected a non-empty string, got {value!r}")
    return tuple(values)


def _levels(
    table: Mapping[str, Any], ctx: ConfigContext, kind: str, warning: float, critical: float
) -> tuple[float, float]:
    warn = ctx.get(table, f"{kind}_warning", float, warning)
    crit = ctx.get(table, f"{kind}_critical", float, critical)
    for key, value in ((f"{kind}_warning", warn), (f"{kind}_critical", crit)):
        if not 0 < value <= 10_000:
            raise ctx.error(key, f"expected a percent above 0, got {value}")
    if warn >= crit:
        raise ctx.error(f"{kind}_warning", f"must be below {kind}_critical ({warn} >= {crit})")
    return warn, crit


def parse_docker(raw: RawConfig) -> DockerConfig:
    """Read and validate the top-level `[docker]` table (defaults when absent).

    Args:
        raw: The parsed configuration file.

    Returns:
        The Docker configuration.

    Raises:
        ConfigError: a key is unknown, has the wrong type or an invalid value.
    """
    table, ctx = raw.section("docker")
    if not isinstance(table, dict):
        raise ConfigError(raw.path, "docker", "expected a table ([docker])")
    ctx.reject_unknown(table, KNOWN_KEYS)
    host = ctx.get(table, "host", str, default_host())
    if not host.startswith(HOST_SCHEMES):
        raise ctx.error("host", f"expected an address starting with {', '.join(HOST_SCHEMES)}, got {host!r}")
    labels = _strings(table, "labels", ctx)
    for i, label in enumerate(labels):
        if label.startswith("=") or any(ch.isspace() for ch in label.partition("=")[0]):
            raise ctx.error(f"labels[{i}]", f"expected 'key=value' or 'key', got {label!r}")
    project = ctx.get(table, "compose_project", str, "") or None
    if "compose_project" in table and project is None:
        raise ctx.error("compose_project", "must not be empty")
    cpu = _levels(table, ctx, "cpu", 80.0, 95.0)
    mem = _levels(table, ctx, "mem", 80.0, 90.0)
    return DockerConfig(
        enabled=ctx.get(table, "enabled", bool, True),
        host=host,
        names=_strings(table, "names", ctx),
        labels=labels,
        compose_project=project,
        cpu_warning=cpu[0],
        cpu_critical=cpu[1],
        mem_warning=mem[0],
        mem_critical=mem[1],
    )

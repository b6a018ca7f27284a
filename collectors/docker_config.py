"""The `[docker]` table of loadwatch.toml: where the daemon is, which containers to follow, and CPU/memory levels."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runners.config import ConfigContext, ConfigError, RawConfig

DEFAULT_HOST = "unix:///var/run/docker.sock"
COMPOSE_PROJECT_LABEL = "com.docker.compose.project"
HOST_SCHEMES = ("unix://", "tcp://", "http://", "https://")
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


@dataclass(frozen=True, slots=True)
class DockerConfig:
    """Which daemon to read and which containers to follow (all running ones when no selector is set).

    A container is followed when its name matches one of `names` (globs, when any), it carries every one
    of `labels` (`key=value` or `key`), and it belongs to `compose_project` (when set). CPU levels are a
    percent of the container's CPU limit (`--cpus`), or of one core when it has none; memory levels are a
    percent of its memory limit (the host's RAM when it has none), as `docker stats` shows them.
    """

    enabled: bool = True
    host: str = DEFAULT_HOST
    names: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    compose_project: str | None = None
    cpu_warning: float = 80.0
    cpu_critical: float = 95.0
    mem_warning: float = 80.0
    mem_critical: float = 90.0

    def list_filters(self) -> dict[str, list[str]]:
        """The filters the daemon applies itself (labels and compose project); names are globs, matched here."""
        labels = list(self.labels)
        if self.compose_project:
            labels.append(f"{COMPOSE_PROJECT_LABEL}={self.compose_project}")
        return {"label": labels} if labels else {}

    def selects(self, name: str, labels: Mapping[str, str] | None) -> bool:
        """Whether a container with this name and these labels is followed.

        Args:
            name: The container name, with or without the leading slash.
            labels: Its labels (None or empty when unknown).

        Returns:
            True when every selector set in the config matches.
        """
        name = name.lstrip("/")
        if self.names and not any(fnmatch.fnmatchcase(name, pattern) for pattern in self.names):
            return False
        labels = labels or {}
        for wanted in self.list_filters().get("label", []):
            key, eq, value = wanted.partition("=")
            if key not in labels or (eq and labels[key] != value):
                return False
        return True


def default_host() -> str:
    """DOCKER_HOST when set, else the default unix socket."""
    return os.environ.get("DOCKER_HOST") or DEFAULT_HOST


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

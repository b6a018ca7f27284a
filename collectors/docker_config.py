"""The `[docker]` table of loadwatch.toml: where the daemon is, which containers to follow, and CPU/memory levels."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_HOST = "unix:///var/run/docker.sock"
COMPOSE_PROJECT_LABEL = "com.docker.compose.project"
HOST_SCHEMES = ("unix://", "tcp://", "http://", "https://")


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

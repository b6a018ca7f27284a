"""The `[docker]` CPU and memory levels as the run record keeps them, so a replay colours as the run did."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.docker_config import DockerConfig

LEVEL_KEYS = ("cpu_warning", "cpu_critical", "mem_warning", "mem_critical")


def docker_levels(config: DockerConfig) -> dict[str, float]:
    """The levels of a `[docker]` config, for the record's metadata."""
    return {key: float(getattr(config, key)) for key in LEVEL_KEYS}


def docker_config_of(levels: Mapping[str, Any]) -> DockerConfig:
    """A DockerConfig carrying recorded levels (unknown or missing ones keep their defaults)."""
    default = DockerConfig()

    def level(key: str) -> float:
        value = levels.get(key)
        return float(value) if isinstance(value, int | float) else float(getattr(default, key))

    return DockerConfig(cpu_warning=level("cpu_warning"), cpu_critical=level("cpu_critical"),
                        mem_warning=level("mem_warning"), mem_critical=level("mem_critical"))  # fmt: skip

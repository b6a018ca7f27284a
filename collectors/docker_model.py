"""What the Docker collector hands out: one container's stats, a container event, a whole snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SourceState = Literal["ok", "socket_missing", "permission_denied", "daemon_down", "disabled", "connecting"]
"""Where the Docker source stands: the pane shows it at the top."""

EVENT_ACTIONS = ("create", "start", "die", "oom", "restart", "health_status", "pause", "unpause", "destroy")
"""The container event actions the collector follows (health_status matches `health_status: healthy` too)."""


@dataclass(frozen=True, slots=True)
class ContainerStats:
    """The latest reading of one container, computed the way the docker CLI computes `docker stats`.

    `cpu_pct` is a percent of one core (up to cores x 100); `cpu_limit` is the container's CPU limit in
    cores (`--cpus`), None when it has none. `mem_used` excludes inactive file cache (the CLI formula);
    `mem_limit` is the host's RAM when the container has no limit. Rates are per second over the last
    stats frame. Every metric is None while unknown (first frame, container not running, daemon down).
    `restarts` counts restarts as the daemon counts them when the container was first seen, plus every
    restart seen since.
    """

    id: str
    name: str
    image: str
    state: str
    status_text: str
    exit_code: int | None
    restarts: int
    oom_killed: bool
    cpu_pct: float | None
    mem_used: int | None
    mem_limit: int | None
    mem_pct: float | None
    net_rx_bps: float | None
    net_tx_bps: float | None
    blk_read_bps: float | None
    blk_write_bps: float | None
    pids: int | None
    health: str | None
    t: float
    cpu_limit: float | None = None

    @property
    def cpu_level_pct(self) -> float | None:
        """CPU as a percent of the container's CPU limit, or of one core when it has none (for thresholds)."""
        if self.cpu_pct is None:
            return None
        return self.cpu_pct / self.cpu_limit if self.cpu_limit else self.cpu_pct


@dataclass(frozen=True, slots=True)
class ContainerEvent:
    """One container event from the daemon's event stream, on the run's time axis (unix seconds).

    `action` is the daemon's action with any argument moved to `detail`: `health_status: healthy` becomes
    action `health_status`, detail `healthy`. `exit_code` is set for `die`.
    """

    t: float
    container_id: str
    name: str
    action: str
    exit_code: int | None
    detail: str

    def describe(self) -> str:
        """A one-line human description, for example `api died (exit 137)`."""
        if self.action == "die":
            return (
                f"{self.name} died (exit {self.exit_code})"
                if self.exit_code is not None
                else f"{self.name} died"
            )
        if self.action == "oom":
            return f"{self.name} ran out of memory (OOM)"
        if self.action == "health_status":
            return f"{self.name} health: {self.detail}"
        words = {
            "start": "started",
            "restart": "restarted",
            "destroy": "was removed",
            "create": "was created",
        }
        text = f"{self.name} {words.get(self.action, self.action)}"
        return f"{text}: {self.detail}" if self.detail else text


@dataclass(frozen=True, slots=True)
class DockerSnapshot:
    """Everything the containers pane shows at one moment: the source's state and every followed container."""

    t: float
    state: SourceState
    detail: str
    containers: tuple[ContainerStats, ...]

    def by_name(self, name: str) -> ContainerStats | None:
        """The container with this name, if followed."""
        return next((c for c in self.containers if c.name == name), None)

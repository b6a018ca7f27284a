"""What the collector knows of one followed container: list fields, inspect fields, the latest stats, its run history."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Mapping
from typing import Any

from collectors.docker_model import ContainerEvent, ContainerStats
from collectors.docker_stats import FrameReading

EVENTS_PER_CONTAINER = 50
"""Events kept per container for the summary (the oldest fall off)."""
RUNNING_STATES = frozenset({"running", "paused", "restarting"})
_EXITED = re.compile(r"^Exited \((-?\d+)\)")
_HEALTH = re.compile(r"\((healthy|unhealthy|health: starting)\)")


def status_exit_code(status: str) -> int | None:
    """The exit code in a list entry's status text (`Exited (3) 2 seconds ago`), if any."""
    match = _EXITED.match(status)
    return int(match.group(1)) if match else None


def status_health(status: str) -> str | None:
    """The health in a status text (`Up 5 s (healthy)`): healthy, unhealthy, starting, or None."""
    match = _HEALTH.search(status)
    return match.group(1).removeprefix("health: ") if match else None


def cpu_limit_cores(host_config: Mapping[str, Any]) -> float | None:
    """The CPU limit in cores from an inspected HostConfig (`--cpus`, or a CFS quota), None when unlimited."""
    if host_config.get("NanoCpus"):
        return float(host_config["NanoCpus"]) / 1e9
    quota, period = host_config.get("CpuQuota") or 0, host_config.get("CpuPeriod") or 100_000
    return quota / period if quota > 0 else None


class Tracked:
    """Mutable record of one container; the collector changes it under its lock and reads frozen copies."""

    __slots__ = (
        "_cpu_n",
        "_cpu_sum",
        "baseline_restarts",
        "cpu_limit",
        "cpu_peak",
        "events",
        "exit_code",
        "health",
        "id",
        "image",
        "inspected",
        "last_event_mono",
        "mem_pct_peak",
        "mem_peak",
        "name",
        "oom_killed",
        "oom_kills",
        "rates",
        "reading",
        "restart_count",
        "restarts_in_run",
        "seen_dead",
        "state",
        "status_text",
        "t",
    )

    def __init__(self, cid: str, name: str, image: str, state: str, t: float) -> None:
        """Start tracking a container.

        Args:
            cid: The full container id.
            name: Its name, without the leading slash.
            image: Its image.
            state: Its state (running, exited, ...).
            t: Unix time of this first sight.
        """
        self.id, self.name, self.image, self.state, self.t = cid, name, image, state, t
        self.status_text = state
        self.exit_code: int | None = None
        self.health: str | None = None
        self.oom_killed = False
        self.oom_kills = 0
        self.cpu_limit: float | None = None
        self.inspected = False
        self.baseline_restarts: int | None = None
        self.restart_count = 0
        self.restarts_in_run = 0
        self.seen_dead = state in ("exited", "dead")
        self.reading: FrameReading | None = None
        self.rates: tuple[float | None, ...] = (None, None, None, None)
        self.events: deque[ContainerEvent] = deque(maxlen=EVENTS_PER_CONTAINER)
        self.last_event_mono = 0.0
        self.cpu_peak: float | None = None
        self.mem_peak: int | None = None
        self.mem_pct_peak: float | None = None
        self._cpu_sum = 0.0
        self._cpu_n = 0

    @property
    def running(self) -> bool:
        """Whether the container has processes the daemon can sample."""
        return self.state in RUNNING_STATES

    @property
    def restarts(self) -> int:
        """Restarts as the daemon counted them at first sight plus those seen since (or the daemon's, if more)."""
        return max(self.restart_count, (self.baseline_restarts or 0) + self.restarts_in_run)

    def apply_list_entry(self, entry: Mapping[str, Any]) -> None:
        """Take the state and status text of a `GET /containers/json` entry."""
        self.state = str(entry.get("State") or self.state)
        self.status_text = str(entry.get("Status") or self.state)
        self.image = str(entry.get("Image") or self.image)
        self.health = status_health(self.status_text) or (self.health if self.running else None)
        if self.state == "exited":
            self.exit_code = status_exit_code(self.status_text)
            self.seen_dead = True
        if not self.running:
            self.clear_metrics()

    def apply_inspect(self, attrs: Mapping[str, Any]) -> None:
        """Take the restart count, OOM flag, exit code, health and CPU limit of `GET /containers/{id}/json`."""
        state = attrs.get("State") or {}
        self.inspected = True
        self.restart_count = int(attrs.get("RestartCount") or 0)
        if self.baseline_restarts is None:
            self.baseline_restarts = self.restart_count
        self.cpu_limit = cpu_limit_cores(attrs.get("HostConfig") or {})
        if not state.get("Running"):
            self.oom_killed = bool(state.get("OOMKilled")) or self.oom_killed
            self.exit_code = state.get("ExitCode", self.exit_code)
        health = (state.get("Health") or {}).get("Status")
        if health and health != "none":
            self.health = str(health)

    def apply_event(self, event: ContainerEvent, mono: float) -> None:
        """Change state for an event and remember it.

        Args:
            event: The event.
            mono: Monotonic time it was applied (a list taken before it must not undo it).
        """
        self.last_event_mono = mono
        self.name = event.name or self.name
        if event.action != "create":
            self.events.append(event)
        if event.action == "start":
            if self.seen_dead:
                self.restarts_in_run += 1
            self.state, self.status_text, self.exit_code, self.oom_killed = "running", "Up", None, False
            self.seen_dead = False
        elif event.action == "die":
            self.state, self.exit_code, self.seen_dead = "exited", event.exit_code, True
            self.status_text = f"Exited ({event.exit_code})"
            self.clear_metrics()
        elif event.action == "oom":
            self.oom_killed = True
            self.oom_kills += 1
        elif event.action == "health_status":
            self.health = event.detail.strip() or None
        elif event.action in ("pause", "unpause"):
            self.state = "paused" if event.action == "pause" else "running"
            self.status_text = self.state.capitalize()
        elif event.action == "destroy":
            self.state, self.status_text = "removed", "Removed"
            self.clear_metrics()

    def apply_frame(self, reading: FrameReading, rates: tuple[float | None, ...], t: float) -> None:
        """Take one stats frame and its rates."""
        self.reading, self.rates, self.t = reading, rates, t
        if reading.cpu_pct is not None:
            self.cpu_peak = max(self.cpu_peak or 0.0, reading.cpu_pct)
            self._cpu_sum += reading.cpu_pct
            self._cpu_n += 1
        if reading.mem_used is not None:
            self.mem_peak = max(self.mem_peak or 0, reading.mem_used)
        if reading.mem_pct is not None:
            self.mem_pct_peak = max(self.mem_pct_peak or 0.0, reading.mem_pct)

    def clear_metrics(self) -> None:
        """Forget the live numbers (not running, or the daemon is gone); the history stays."""
        self.reading = None
        self.rates = (None, None, None, None)

    def stats(self) -> ContainerStats:
        """A frozen copy of the latest state and numbers."""
        r = self.reading
        return ContainerStats(
            id=self.id,
            name=self.name,
            image=self.image,
            state=self.state,
            status_text=self.status_text,
            exit_code=self.exit_code,
            restarts=self.restarts,
            oom_killed=self.oom_killed,
            cpu_pct=r.cpu_pct if r else None,
            mem_used=r.mem_used if r else None,
            mem_limit=r.mem_limit if r else None,
            mem_pct=r.mem_pct if r else None,
            net_rx_bps=self.rates[0],
            net_tx_bps=self.rates[1],
            blk_read_bps=self.rates[2],
            blk_write_bps=self.rates[3],
            pids=r.pids if r else None,
            health=self.health,
            t=self.t,
            cpu_limit=self.cpu_limit,
        )

    def summary(self) -> dict[str, Any]:
        """This container's part of `--json-summary` `containers`."""
        return {
            "id": self.id[:12],
            "image": self.image,
            "state": self.state,
            "exit_code": self.exit_code,
            "cpu_pct_peak": _round(self.cpu_peak),
            "cpu_pct_mean": _round(self._cpu_sum / self._cpu_n if self._cpu_n else None),
            "cpu_limit_cores": self.cpu_limit,
            "mem_bytes_peak": self.mem_peak,
            "mem_pct_peak": _round(self.mem_pct_peak),
            "restarts": self.restarts_in_run,
            "restart_count": self.restarts,
            "oom_kills": max(self.oom_kills, int(self.oom_killed)),
            "events": [
                {"t": round(e.t, 3), "action": e.action, "exit_code": e.exit_code, "detail": e.detail}
                for e in self.events
            ],
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)

"""Each gauge's health over the run (ok, down, slow, invalid, no data, pending) and its changes as events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Health = Literal["pending", "ok", "down", "slow", "invalid", "no_data", "ended"]
FAULTS: frozenset[str] = frozenset({"down", "slow", "invalid", "no_data"})


@dataclass(frozen=True, slots=True)
class HealthEvent:
    """Gauges whose health changed at one poll, all to the same state for the same reason.

    `back_after_s` is set when they came back to ok: how long the fault they leave lasted.
    """

    t: float
    source: str  # e.g. "Prometheus http://127.0.0.1:9090"
    gauges: tuple[str, ...]
    state: Health
    previous: Health
    reason: str
    all_gauges: bool
    back_after_s: float | None = None

    def describe(self) -> str:
        """One line for the record, the headless log and the events pane."""
        who = (
            f"all {len(self.gauges)} gauges"
            if self.all_gauges and len(self.gauges) > 1
            else ("gauge " + ", ".join(self.gauges))
        )
        if self.state == "ok":
            after = (
                f" after {self.back_after_s:.0f} s {self.previous.replace('_', ' ')}"
                if self.back_after_s
                else ""
            )
            return f"{self.source}: {who} back{after}"
        what = {"no_data": "no data", "down": "down", "slow": "slow", "invalid": "invalid query"}.get(
            self.state, self.state
        )
        return f"{self.source}: {who} {what}" + (f": {self.reason}" if self.reason else "")

    def as_dict(self) -> dict[str, Any]:
        """The event's fields for the run record (kind `source_health`)."""
        return {
            "text": self.describe(),
            "source": self.source,
            "gauges": list(self.gauges),
            "state": self.state,
            "previous": self.previous,
            "reason": self.reason,
            "all_gauges": self.all_gauges,
            "back_after_s": None if self.back_after_s is None else round(self.back_after_s, 3),
        }


@dataclass(slots=True)
class GaugeHealth:
    """One gauge's health now and over the run."""

    state: Health = "pending"
    reason: str = "waiting for the first poll"
    since: float = 0.0
    faults: int = 0
    fault_s: float = 0.0
    polls: int = 0
    ok_polls: int = 0
    last_fault: str = ""
    by_state: dict[str, float] = field(default_factory=dict)

    def as_dict(self, now: float) -> dict[str, Any]:
        """The `--json-summary` entry: state, reason and the run's fault figures."""
        fault_s = self.fault_s + (now - self.since if self.state in FAULTS else 0.0)
        return {
            "state": self.state,
            "reason": self.reason,
            "since": round(self.since, 3),
            "faults": self.faults,
            "fault_s": round(fault_s, 3),
            "last_fault": self.last_fault,
            "polls": self.polls,
            "ok_polls": self.ok_polls,
        }


class HealthTracker:
    """Follows every gauge's health poll by poll and groups the changes into events."""

    def __init__(self, names: Sequence[str], source: str, t0: float) -> None:
        self.source = source
        self.gauges = {name: GaugeHealth(since=t0) for name in names}

    def update(self, t: float, states: Mapping[str, tuple[Health, str]]) -> list[HealthEvent]:
        """Take one poll's state per gauge.

        Args:
            t: The poll's time.
            states: Gauge name -> (health, reason).

        Returns:
            The changes, one event per (new state, reason), in gauge order.
        """
        groups: dict[tuple[Health, str, Health], list[str]] = {}
        back_after: dict[tuple[Health, str, Health], float] = {}
        for name, (state, reason) in states.items():
            h = self.gauges[name]
            h.polls += 1
            h.ok_polls += state == "ok"
            if state == h.state and (state == "ok" or reason == h.reason):
                continue
            previous, lasted = h.state, t - h.since
            if previous in FAULTS:
                h.fault_s += lasted
            if state in FAULTS and previous not in FAULTS:
                h.faults += 1
            if state in FAULTS:
                h.last_fault = f"{state.replace('_', ' ')}: {reason}" if reason else state
            h.state, h.reason, h.since = state, reason, t
            if previous == "pending" and state in ("ok", "pending"):
                continue  # the first good poll is not news
            key = (state, reason if state != "ok" else "", previous if state == "ok" else state)
            groups.setdefault(key, []).append(name)
            if state == "ok" and previous in FAULTS:
                back_after[key] = max(back_after.get(key, 0.0), lasted)
        events = []
        for (state, reason, previous), names in groups.items():
            events.append(
                HealthEvent(
                    t,
                    self.source,
                    tuple(names),
                    state,
                    previous,
                    reason,
                    len(names) == len(self.gauges),
                    back_after.get((state, reason, previous)),
                )
            )
        return events

    def summary(self, now: float) -> dict[str, dict[str, Any]]:
        """Per gauge: state, reason and fault figures (for `--json-summary`)."""
        return {name: h.as_dict(now) for name, h in self.gauges.items()}

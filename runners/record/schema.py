"""The run record's typed schema: the kinds of series and events it holds, and one row type per kind.

The tables are stable (`meta`, `series`, `events`, `output`); what a row's `data` column holds is fixed by
its kind here. The writer (`store.py`) and the one reader (`reader.py`) both go through these types, so no
other module spells a series name or decodes a row.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from runners.model.frames import Mark

DB_NAME = "run.sqlite"
"""The record's database, in the run's folder."""


class SeriesKind(enum.StrEnum):
    """What a `series` row holds: one row per kind and second, except TICK (one per engine tick)."""

    K6 = "k6"  # a SecondPoint: what k6 did in that second
    K6_HIST = "k6_hist"  # that second's latency histogram: bucket index -> count
    GAUGES = "gauges"  # the system under test's ok gauge values: "name|series" -> value
    CONTAINERS = "containers"  # per container: cpu_pct, mem_pct, mem_bytes, state
    TICK = "tick"  # what the screen showed at a tick: FrameParts fields that changed (runners.record.ticks)
    METRICS = "k6_metrics"  # every k6 metric series that second: `name{tag:value}` -> its type's figures


class EventKind(enum.StrEnum):
    """What an `events` row records."""

    STATE = "state"  # the run's state changed: state, detail
    MARK = "mark"  # a note typed during the run: note, elapsed_s, by
    SNAPSHOT = "snapshot"  # `s` saved the screen and every value: json, svg, n, by
    STOP_REQUESTED = "stop_requested"  # reason, hard, by (the viewer that asked, when one did)
    THRESHOLDS = "thresholds"  # the script's thresholds found by `k6 inspect`: [[metric, expression]]
    BREACH = "breach"  # a rule's transition (runners.model.rule_events.Transition.as_dict)
    CAPACITY_CEILING = "capacity_ceiling"  # the load when a critical rule first fired
    RULE_COMMAND = "rule_command"  # a rule's command ran: rule, ok, message
    CONTAINER = "container"  # a container event: text, name, action, exit_code, detail, id
    DOCKER_STATE = "docker_state"  # the Docker source changed state: text
    SOURCE_HEALTH = "source_health"  # gauges changed health (collectors.gauge_health.HealthEvent.as_dict)
    GAUGE_TAIL = "gauge_tail"  # k6 ended; the gauges keep polling for a while: text
    GENERATOR_SATURATED = "generator_saturated"  # warning, box_cpu_pct, k6_cpu_pct
    GENERATOR_RECOVERED = "generator_recovered"
    INTERNAL_ERROR = "internal_error"  # text
    LISTENER_ERROR = "listener_error"  # error
    RECORD = "record"  # the record's writes failed or work again: transition (failing, saved), text
    STALL = "stall"  # k6 alive but silent: transition (start, end), from_t, to_t, duration_s
    VIEWER = "viewer"  # a viewer attached, detached or was lost: text, viewer, action, reason, read_only, pid
    VIEWER_REFUSED = "viewer_refused"  # a peer of another user tried to attach: text
    OTHER = "other"  # a kind this version does not know (a newer record): `data["kind_text"]` has it

    @classmethod
    def parse(cls, text: str) -> EventKind:
        """The kind stored as `text`; OTHER for one this version does not know."""
        try:
            return cls(text)
        except ValueError:
            return cls.OTHER


@dataclass(frozen=True, slots=True)
class EventRow:
    """One event: when it happened (`t`, the data's own time when it has one), its kind and its fields."""

    t: float
    kind: EventKind
    data: Mapping[str, Any]
    recorded_t: float = 0.0  # when it was written

    def get(self, key: str, default: Any = None) -> Any:
        """A field of the event's data."""
        return self.data.get(key, default)

    def __getitem__(self, key: str) -> Any:
        """A field of the event's data (KeyError when absent)."""
        return self.data[key]

    @property
    def transition(self) -> str:
        """A breach's transition (`firing`, `resolved`, ...), "" for other kinds."""
        return str(self.data.get("transition") or self.data.get("kind") or "")

    def mark(self, t0: float) -> Mark:
        """A MARK event as the screen showed it; `t0` is the run's start."""
        t = self.recorded_t or self.t  # the mark's own time: the row's
        return Mark(
            t=t,
            elapsed_s=t - t0,
            note=str(self.data.get("note") or ""),
            by=str(self.data.get("by") or "user"),
        )

    def as_dict(self) -> dict[str, Any]:
        """The event as `loadwatch show --json` prints it: its fields, then `t` and `kind`."""
        return {**self.data, "t": self.t, "kind": str(self.data.get("kind_text", self.kind))}


@dataclass(frozen=True, slots=True)
class HistogramRow:
    """One second's latency histogram (log buckets of runners.k6.histogram: index -> count)."""

    t: int
    counts: Mapping[int, int]


@dataclass(frozen=True, slots=True)
class MetricSecondRow:
    """One second of k6's metric series (runners.k6.metric_seconds): k6's name -> figures by k6's stat keys.

    Counter: count; Gauge: value, min, max; Rate: passes, fails; Trend: count, avg, min, max, med, p(90),
    p(95), p(99). Series are the whole metrics, declared sub-metrics and (Counters, Gauges, Rates) each
    scenario, group and check; the record's `metric_series` meta says the cap and what it left out.
    """

    t: int
    series: Mapping[str, Mapping[str, float | None]]

    def value(self, name: str, stat: str) -> float | None:
        """One figure of one series, None when the second does not hold it."""
        return (self.series.get(name) or {}).get(stat)


@dataclass(frozen=True, slots=True)
class GaugeValuesRow:
    """One second of the system under test's gauges: (gauge, series) -> value, ok readings only."""

    t: int
    values: Mapping[tuple[str, str], float]


@dataclass(frozen=True, slots=True)
class ContainerValues:
    """One container's figures in one second."""

    cpu_pct: float | None
    mem_pct: float | None
    mem_bytes: float | None
    state: str

    def metric(self, name: str) -> float | None:
        """`cpu_pct`, `mem_pct` or `mem_bytes` by name (report charts pick them by name)."""
        value: float | None = getattr(self, name) if name in CONTAINER_METRICS else None
        return value


CONTAINER_METRICS = ("cpu_pct", "mem_pct", "mem_bytes")


@dataclass(frozen=True, slots=True)
class ContainerValuesRow:
    """One second of the followed containers: name -> figures."""

    t: int
    containers: Mapping[str, ContainerValues]


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass(frozen=True, slots=True)
class RunMeta:
    """The run's metadata (the `meta` table). Unknown keys are kept in `raw` and shown by `show --json`."""

    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The run's name ("" when not recorded)."""
        return str(self.raw.get("name") or "")

    @property
    def started_at(self) -> float | None:
        """Wall time k6 was launched."""
        return _num(self.raw.get("started_at"))

    @property
    def ended_at(self) -> float | None:
        """Wall time the run ended; None while it runs or after a crash."""
        return _num(self.raw.get("ended_at"))

    @property
    def status(self) -> str:
        """The run's final state (runners.model.frames.RunState values), "unknown" when not recorded."""
        return str(self.raw.get("status") or "unknown")

    @property
    def status_detail(self) -> str:
        """Why the run is in its state."""
        return str(self.raw.get("status_detail") or "")

    @property
    def window_s(self) -> int:
        """The sliding window of the run's "now" figures."""
        value = _num(self.raw.get("window_s"))
        return int(value) if value else 10

    @property
    def planned_s(self) -> float | None:
        """The duration k6 announced for its plan."""
        return _num(self.raw.get("planned_s"))

    @property
    def k6_exit_code(self) -> int | None:
        """k6's exit status (negative: killed by that signal)."""
        value = _num(self.raw.get("k6_exit_code"))
        return None if value is None else int(value)

    @property
    def rules(self) -> list[dict[str, Any]] | None:
        """The rules in force, as recorded (runners.model.rule_spec.rules_meta)."""
        value = self.raw.get("rules")
        return value if isinstance(value, list) else None

    @property
    def plan(self) -> list[str] | None:
        """k6's plan lines (scenarios, stages), as recorded at the end."""
        value = self.raw.get("plan")
        return [str(x) for x in value] if isinstance(value, list) else None

    def get(self, key: str, default: Any = None) -> Any:
        """Any key, as stored (JSON value)."""
        return self.raw.get(key, default)

    def __getitem__(self, key: str) -> Any:
        """Any key, as stored (KeyError when absent)."""
        return self.raw[key]

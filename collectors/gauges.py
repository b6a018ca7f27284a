"""Gauges of the system under test: their definition, readings, snapshots, levels and run statistics."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Unit = Literal["%", "bytes", "count", "seconds", "ratio"]
Direction = Literal["above", "below"]
State = Literal["ok", "stale", "down", "invalid", "no_data", "pending"]
Level = Literal["ok", "warning", "critical"]
Source = Literal["prometheus", "scrape"]
SourceState = Literal["pending", "ok", "down"]

UNITS: tuple[Unit, ...] = ("%", "bytes", "count", "seconds", "ratio")
DIRECTIONS: tuple[Direction, ...] = ("above", "below")


@dataclass(frozen=True, slots=True)
class GaugeSpec:
    """One configured gauge.

    `query` is PromQL for a Prometheus server; direct scrape evaluates it too when it stays inside the
    supported subset, and `expr` overrides it for direct scrape only (e.g. a shorter rate window).
    """

    name: str
    query: str
    unit: Unit
    expr: str | None = None
    max: float | None = None
    warning: float | None = None
    critical: float | None = None
    split_by: str | None = None
    direction: Direction = "above"
    title: str = ""
    for_s: float | None = None  # the `for` of the rule its levels become (None: the preset's or 10 s)

    @property
    def scrape_expr(self) -> str:
        """The expression direct scrape evaluates."""
        return self.expr or self.query


def level_of(
    value: float | None, warning: float | None, critical: float | None, direction: Direction
) -> Level | None:
    """How bad a value is against its levels.

    Args:
        value: The value; None when unknown.
        warning: Warning level, if any.
        critical: Critical level, if any.
        direction: "above": high is bad; "below": low is bad (a cache hit rate).

    Returns:
        "critical", "warning" or "ok"; None when the value is unknown.
    """
    if value is None or math.isnan(value):
        return None

    def crossed(level: float | None) -> bool:
        if level is None:
            return False
        return value >= level if direction == "above" else value <= level

    if crossed(critical):
        return "critical"
    return "warning" if crossed(warning) else "ok"


def bar_max(unit: Unit, configured: float | None) -> float | None:
    """The value a full bar stands for: the configured max, else 100 for % and 1 for a ratio."""
    if configured is not None:
        return configured
    return {"%": 100.0, "ratio": 1.0}.get(unit)


@dataclass(frozen=True, slots=True)
class GaugeReading:
    """The state of one gauge series at one poll.

    `series` is the split label's value ("" for a single series). `value` is the current value when `state`
    is "ok", the last good value when "stale", else None. `age_s` is the age of that value.
    """

    name: str
    series: str
    value: float | None
    unit: Unit
    state: State
    detail: str
    age_s: float | None
    t: float
    warning: float | None = None
    critical: float | None = None
    max: float | None = None
    direction: Direction = "above"

    @property
    def key(self) -> tuple[str, str]:
        """`(name, series)`, unique within a snapshot."""
        return (self.name, self.series)

    @property
    def level(self) -> Level | None:
        """The level of the value (a stale value keeps its level)."""
        return level_of(self.value, self.warning, self.critical, self.direction)

    @property
    def bar_max(self) -> float | None:
        """The value a full bar stands for, None when there is no scale."""
        return bar_max(self.unit, self.max)


@dataclass(frozen=True, slots=True)
class GaugeSnapshot:
    """Every reading of one poll, and how the source itself is doing."""

    t: float
    source: Source
    readings: tuple[GaugeReading, ...]
    source_state: SourceState
    source_detail: str
    poll_s: float = 0.0
    retry_in_s: float | None = None


@dataclass(slots=True)
class SeriesStats:
    """Running statistics of one series over the run (ok readings only)."""

    unit: Unit
    count: int = 0
    total: float = 0.0
    low: float = math.inf
    high: float = -math.inf
    last: float | None = None

    def add(self, value: float) -> None:
        """Count one value."""
        self.count += 1
        self.total += value
        self.low = min(self.low, value)
        self.high = max(self.high, value)
        self.last = value

    def as_dict(self) -> dict[str, float | int | str | None]:
        """The `--json-summary` form: last, min, max, mean, unit and the number of samples."""
        if self.count == 0:
            return {"last": None, "min": None, "max": None, "mean": None, "unit": self.unit, "samples": 0}
        return {
            "last": self.last,
            "min": self.low,
            "max": self.high,
            "mean": self.total / self.count,
            "unit": self.unit,
            "samples": self.count,
        }

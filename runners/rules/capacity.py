"""The capacity ceiling: the load (VUs, requests/s, time) when the first critical breach's crossing began.

A rule fires `for` seconds after the value started crossing its level; the load grows meanwhile (a ramp
doubled it in the case that made us change this). So the ceiling is read from the load history at the start
of the sustained crossing, with the firing time and the load then beside it.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from runners.model.rule_events import Transition
from runners.model.units import format_value

LOAD_HISTORY = 4 * 3600
"""Load snapshots kept (two per second: the last half hour; a crossing is at most a `for` window old)."""


@dataclass(frozen=True, slots=True)
class LoadSnapshot:
    """The load right now, as the run engine sees it."""

    vus: float | None
    rps: float | None
    elapsed_s: float
    planned_s: float | None = None
    stage: str = ""  # e.g. "stage 3/5: ramping to 200 VUs"; empty when unknown
    t: float = 0.0  # wall time of the snapshot


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(max(0.0, seconds)), 60)
    return f"{minutes:02d}:{secs:02d}"


@dataclass(frozen=True, slots=True)
class CapacityCeiling:
    """Where the system under test gave out: the load when the first critical breach's crossing began."""

    t: float  # wall time the sustained crossing began
    rule: str
    path: str
    value: float | None  # the value when the rule fired
    threshold: float | None
    vus: float | None  # the load when the crossing began
    rps: float | None
    elapsed_s: float
    planned_s: float | None
    stage: str
    fired_t: float = 0.0  # wall time the rule fired
    fired_elapsed_s: float = 0.0
    fired_vus: float | None = None
    fired_rps: float | None = None

    def describe(self) -> str:
        """One line for the screen and the report."""
        vus = "? VUs" if self.vus is None else f"{self.vus:,.0f} VUs"
        rps = "? req/s" if self.rps is None else f"{self.rps:,.0f} req/s"
        stage = f", {self.stage}" if self.stage else ""
        what = f"{self.path} {format_value(self.path, self.value)}"
        fired = ""
        if self.fired_elapsed_s > self.elapsed_s:
            at = "?" if self.fired_vus is None else f"{self.fired_vus:,.0f}"
            fired = f"; fired at {_clock(self.fired_elapsed_s)} with {at} VUs"
        return (
            f"capacity ceiling: {vus}, {rps} at {_clock(self.elapsed_s)}{stage} ({self.rule}: {what}{fired})"
        )

    def as_dict(self) -> dict[str, Any]:
        """The `capacity_ceiling` object of `--json-summary` and the run record."""
        return {
            "t": round(self.t, 3),
            "rule": self.rule,
            "metric": self.path,
            "value": None if self.value is None else round(self.value, 6),
            "threshold": self.threshold,
            "vus": self.vus,
            "rps": None if self.rps is None else round(self.rps, 3),
            "elapsed_s": round(self.elapsed_s, 3),
            "planned_s": self.planned_s,
            "stage": self.stage,
            "fired_t": round(self.fired_t, 3),
            "fired_elapsed_s": round(self.fired_elapsed_s, 3),
            "fired_vus": self.fired_vus,
            "fired_rps": None if self.fired_rps is None else round(self.fired_rps, 3),
        }


class LoadHistory:
    """The load at each evaluation, to look up the load at the moment a crossing began."""

    def __init__(self, maxlen: int = LOAD_HISTORY) -> None:
        self._items: deque[LoadSnapshot] = deque(maxlen=maxlen)

    def add(self, load: LoadSnapshot) -> None:
        """Remember one evaluation's load (in time order)."""
        self._items.append(load)

    def at(self, t: float) -> LoadSnapshot | None:
        """The load at wall time `t`: the last snapshot at or before it (else the first one after)."""
        items = self._items
        if not items:
            return None
        i = bisect.bisect_right([x.t for x in items], t)
        return items[i - 1] if i else items[0]


def capacity_ceiling(
    transitions: Iterable[Transition], load: LoadSnapshot, history: LoadHistory | None = None
) -> CapacityCeiling | None:
    """The ceiling from the first transition that starts a critical firing, if any.

    Call it with each evaluation's transitions until it returns one, and keep that one: only the first
    critical breach of a run marks the ceiling.

    Args:
        transitions: The transitions of one evaluation.
        load: The load at that evaluation (when the rule fired).
        history: Earlier loads, to read the load when the crossing began; without it, the load now.

    Returns:
        The ceiling, or None when no transition fires at critical.
    """
    for tr in transitions:
        if not tr.is_critical_firing:
            continue
        start = load
        if history is not None and tr.crossed_t is not None:
            start = history.at(tr.crossed_t) or load
        return CapacityCeiling(
            t=tr.crossed_t if tr.crossed_t is not None else tr.t,
            rule=tr.rule,
            path=tr.path,
            value=tr.value,
            threshold=tr.threshold,
            vus=start.vus,
            rps=start.rps,
            elapsed_s=start.elapsed_s,
            planned_s=load.planned_s,
            stage=start.stage,
            fired_t=tr.t,
            fired_elapsed_s=load.elapsed_s,
            fired_vus=load.vus,
            fired_rps=load.rps,
        )
    return None

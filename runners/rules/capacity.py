"""The capacity ceiling: the load (VUs, requests/s, stage) at the moment a critical rule first fired."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from runners.model.rule_events import Transition
from runners.rules.format import format_value


@dataclass(frozen=True, slots=True)
class LoadSnapshot:
    """The load right now, as the run engine sees it."""

    vus: float | None
    rps: float | None
    elapsed_s: float
    planned_s: float | None = None
    stage: str = ""  # e.g. "stage 3/5: ramping to 200 VUs"; empty when unknown


@dataclass(frozen=True, slots=True)
class CapacityCeiling:
    """Where the system under test gave out: the first critical breach and the load at that moment."""

    t: float
    rule: str
    path: str
    value: float | None
    threshold: float | None
    vus: float | None
    rps: float | None
    elapsed_s: float
    planned_s: float | None
    stage: str

    def describe(self) -> str:
        """One line for the screen and the report."""
        vus = "? VUs" if self.vus is None else f"{self.vus:,.0f} VUs"
        rps = "? req/s" if self.rps is None else f"{self.rps:,.0f} req/s"
        minutes, seconds = divmod(int(self.elapsed_s), 60)
        stage = f", {self.stage}" if self.stage else ""
        what = f"{self.path} {format_value(self.path, self.value)}"
        return f"capacity ceiling: {vus}, {rps} at {minutes:02d}:{seconds:02d}{stage} ({self.rule}: {what})"

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
        }


def capacity_ceiling(transitions: Iterable[Transition], load: LoadSnapshot) -> CapacityCeiling | None:
    """The ceiling from the first transition that starts a critical firing, if any.

    Call it with each evaluation's transitions until it returns one, and keep that one: only the first
    critical breach of a run marks the ceiling.

    Args:
        transitions: The transitions of one evaluation.
        load: The load at that evaluation.

    Returns:
        The ceiling, or None when no transition fires at critical.
    """
    for tr in transitions:
        if tr.is_critical_firing:
            return CapacityCeiling(
                t=tr.t,
                rule=tr.rule,
                path=tr.path,
                value=tr.value,
                threshold=tr.threshold,
                vus=load.vus,
                rps=load.rps,
                elapsed_s=load.elapsed_s,
                planned_s=load.planned_s,
                stage=load.stage,
            )
    return None

"""The run view: what a run shows at one instant, as the live engine computes it and the record replays it.

`FrameParts` is every figure a frame carries besides its history; the engine records one per tick, so a
replay shows each tab exactly as it was. `RunView` is what both the live engine and a replay offer the one
frame assembly (runners.engine.frame_assembly). A new pane adds its field here and to `Frame`: recording,
replay and frames then carry it with no other change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from collectors.docker_model import DockerSnapshot
from collectors.gauges import GaugeSnapshot
from runners.model.frames import (
    CodeCount,
    EndpointRow,
    GaugeHistory,
    GeneratorView,
    HistogramBin,
    LiveStats,
    Mark,
    MetricsView,
    RunEvent,
    RunState,
    SecondPoint,
    ThresholdRow,
    Totals,
)
from runners.model.rule_events import Breach


@dataclass(frozen=True, slots=True)
class FrameParts:
    """What the screen shows at one tick, history aside (field names are those of `Frame`)."""

    state: RunState
    status_detail: str
    elapsed_s: float
    planned_s: float | None
    live: LiveStats
    totals: Totals
    k6_exit_code: int | None
    parse_errors: int
    dropped_output_lines: int
    series_end: int | None = None  # the last k6 second the charts show (closed seconds only)
    endpoints: tuple[EndpointRow, ...] = ()
    codes: tuple[CodeCount, ...] = ()
    latency_bins: tuple[HistogramBin, ...] = ()
    thresholds: tuple[ThresholdRow, ...] = ()
    generator: GeneratorView | None = None
    marks: tuple[Mark, ...] = ()
    events: tuple[RunEvent, ...] = ()
    rules: tuple[str, ...] = ()
    firing: tuple[Breach, ...] = ()
    breach_history: tuple[Breach, ...] = ()
    rule_notes: tuple[str, ...] = ()
    capacity_ceiling: str = ""
    gauges: GaugeSnapshot | None = None
    containers: DockerSnapshot | None = None
    stalled_s: float | None = None  # k6 alive but silent this long (a stall in progress)
    record_problem: str = ""  # why the record is not being written ("" while it is)
    metrics: MetricsView | None = None  # every k6 metric as k6's end-of-test summary (recorded, so replayed)


class RunView(Protocol):
    """A run as the frame assembly reads it at one instant: live, or from its record."""

    @property
    def run_name(self) -> str:
        """Short human name of the run."""
        ...

    @property
    def started_at(self) -> float:
        """Wall time the run started (the time axis' origin)."""
        ...

    @property
    def run_dir(self) -> str:
        """The run's record folder."""
        ...

    def parts(self, now: float) -> FrameParts:
        """Every figure shown at wall time `now`."""
        ...

    def series(self, parts: FrameParts) -> tuple[SecondPoint, ...]:
        """k6's seconds the charts show with these parts (up to `parts.series_end`), oldest first."""
        ...

    def gauge_history(self, now: float) -> GaugeHistory:
        """The gauges' recent values up to `now`: (gauge, series) -> ((t, value), ...)."""
        ...

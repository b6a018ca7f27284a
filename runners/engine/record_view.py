"""The recorded side of the run view: a run record read once, shown as it was at any instant."""

from __future__ import annotations

import bisect
from pathlib import Path

from collectors.docker_model import ContainerEvent
from runners.engine.frame_assembly import GAUGE_HISTORY_S, gauge_history_of
from runners.engine.legacy_parts import LegacyParts
from runners.model.frames import GaugeHistory, OutputLine, SecondPoint
from runners.model.run_view import FrameParts
from runners.record.index import read_summary
from runners.record.reader import RecordReader
from runners.record.schema import EventKind, EventRow


def _container_event(e: EventRow) -> ContainerEvent:
    code = e.get("exit_code")
    return ContainerEvent(t=e.t, container_id=str(e.get("id") or ""), name=str(e.get("name") or ""),
                          action=str(e.get("action") or ""), exit_code=code if isinstance(code, int) else None,
                          detail=str(e.get("detail") or ""))  # fmt: skip


class RecordView:
    """Implements runners.model.run_view.RunView over a run record (finished, running or cut short)."""

    def __init__(self, folder: Path) -> None:
        """Read the record whole.

        Args:
            folder: The run's folder.

        Raises:
            runners.record.reader.RecordReadError: when it holds no readable record.
        """
        with RecordReader(folder) as reader:
            self.meta = reader.meta()
            self.points = reader.seconds()
            hists = {row.t: row.counts for row in reader.histograms()}
            self._gauge_rows = reader.gauge_values()
            events = reader.events()
            self.output = sorted(reader.output(), key=lambda x: x.t)
            self.ticks = reader.ticks()
        self.folder = folder
        first = self.points[0].t if self.points else None
        self.t0 = self.meta.started_at or first or self.ticks.first_s or 0.0
        last = self.points[-1].t + 1 if self.points else self.t0
        self.t_end = max(self.meta.ended_at or last, self.ticks.last_s or 0.0)
        self.t_start = self.ticks.first_s or self.t0  # the first instant that has a frame
        self._point_t = [p.t for p in self.points]
        self._gauge_t = [row.t for row in self._gauge_rows]
        self._output_t = [x.t for x in self.output]
        containers = [e for e in events if e.kind is EventKind.CONTAINER]
        self._container_events = sorted((_container_event(e) for e in containers), key=lambda c: c.t)
        self._container_t = [e.t for e in self._container_events]
        self._legacy = LegacyParts(self.meta, self.points, hists, events, read_summary(folder) or {},
                                   (self.t0, self.t_end))  # fmt: skip

    @property
    def run_name(self) -> str:
        """The recorded run's name."""
        return self.meta.name or self.folder.name

    @property
    def started_at(self) -> float:
        """Wall time the run started."""
        return self.t0

    @property
    def run_dir(self) -> str:
        """The record's folder."""
        return str(self.folder)

    def parts(self, now: float) -> FrameParts:
        """What the screen showed at wall time `now` (rebuilt from k6's seconds for older records)."""
        return self.ticks.parts_at(now) or self._legacy.parts(now)

    def series(self, parts: FrameParts) -> tuple[SecondPoint, ...]:
        """Every k6 second up to the last one the charts showed then."""
        if parts.series_end is None:
            return ()
        return tuple(self.points[: bisect.bisect_right(self._point_t, parts.series_end)])

    def gauge_history(self, now: float) -> GaugeHistory:
        """The gauge values recorded in the GAUGE_HISTORY_S seconds up to `now`."""
        lo = bisect.bisect_left(self._gauge_t, now - GAUGE_HISTORY_S)
        hi = bisect.bisect_right(self._gauge_t, now)
        return gauge_history_of(self._gauge_rows[lo:hi], now)

    def output_between(self, after: float, until: float, limit: int) -> tuple[OutputLine, ...]:
        """The last `limit` output lines printed in (after, until]."""
        lo = bisect.bisect_right(self._output_t, after)
        hi = bisect.bisect_right(self._output_t, until)
        return tuple(self.output[max(lo, hi - limit) : hi])

    def container_events_between(self, after: float, until: float, limit: int) -> tuple[ContainerEvent, ...]:
        """The last `limit` container events in (after, until]."""
        lo = bisect.bisect_right(self._container_t, after)
        hi = bisect.bisect_right(self._container_t, until)
        return tuple(self._container_events[max(lo, hi - limit) : hi])

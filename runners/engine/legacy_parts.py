"""Frame parts rebuilt from k6's seconds, for records made before ticks were kept (and before a first tick).

Such a record holds no gauges, containers, breaches or codes per instant; what k6's seconds, the latency
histograms, the events and the summary hold is shown.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from typing import Any

from runners.k6.histogram import Histogram, bucket_value
from runners.k6.stats import percentiles_of
from runners.model.frames import (
    EndpointRow,
    LiveStats,
    Percentiles,
    RunEvent,
    RunState,
    SecondPoint,
    ThresholdRow,
    Totals,
)
from runners.model.run_view import FrameParts
from runners.record.journal import describe_event
from runners.record.schema import EventKind, EventRow, RunMeta


class LegacyParts:
    """Builds FrameParts at any instant from a record's k6 seconds, histograms, events and summary."""

    def __init__(
        self,
        meta: RunMeta,
        points: Sequence[SecondPoint],
        hists: Mapping[int, Mapping[int, int]],
        events: Sequence[EventRow],
        summary: Mapping[str, Any],
        span: tuple[float, float],
    ) -> None:
        """Keep what the parts are made from.

        Args:
            meta: The run's metadata.
            points: k6's seconds in time order.
            hists: Per-second latency histograms.
            events: The run's events.
            summary: summary.json ({} when absent).
            span: The run's start and end (wall time).
        """
        self.meta, self.points, self.hists, self.events, self.summary = meta, points, hists, events, summary
        self.t0, self.t_end = span
        self._times = [p.t for p in points]

    def parts(self, pos: float) -> FrameParts:
        """The parts at wall time `pos`."""
        at_end = pos >= self.t_end
        n = len(self.points) if at_end else bisect.bisect_right(self._times, pos - 1)
        series = self.points[:n]
        window = series[-self.meta.window_s :]
        count = max(1, len(window))
        req = sum(p.requests for p in window)
        checks = sum(p.checks_pass + p.checks_fail for p in window)
        live = LiveStats(
            window_s=self.meta.window_s, rps=req / count, error_rate=sum(p.failed for p in window) / req if req else 0.0,
            latency=window[-1].window if window else Percentiles(), iterations_per_s=sum(p.iterations for p in window) / count,
            data_sent_per_s=sum(p.data_sent for p in window) / count,
            data_received_per_s=sum(p.data_received for p in window) / count,
            checks_rate=sum(p.checks_pass for p in window) / checks if checks else None,
            vus=window[-1].vus if window else None, vus_max=None,
        )  # fmt: skip
        shown = [e for e in self.events if e.recorded_t <= pos]
        return FrameParts(
            state=self._state(pos),
            status_detail=self.meta.status_detail if at_end else "replay",
            elapsed_s=pos - self.t0,
            planned_s=self.meta.planned_s or self.t_end - self.t0,
            live=live,
            totals=self._totals(series, at_end),
            k6_exit_code=self.meta.k6_exit_code if at_end else None,
            parse_errors=0,
            dropped_output_lines=0,
            series_end=series[-1].t if series else None,
            endpoints=self._endpoints() if at_end else (),
            thresholds=self._thresholds() if at_end else (),
            marks=tuple(e.mark(self.t0) for e in shown if e.kind is EventKind.MARK),
            events=tuple(RunEvent(e.recorded_t, e.kind.value, describe_event(e.kind, e.data)) for e in shown)[
                -50:
            ],
        )

    def _state(self, pos: float) -> RunState:
        if pos < self.t_end:
            return RunState.RUNNING
        try:
            return RunState(self.meta.status)
        except ValueError:
            return RunState.FAILED

    def _totals(self, series: Sequence[SecondPoint], at_end: bool) -> Totals:
        h = Histogram()
        for p in series:
            for k, v in (self.hists.get(p.t) or {}).items():
                h.counts[k] = h.counts.get(k, 0) + v
                h.count += v
        if h.count:  # the record keeps bucket counts only: min and max are their buckets' values
            h.min, h.max = bucket_value(min(h.counts)), bucket_value(max(h.counts))
        lat = percentiles_of(h) if h.count else Percentiles()
        s = self.summary.get("latency_ms") or {}
        if at_end and s:  # the recorded summary has the exact figures
            lat = Percentiles(
                p50=s.get("p50"), p90=s.get("p90"), p95=s.get("p95"), p99=s.get("p99"), max=s.get("max")
            )
        return Totals(
            requests=sum(p.requests for p in series), failed=sum(p.failed for p in series),
            iterations=sum(p.iterations for p in series), data_sent=sum(p.data_sent for p in series),
            data_received=sum(p.data_received for p in series), checks_pass=sum(p.checks_pass for p in series),
            checks_fail=sum(p.checks_fail for p in series), latency=lat, latency_avg=s.get("avg") if at_end else None,
            first_sample_t=series[0].t if series else None, last_sample_t=series[-1].t if series else None,
        )  # fmt: skip

    def _endpoints(self) -> tuple[EndpointRow, ...]:
        rows = []
        for e in self.summary.get("endpoints") or []:
            lat = e.get("latency_ms") or {}
            rows.append(EndpointRow(
                name=e["name"], requests=e["requests"], rps=e.get("rps_mean", 0.0), p50=lat.get("p50"),
                p95=lat.get("p95"), p99=lat.get("p99"), error_pct=e.get("error_pct", 0.0), run_p95=lat.get("p95"),
                run_error_pct=e.get("error_pct", 0.0), statuses=tuple((e.get("status_codes") or {}).items()),
            ))  # fmt: skip
        return tuple(rows)

    def _thresholds(self) -> tuple[ThresholdRow, ...]:
        return tuple(ThresholdRow(t["metric"], t["expression"], t.get("value"), t.get("ok"), True)
                     for t in self.summary.get("thresholds") or [])  # fmt: skip

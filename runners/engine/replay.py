"""Plays a run record back as frames, so the same screen shows it: play, pause, faster, slower, seek."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

from runners.engine.control import FrameListener
from runners.k6.histogram import Histogram, bucket_value
from runners.k6.line_text import clean_line
from runners.k6.stats import percentiles_of
from runners.model.frames import (
    EndpointRow,
    Frame,
    LiveStats,
    Mark,
    Percentiles,
    RunEvent,
    RunState,
    SecondPoint,
    ThresholdRow,
    Totals,
)
from runners.record.index import read_summary
from runners.record.journal import describe_event
from runners.record.reader import RecordReader
from runners.record.schema import EventKind

TICK_S = 0.5
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)


class ReplayControl:
    """A RunControl over a recorded run. Frames come from a timer thread at the playback speed."""

    def __init__(self, folder: Path, speed: float = 1.0, autoplay: bool = True) -> None:
        with RecordReader(folder) as reader:
            self.meta = reader.meta()
            self.points = reader.seconds()
            self.hists = {row.t: row.counts for row in reader.histograms()}
            self.events = reader.events()
            self.output = reader.output()
        self.folder = folder
        self.summary = read_summary(folder) or {}
        self.window_s = self.meta.window_s
        self.t0 = self.meta.started_at or (self.points[0].t if self.points else time.time())
        last = self.points[-1].t + 1 if self.points else self.t0
        self.t_end = self.meta.ended_at or last
        self.pos = self.t0
        self.speed = speed
        self.playing = autoplay
        self._name = self.meta.name or folder.name
        self._listeners: list[FrameListener] = []
        self._lock = threading.Lock()
        self._seq = 0
        self._out_pos = self.t0 - 1
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="replay", daemon=True)

    # ---- RunControl --------------------------------------------------------------------------------
    @property
    def run_name(self) -> str:
        """The recorded run's name."""
        return self._name

    @property
    def state(self) -> RunState:
        """RUNNING while the playback is inside the run, then the recorded final state."""
        return self._state_at(self.pos)

    def _state_at(self, pos: float) -> RunState:
        if pos < self.t_end:
            return RunState.RUNNING
        try:
            return RunState(self.meta.status)
        except ValueError:
            return RunState.FAILED

    @property
    def can_annotate(self) -> bool:
        """A replay is read-only."""
        return False

    def add_listener(self, listener: FrameListener) -> None:
        """Receive frames; playback starts with the first listener."""
        with self._lock:
            self._listeners.append(listener)
        if not self._thread.is_alive():
            self._thread.start()

    def request_stop(self, *, hard: bool = False, reason: str = "user") -> None:
        """Stop the playback (nothing runs)."""
        self.playing = False

    def add_mark(self, note: str, *, by: str = "user") -> Mark:
        """Not possible in a replay."""
        raise RuntimeError("a replay is read-only: marks are added during the run")

    def save_snapshot(self, svg_path: Path | None) -> Path:
        """Snapshots of a replay are just the SVG."""
        if svg_path is None:
            raise RuntimeError("nothing to save")
        return svg_path

    def snapshot_dir(self) -> Path:
        """Replay screenshots go next to the record, in `replay-snapshots/`."""
        d = self.folder / "replay-snapshots"
        d.mkdir(exist_ok=True)
        return d

    # ---- playback ----------------------------------------------------------------------------------
    def toggle_play(self) -> None:
        """Play or pause; at the end, play restarts from the beginning."""
        if not self.playing and self.pos >= self.t_end:
            self.seek_to(self.t0)
        self.playing = not self.playing
        self.emit()  # the header shows play/pause at once, not with the next played frame

    def faster(self) -> None:
        """Next speed up."""
        self.speed = next((s for s in SPEEDS if s > self.speed), SPEEDS[-1])
        self.emit()

    def slower(self) -> None:
        """Next speed down."""
        self.speed = next((s for s in reversed(SPEEDS) if s < self.speed), SPEEDS[0])
        self.emit()

    def seek(self, delta_s: float) -> None:
        """Move the playback position by delta seconds."""
        self.seek_to(self.pos + delta_s)

    def seek_to(self, t: float) -> None:
        """Move the playback position to a time within the run."""
        with self._lock:
            self.pos = min(max(t, self.t0), self.t_end)
            self._out_pos = min(self._out_pos, self.pos)
        self.emit()

    def close(self) -> None:
        """Stop the timer thread."""
        self._stop.set()

    def _loop(self) -> None:
        self.emit()
        while not self._stop.wait(TICK_S):
            if self.playing:
                with self._lock:
                    self.pos = min(self.t_end, self.pos + TICK_S * self.speed)
                if self.pos >= self.t_end:
                    self.playing = False
                self.emit()

    def emit(self) -> Frame:
        """Build the frame at the current position and hand it to the listeners."""
        frame = self.frame_at(self.pos)
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(frame)
        return frame

    def frame_at(self, pos: float) -> Frame:
        """The frame the live screen showed (as near as the record allows) at wall time `pos`."""
        at_end = pos >= self.t_end
        series = tuple(self.points) if at_end else tuple(p for p in self.points if p.t + 1 <= pos)
        window = series[-self.window_s :]
        n = max(1, len(window))
        req = sum(p.requests for p in window)
        checks = sum(p.checks_pass + p.checks_fail for p in window)
        live = LiveStats(
            window_s=self.window_s, rps=req / n, error_rate=sum(p.failed for p in window) / req if req else 0.0,
            latency=window[-1].window if window else Percentiles(), iterations_per_s=sum(p.iterations for p in window) / n,
            data_sent_per_s=sum(p.data_sent for p in window) / n, data_received_per_s=sum(p.data_received for p in window) / n,
            checks_rate=sum(p.checks_pass for p in window) / checks if checks else None,
            vus=window[-1].vus if window else None, vus_max=None,
        )  # fmt: skip
        with self._lock:
            self._seq += 1
            # Records written before lines were cleaned may hold escapes: never replay them to the terminal.
            lines = tuple(replace(x, text=clean_line(x.text))
                          for x in [o for o in self.output if self._out_pos < o.t <= pos][-400:])  # fmt: skip
            self._out_pos = pos
        return Frame(
            seq=self._seq, wall_t=pos, run_name=self._name, state=self._state_at(pos), elapsed_s=pos - self.t0,
            planned_s=self.t_end - self.t0, live=live, totals=self._totals(series, at_end), series=series[-900:],
            new_output=lines, k6_exit_code=self.meta.k6_exit_code if at_end else None,
            status_detail=self.meta.status_detail if at_end else "replay",
            parse_errors=0, dropped_output_lines=0,
            endpoints=self._endpoints() if at_end else (),
            thresholds=self._thresholds() if at_end else (),
            marks=tuple(self._marks(pos)),
            events=tuple(RunEvent(e.t, e.kind.value, describe_event(e.kind, e.data)) for e in self.events if e.t <= pos)[-50:],
            started_at=self.t0, run_dir=str(self.folder),
            replay=f"{'▶' if self.playing else '⏸'} {self.speed:g}x",
        )  # fmt: skip

    def _totals(self, series: tuple[SecondPoint, ...], at_end: bool) -> Totals:
        h = Histogram()
        for p in series:
            counts = self.hists.get(p.t)
            if counts:
                for k, v in counts.items():
                    h.counts[k] = h.counts.get(k, 0) + v
                h.count += sum(counts.values())
        if h.count:  # bucket counts alone: the bounds come from the buckets, or percentiles turn NaN
            h.min, h.max = bucket_value(min(h.counts)), bucket_value(max(h.counts))
        lat = percentiles_of(h) if h.count else Percentiles()
        s = self.summary.get("latency_ms") or {}
        if at_end and s:  # the recorded summary has the exact min, max and mean
            lat = Percentiles(
                p50=s.get("p50"), p90=s.get("p90"), p95=s.get("p95"), p99=s.get("p99"), max=s.get("max")
            )
        return Totals(
            requests=sum(p.requests for p in series), failed=sum(p.failed for p in series),
            iterations=sum(p.iterations for p in series), data_sent=sum(p.data_sent for p in series),
            data_received=sum(p.data_received for p in series), checks_pass=sum(p.checks_pass for p in series),
            checks_fail=sum(p.checks_fail for p in series), latency=lat,
            latency_avg=s.get("avg") if at_end else None,
            first_sample_t=series[0].t if series else None, last_sample_t=series[-1].t if series else None,
        )  # fmt: skip

    def _marks(self, pos: float) -> list[Mark]:
        return [e.mark(self.t0) for e in self.events if e.kind is EventKind.MARK and e.t <= pos]

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

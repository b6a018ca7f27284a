"""The run engine: owns one k6 run, folds its output every tick, records it, and hands frames out."""

from __future__ import annotations

import hashlib
import platform
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collectors.docker_config import DockerConfig
from collectors.gauge_config import GaugesConfig
from collectors.host import HostCollector
from runners.engine.control import FrameListener
from runners.engine.docker_levels import docker_levels
from runners.engine.frame_assembly import assemble_frame
from runners.engine.live_view import LiveView
from runners.engine.outcome import outcome
from runners.engine.sources import RunSources
from runners.k6.binary import find_k6, k6_version
from runners.k6.command import build_argv, check_user_args, free_port, k6_env, redact_args, secret_values
from runners.k6.ingest import K6Ingest
from runners.k6.output_buffer import OutputBuffer
from runners.k6.process import K6Process, json_placeholder
from runners.k6.stats import CLOSE_DELAY_S, K6Stats
from runners.k6.thresholds import TaintPoller, Threshold, final_verdicts, inspect_thresholds, threshold_rows
from runners.k6.views import code_counts, endpoint_rows, latency_bins
from runners.model.frames import Frame, Mark, OutputLine, RunState
from runners.model.rule_spec import Rule, rules_meta
from runners.model.run_view import FrameParts
from runners.record.journal import RunJournal
from runners.record.schema import EventKind
from runners.record.store import RunRecorder, new_run_dir
from runners.rules.capacity import LoadSnapshot
from runners.rules.defaults import default_rules
from runners.rules.evaluator import RunRules, generator_values, k6_values
from runners.rules.generator import GeneratorWatch

TICK_S = 0.5
SERIES_IN_FRAME = 900  # seconds of history a frame carries for charts
FRAME_EVENTS = 50  # recent events a frame carries (marks pane)
RECORD_LINES_PER_S = 20  # k6 output lines recorded per second, sustained
RECORD_BURST = 300  # ... with bursts of up to this many lines


@dataclass(frozen=True, slots=True)
class RunSpec:
    """What to run and where to record it."""

    script: Path
    k6_args: Sequence[str] = ()
    name: str = ""
    runs_dir: Path = Path("runs")
    window_s: int = 10
    max_endpoints: int = 50
    rules: Sequence[Rule] | None = None  # None: the default rule set
    gauges: GaugesConfig | None = None  # the system under test's gauges (Prometheus or direct scrape)
    docker: DockerConfig | None = None  # containers to follow; None: Docker off
    extra_meta: dict[str, Any] = field(default_factory=dict)


class RunEngine:
    """One k6 run. Implements runners.engine.control.RunControl."""

    def __init__(self, spec: RunSpec) -> None:
        check_user_args(spec.k6_args)
        self.spec = spec
        self._name = spec.name or spec.script.stem
        self.binary = find_k6()
        self.env = k6_env()
        self.ingest = K6Ingest()
        self.stats = K6Stats(self.ingest.tags, window_s=spec.window_s, max_endpoints=spec.max_endpoints)
        self.output = OutputBuffer(secrets=secret_values(spec.k6_args, self.env))
        self.run_dir = new_run_dir(spec.runs_dir, self._name)
        self.recorder = RunRecorder(self.run_dir)
        self.journal = RunJournal(self.recorder, lambda: self.started_at)
        self.summary_export = self.run_dir / "k6-summary.json"
        self.api_port = free_port()
        argv = build_argv(
            self.binary, spec.script, spec.k6_args, self.api_port, json_placeholder(), self.summary_export
        )
        self.k6 = K6Process(argv, self.env, self.api_port, self.ingest.feed, self.output.add)
        self.host = HostCollector()
        self.generator = GeneratorWatch()
        self.thresholds: list[Threshold] = []
        self.taint = TaintPoller(self.api_port)
        self._final_verdicts: dict[tuple[str, str], bool] | None = None
        self.sources = RunSources(spec.gauges, spec.docker)
        self.view = LiveView(self._name, lambda: self.started_at, str(self.run_dir), self.sources)
        gauge_specs = spec.gauges.gauges if spec.gauges is not None else ()
        rules = list(spec.rules) if spec.rules is not None else default_rules(gauge_specs)
        self.rules = RunRules(rules, self._name, self.journal.named_event)
        self._rule_names = tuple(dict.fromkeys(r.name for r in rules))
        self._state = RunState.STARTING
        self._detail = "starting k6"
        self._listeners: list[FrameListener] = []
        self._lock = threading.Lock()
        self._seq = 0
        self.started_at = 0.0
        self.ended_at: float | None = None
        self._k6_ended_at: float | None = None
        self.last_frame: Frame | None = None
        self.summary: dict[str, Any] = {}
        self._finished = threading.Event()
        self._reported_record_error = False
        self.unrecorded_lines = 0
        self._record_tokens = float(RECORD_BURST)
        self._record_t = time.time()
        self._ticker = threading.Thread(target=self._tick_loop, name="engine-tick", daemon=True)

    # ---- RunControl --------------------------------------------------------------------------------
    @property
    def run_name(self) -> str:
        """Short human name of the run."""
        return self._name

    @property
    def state(self) -> RunState:
        """The current state."""
        return self._state

    def add_listener(self, listener: FrameListener) -> None:
        """Receive every frame from now on (called from the engine's thread)."""
        with self._lock:
            self._listeners.append(listener)

    def request_stop(self, *, hard: bool = False, reason: str = "user", by: str = "") -> None:
        """Stop k6: gracefully (teardown and summary still run) or, with hard=True, at once.

        Args:
            hard: End k6 at once.
            reason: Why (becomes the record's `stopped_by`).
            by: Which attached viewer asked, when one did (recorded with the event).
        """
        if not self._state.is_active:
            return
        data: dict[str, Any] = {"reason": reason, "hard": hard}
        if by:
            data["by"] = by
        self.journal.event(EventKind.STOP_REQUESTED, data, commit=True)
        self._set_state(RunState.STOPPING, f"stopping ({'hard' if hard else 'graceful'}, by {reason})")
        self.k6.request_stop(hard=hard, reason=reason)

    # ---- life --------------------------------------------------------------------------------------
    @property
    def started(self) -> bool:
        """True once start() ran."""
        return self.started_at > 0

    def abandon(self) -> None:
        """Close the record of a run that was never started."""
        with self.journal.lock:
            self.recorder.set_meta(status=RunState.FAILED.value, status_detail="not started")
            self.journal.close()
            self.recorder.close()

    def start(self) -> None:
        """Record the metadata, spawn k6 and start ticking."""
        if self.started:
            return
        self.started_at = time.time()
        script_bytes = self.spec.script.read_bytes() if self.spec.script.is_file() else b""
        meta: dict[str, Any] = {
            "name": self._name,
            "script": str(self.spec.script),
            "script_sha256": hashlib.sha256(script_bytes).hexdigest() if script_bytes else None,
            "k6_args": redact_args(self.spec.k6_args),
            "k6_binary": self.binary,
            "k6_version": None,  # filled in by a background thread: `k6 version` is a subprocess
            "host": platform.node(),
            "started_at": self.started_at,
            "status": RunState.STARTING.value,
            "window_s": self.spec.window_s,
            "rules": rules_meta(self.rules.rules),
            "docker_levels": docker_levels(self.spec.docker) if self.spec.docker else None,
            "gauges": self.spec.gauges.record_meta()
            if self.spec.gauges and self.spec.gauges.source
            else None,
        }
        self.recorder.set_meta(**{**meta, **self.spec.extra_meta})  # the caller's keys win
        self.journal.event(EventKind.STATE, {"state": RunState.STARTING.value, "detail": self._detail})
        self.recorder.commit()
        threading.Thread(target=self._load_thresholds, name="k6-inspect", daemon=True).start()
        threading.Thread(target=self._load_version, name="k6-version", daemon=True).start()
        self.k6.start()
        self.host.watch_k6(self.k6.pid)
        self.taint.start()
        self.sources.start()
        self._ticker.start()

    def _load_version(self) -> None:
        version = k6_version(self.binary)
        with self.journal.lock:
            if not self.journal.closed:
                self.recorder.set_meta(k6_version=version)

    def _load_thresholds(self) -> None:
        found = inspect_thresholds(self.binary, self.spec.script, self.spec.k6_args, self.env)
        self.thresholds = found
        if found:
            self.journal.event(
                EventKind.THRESHOLDS, {"thresholds": [[t.metric, t.expression] for t in found]}
            )

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait until the run is over and recorded; True when it is."""
        return self._finished.wait(timeout_s)

    @property
    def can_annotate(self) -> bool:
        """Marks and snapshots are possible while the record is open."""
        return not self.journal.closed

    def add_mark(self, note: str, *, by: str = "user") -> Mark:
        """Record a mark; committed to disk before this returns."""
        return self.journal.add_mark(note, by=by)

    def save_snapshot(self, svg_path: Path | None, *, by: str = "user") -> Path:
        """Write every current value (the last frame, whole) as JSON into the run's snapshots folder."""
        return self.journal.save_snapshot(self.last_frame, svg_path, self.snapshot_extra(), by=by)

    def record_event(self, kind: EventKind, data: dict[str, Any]) -> None:
        """Record an event from outside the engine (a viewer attached or left); committed at once."""
        self.journal.event(kind, data, commit=True)

    def snapshot_extra(self) -> dict[str, Any]:
        """What a snapshot holds besides the frame (collectors add theirs)."""
        return {"run_dir": str(self.run_dir), "summary_so_far": None}

    def snapshot_dir(self) -> Path:
        """Where snapshot files go."""
        return self.journal.snapshot_dir()

    def _set_state(self, state: RunState, detail: str) -> None:
        with self._lock:
            if state == self._state and detail == self._detail:
                return
            self._state, self._detail = state, detail
        self.journal.event(EventKind.STATE, {"state": state.value, "detail": detail}, commit=True)

    def _tick_loop(self) -> None:
        next_t = time.monotonic()
        try:
            while not self.k6.wait(0):
                self._tick(time.time())
                next_t += TICK_S
                time.sleep(max(0.0, next_t - time.monotonic()))
            self._gauge_tail()
        except Exception as exc:  # a bug here must not leave k6 running unwatched or the caller waiting
            self.output.add("loadwatch", f"loadwatch internal error: {exc!r}; stopping k6")
            self.journal.event(EventKind.INTERNAL_ERROR, {"text": repr(exc)}, commit=True)
            self.k6.request_stop(hard=True, reason="loadwatch internal error")
            self.k6.wait(10)
        finally:
            try:
                self._finish()
            finally:
                self._finished.set()

    def _gauge_tail(self) -> None:
        """After k6 ended, keep polling the gauges a few seconds (the system settles); no rule opens."""
        tail = self.sources.tail_s
        stop = self.k6.stop_info
        if tail <= 0 or not self._state.is_active or (stop is not None and stop.hard) or self.k6.spawn_error:
            return
        self._k6_ended_at = time.time()
        self.journal.event(EventKind.GAUGE_TAIL, {"text": f"k6 ended; gauges keep polling for {tail:g} s"})
        self._set_state(self._state, f"k6 ended; gauges keep polling for {tail:g} s")
        end = time.monotonic() + tail
        while time.monotonic() < end:
            self._tick(time.time())
            time.sleep(min(TICK_S, max(0.0, end - time.monotonic())))

    def _tick(self, now: float) -> Frame:
        self.stats.absorb(self.ingest.take())
        closed = self.stats.close_until(now)
        lines = self.output.take()
        sample = self.host.sample()
        change = self.generator.feed(sample)
        if change is not None:
            self.journal.event(EventKind(f"generator_{change}"), {"warning": self.generator.warning(), "box_cpu_pct": sample.box_cpu_pct,
                                                       "k6_cpu_pct": sample.k6_cpu_pct})  # fmt: skip
            lines += (OutputLine(now, "event", self.generator.warning() or "load generator recovered"),)
        elapsed = (self.ended_at or now) - self.started_at
        window_hist = self.stats.window_hist(now)
        live = self.stats.live(now, window_hist)
        endpoints = endpoint_rows(self.stats, now)
        values = {**k6_values(live, endpoints), **generator_values(self.generator), **self.sources.values()}
        load = LoadSnapshot(vus=live.vus, rps=live.rps, elapsed_s=elapsed, planned_s=self.output.planned_s,
                            stage=self._stage_text(elapsed))  # fmt: skip
        verdict = self.rules.evaluate(values, load, now, may_open=self._k6_ended_at is None)
        self.sources.plan(self.output.planned_s)
        container_events, docker_snap = self.sources.docker_tick(self.journal)
        lines += tuple(OutputLine(now, "event", text) for text in self.sources.gauge_events(self.journal))
        lines += tuple(OutputLine(e.t, "event", f"container {e.describe()}") for e in container_events)
        lines += tuple(OutputLine(now, "event", m) for m in verdict.messages)
        if verdict.abort_reason and self._state.is_active and self._state is not RunState.STOPPING:
            self.request_stop(reason=verdict.abort_reason)
        if self._state == RunState.STARTING and (self.stats.first_t is not None or self.output.planned_s):
            self._set_state(RunState.RUNNING, "k6 is running")
        series = self.stats.recent_series(SERIES_IN_FRAME)
        with self.journal.lock:  # marks and events as of this tick, whatever thread adds the next
            marks, events = tuple(self.journal.marks), tuple(self.journal.recent)[-FRAME_EVENTS:]
        parts = FrameParts(
            state=self._state,
            status_detail=self._detail,
            elapsed_s=elapsed,
            planned_s=self.output.planned_s,
            live=live,
            totals=self.stats.totals(),
            k6_exit_code=self.k6.exit_code,
            parse_errors=self.ingest.parse_errors,
            dropped_output_lines=self.output.dropped,
            series_end=series[-1].t if series else None,
            endpoints=endpoints,
            codes=code_counts(self.stats, now),
            latency_bins=latency_bins(window_hist),
            thresholds=threshold_rows(self.thresholds, self.stats, elapsed, self.taint.tainted, self._final_verdicts),
            generator=self.generator.view(),
            marks=marks,
            events=events,
            rules=self._rule_names,
            firing=self.rules.firing(),
            breach_history=self.rules.history(),
            capacity_ceiling=self.rules.ceiling.describe() if self.rules.ceiling else "",
            gauges=self.sources.gauge_snapshot(),
            containers=docker_snap,
        )  # fmt: skip
        with self.journal.lock:
            if not self.journal.closed:
                pending = self.stats.open_points(now)
                self.recorder.add_seconds(closed + pending)
                self.recorder.add_histograms(self.stats.histograms_of(p.t for p in closed + pending))
                self.recorder.add_output(self._lines_to_record(lines, now))
                self.sources.record(self.recorder, now)
                self.recorder.add_tick(now, parts)
                if self.recorder.error and not self._reported_record_error:
                    self._reported_record_error = True
                    lines += (OutputLine(now, "loadwatch", self.recorder.error + " (the run goes on)"),)
                self.recorder.commit()
        self.view.set_tick(parts, series)
        with self._lock:
            self._seq += 1
            frame = assemble_frame(self.view, now, seq=self._seq, new_output=lines,
                                   container_events=container_events, bell=verdict.bell)  # fmt: skip
            listeners = list(self._listeners)
        self.last_frame = frame
        for listener in listeners:
            try:
                listener(frame)
            except Exception as exc:
                self.journal.event(EventKind.LISTENER_ERROR, {"error": repr(exc)})
        return frame

    def _lines_to_record(self, lines: tuple[OutputLine, ...], now: float) -> tuple[OutputLine, ...]:
        # The disk budget (~1 MB/min) cannot take k6's per-request warnings at full rate. A token bucket
        # lets bursts through (the banner, the end-of-test summary) and caps floods at RECORD_LINES_PER_S;
        # the screen still shows up to OutputBuffer.per_tick lines per tick.
        self._record_tokens = min(
            RECORD_BURST, self._record_tokens + (now - self._record_t) * RECORD_LINES_PER_S
        )
        self._record_t = now
        n = min(len(lines), int(self._record_tokens))
        self._record_tokens -= n
        if n == len(lines):
            return lines
        skipped = len(lines) - n
        self.unrecorded_lines += skipped
        note = OutputLine(now, "loadwatch", f"({skipped} more output lines not recorded: disk budget)")
        return (*lines[:n], note)

    def _stage_text(self, elapsed: float) -> str:
        planned = self.output.planned_s
        return f"{elapsed:.0f}s of {planned:.0f}s planned" if planned else f"{elapsed:.0f}s in"

    def _finish(self) -> None:
        if self._k6_ended_at is None:
            self._k6_ended_at = time.time()
        self.taint.stop()
        self.sources.stop()
        self.ingest.finish()
        self._final_verdicts = final_verdicts(self.summary_export) or None
        self.ended_at = time.time()
        stderr_tail = self.output.last_lines("stderr", 20)
        state, detail = outcome(self.k6.exit_code, self.k6.stop_info, self.k6.spawn_error, stderr_tail)
        if self.k6.spawn_error:
            self.output.add("loadwatch", self.k6.spawn_error)
        self._set_state(state, detail)
        last = self.stats.last_t if self.stats.last_t is not None else int(self.ended_at)
        frame = self._tick(max(self.ended_at, last + 1 + CLOSE_DELAY_S + 1))
        from runners.engine.summary import build_summary  # late import: summary imports the engine's types

        self.rules.close()
        summary = build_summary(self, frame)
        with self.journal.lock:
            self.journal.close()
            try:
                self.recorder.write_json("summary.json", summary)
            except OSError as exc:
                self.recorder.error = f"cannot write summary.json: {exc}"
            self.recorder.set_meta(
                ended_at=self.ended_at,
                status=state.value,
                status_detail=detail,
                k6_exit_code=self.k6.exit_code,
                stopped_by=self.k6.stop_info.reason if self.k6.stop_info else None,
                planned_s=self.output.planned_s,
                plan=self.output.plan_lines(),
                parse_errors=self.ingest.parse_errors,
                last_error_line=self.ingest.last_error_line.decode("utf-8", "replace"),
            )
            self.recorder.close()
        self.summary = summary
        self._finished.set()

"""The run engine: owns one k6 run, folds its output every tick, records it, and hands frames out."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from collectors.docker_config import DockerConfig
from collectors.gauge_config import GaugesConfig
from collectors.host import HostCollector
from runners.engine.control import FrameListener
from runners.engine.cost import ThreadCpu
from runners.engine.docker_levels import docker_levels
from runners.engine.frame_assembly import assemble_frame
from runners.engine.live_view import LiveView
from runners.engine.outcome import outcome
from runners.engine.record_keeper import RecordKeeper
from runners.engine.sources import RunSources
from runners.engine.stall import StallChange, StallWatch
from runners.k6.binary import find_k6, k6_version
from runners.k6.command import (
    PUSH_INTERVAL_S,
    TRANSPORTS,
    build_argv,
    check_user_args,
    flag_value,
    free_port,
    k6_env,
    redact_args,
    summary_disabled,
    transport_env,
)
from runners.k6.ingest import MAX_PENDING_GROUPS, NATIVE_MAX_GROUPS, K6Ingest
from runners.k6.metric_seconds import MetricSeconds
from runners.k6.metrics_view import build_metrics_view
from runners.k6.native.scan import load_error as load_native_error
from runners.k6.output_buffer import OutputBuffer
from runners.k6.process import K6Process, json_placeholder
from runners.k6.push_model import Kind
from runners.k6.push_receiver import PushReceiver, otlp_decoder, remote_write_decoder
from runners.k6.push_tail import PushTally, spread_over
from runners.k6.rest_checks import RestChecks
from runners.k6.rule_values import MetricRuleValues
from runners.k6.stats import CLOSE_DELAY_S, K6Stats
from runners.k6.tags import TagCache
from runners.k6.thresholds import (
    K6Verdict,
    Threshold,
    crossed_metrics,
    declare_thresholds,
    final_verdicts,
    inspect_thresholds,
    known_thresholds,
    threshold_rows,
)
from runners.k6.views import code_counts, endpoint_rows, latency_bins
from runners.model.frames import Frame, LiveStats, Mark, OutputLine, RunState, SecondPoint
from runners.model.redact import Redactor, secret_values
from runners.model.rule_spec import Rule, rules_meta
from runners.model.run_view import FrameParts
from runners.record.journal import RunJournal
from runners.record.liveness import process_start_time
from runners.record.schema import EventKind
from runners.record.store import RecordStartError, RunRecorder, new_run_dir
from runners.rules.capacity import LoadSnapshot
from runners.rules.defaults import default_rules
from runners.rules.evaluator import RunRules, generator_values, k6_values
from runners.rules.generator import GeneratorWatch

TICK_S = 0.5
PUSH_HOLD_S = 3.0  # seconds after the newest push are held open this long at most (k6 may stop pushing)
SERIES_IN_FRAME = 900  # seconds of history a frame carries for charts
FRAME_EVENTS = 50  # recent events a frame carries (marks pane)
RECORD_LINES_PER_S = 20  # k6 output lines recorded per second, sustained
RECORD_BURST = 300  # ... with bursts of up to this many lines
# Where loadwatch's own CPU goes, per stage (thread CPU seconds, recorded in the run's meta).
_RW_RATES = (
    "--transport rw pushes a Rate as its ratio only: checks are counted by group and name from k6's "
    "REST API, other Rates and other tags of a check have no counts: use json or otlp"
)
STAGES = ("json_feed", "push_decode", "fold", "frame", "record", "listeners")


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
    transport: str = "json"  # how k6 hands samples over: json (pipe), rw (remote write) or otlp


class RunEngine:
    """One k6 run. Implements runners.engine.control.RunControl."""

    def __init__(self, spec: RunSpec) -> None:
        check_user_args(spec.k6_args)
        if spec.transport not in TRANSPORTS:
            raise ValueError(f"unknown transport {spec.transport!r}: one of {', '.join(TRANSPORTS)}")
        self.spec = spec
        self._name = spec.name or spec.script.stem
        self.binary = find_k6()
        self.env = k6_env()
        # Secrets are masked where values enter: tag values (so endpoint names) and printed lines.
        self.redactor = Redactor(secret_values(spec.k6_args, self.env))
        self.stall = StallWatch()
        self.ingest = K6Ingest(TagCache(redact=self.redactor.text), max_pending_groups=MAX_PENDING_GROUPS,
                               on_wait=self.stall.fed)  # fmt: skip
        self.stats = K6Stats(self.ingest.tags, window_s=spec.window_s, max_endpoints=spec.max_endpoints)
        self.output = OutputBuffer(redactor=self.redactor)
        self.run_dir = _make_run_dir(spec.runs_dir, self._name)
        try:
            self.recorder = RunRecorder(self.run_dir)
        except RecordStartError:
            shutil.rmtree(self.run_dir, ignore_errors=True)  # no half-made record listed as a run
            raise
        self.journal = RunJournal(self.recorder, lambda: self.started_at)
        self.keeper = RecordKeeper(self.journal)
        self.notes: list[str] = []  # said after the last frame (the record could not be completed...)
        # k6 writes one summary export: the user's own when they asked for one (read it), else loadwatch's.
        user_export = flag_value(spec.k6_args, "--summary-export")
        self.summary_export = Path(user_export) if user_export else self.run_dir / "k6-summary.json"
        self.api_port = free_port()
        self.push: PushReceiver | None = None
        if spec.transport != "json":
            decode = remote_write_decoder() if spec.transport == "rw" else otlp_decoder()
            self.push = PushReceiver(decode)
            self.env.update(transport_env(spec.transport, self.push.port))
        # Remote write pushes a Rate's ratio only: the checks' counts come from k6's REST API.
        self.checks_poll = RestChecks(self.api_port) if spec.transport == "rw" else None
        # What the pushes carried, to settle at the end what k6 counted but never pushed (push_tail.py).
        self.push_tally = PushTally() if self.push is not None else None
        self.push_tail: dict[str, float] = {}  # what was settled so, by metric
        self.push_behind: tuple[str, float, float] | None = (
            None  # (metric, pushed, k6's count) when not settled
        )
        self._export_settled = False
        argv = build_argv(
            self.binary,
            spec.script,
            spec.k6_args,
            self.api_port,
            json_placeholder(),
            self.summary_export,
            spec.transport,
        )
        self.stage_cpu: dict[str, float] = dict.fromkeys(STAGES, 0.0)
        self._cpu_at_spawn = 0.0
        self.thread_cpu = ThreadCpu()
        self.k6 = K6Process(argv, self.env, self.api_port, self._feed_json, self.output.add)
        self.host = HostCollector()
        self.generator = GeneratorWatch()
        self.thresholds: list[Threshold] = []
        self._declared: list[Threshold] = []
        self._k6_verdict: K6Verdict | None = None
        self._bad_pushes_told = 0
        self._reader_switch_told = False
        self.sources = RunSources(spec.gauges, spec.docker)
        self.view = LiveView(self._name, lambda: self.started_at, str(self.run_dir), self.sources)
        gauge_specs = spec.gauges.gauges if spec.gauges is not None else ()
        rules = list(spec.rules) if spec.rules is not None else default_rules(gauge_specs)
        self.rules = RunRules(rules, self._name, self.journal.named_event)
        self._rule_names = tuple(dict.fromkeys(r.name for r in rules))
        # Rules on any k6 metric or check: their sub-metrics are kept exactly from the first sample.
        self.metric_rules = MetricRuleValues((r.metric for r in rules), spec.window_s)
        self.metric_rules.declare(self.stats.model)
        self.metric_seconds = MetricSeconds()  # every metric series, per closed second, into the record
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
            "pid": os.getpid(),  # with the heartbeat, tells a crashed run from a live one
            "pid_started": process_start_time(os.getpid()),
            "heartbeat_t": self.started_at,
            "status": RunState.STARTING.value,
            "window_s": self.spec.window_s,
            "rules": rules_meta(self.rules.rules),
            "transport": self.spec.transport,
            "json_reader": self._json_reader(),
            "docker_levels": docker_levels(self.spec.docker) if self.spec.docker else None,
            "gauges": self.spec.gauges.record_meta()
            if self.spec.gauges and self.spec.gauges.source
            else None,
        }
        self.recorder.set_meta(**{**meta, **self.spec.extra_meta})  # the caller's keys win
        self.journal.event(EventKind.STATE, {"state": RunState.STARTING.value, "detail": self._detail})
        self.journal.commit()
        threading.Thread(target=self._load_thresholds, name="k6-inspect", daemon=True).start()
        threading.Thread(target=self._load_version, name="k6-version", daemon=True).start()
        if self.push is not None:
            self.push.start()
        if self.checks_poll is not None:
            self.checks_poll.start()
        if self.spec.transport == "json" and self.ingest.native is None:
            self.output.add("loadwatch", f"reading k6's JSON in Python, at about three times the CPU of the C reader "
                            f"({load_native_error() or 'not in use'})")  # fmt: skip
        self.k6.start()
        self._cpu_at_spawn = self.host.own_cpu_s()  # start-up (imports, record, k6 spawn) ends here
        self.host.watch_k6(self.k6.pid)
        self.sources.start()
        self._ticker.start()

    def _json_reader(self) -> str | None:
        """Which reader takes k6's JSON stream: "c", "python", or "c then python" once too many tag sets made
        the Python reader take over; None on a push transport."""
        if self.spec.transport != "json":
            return None
        if self.ingest.native_stopped:
            return "c then python"
        return "c" if self.ingest.native is not None else "python"

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
        with self.journal.lock:
            if state.is_active and not self.journal.closed:  # `runs` shows a live run's state as it goes
                self.recorder.set_meta(status=state.value, status_detail=detail)
            self.journal.event(EventKind.STATE, {"state": state.value, "detail": detail}, commit=True)

    def _tick_loop(self) -> None:
        next_t = time.monotonic()
        try:
            while not self.k6.wait(0):
                self._tick(time.time())
                next_t += TICK_S
                time.sleep(max(0.0, next_t - time.monotonic()))
            self._settle_from_export()  # before a tick closes the seconds held open for it
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

    def _feed_json(self, chunk: bytes) -> None:
        t0 = time.thread_time()
        self.stall.fed()
        self.ingest.feed(chunk)
        self.stage_cpu["json_feed"] += time.thread_time() - t0

    def _tick(self, now: float) -> Frame:
        t0 = time.thread_time()
        if self._declared is not self.thresholds:  # `k6 inspect` answered: keep their sub-metrics exactly
            self._declared = self.thresholds
            declare_thresholds(self.stats.model, self._declared)
        self.stats.absorb(self.ingest.take())
        if self.ingest.native_stopped and not self._reader_switch_told:
            self._reader_switch_told = True
            self.output.add("loadwatch", f"k6 wrote over {NATIVE_MAX_GROUPS:,} distinct tag sets in half a second (a "
                            "distinct URL per request?): reading on in Python, whose memory stays bounded, at more CPU")  # fmt: skip
        if self.push is not None:
            polled = self.checks_poll.inbox.take() if self.checks_poll is not None else []
            pushed = self.push.inbox.take()
            if self.push_tally is not None:
                self.push_tally.see(pushed)
            self.stats.absorb_push(pushed + polled)
            self._tell_bad_pushes(self.push)
        lines = self.output.take()
        lines += self._watch_stall(now)
        hold = None if not self.k6.running else self.stall.hold_from
        if self.k6.running:
            # What happened after the newest push or check poll comes with the next: keep its second open.
            pushing = (
                self.push.inbox.hold_from(now, PUSH_HOLD_S, PUSH_INTERVAL_S)
                if self.push is not None
                else None
            )
            counting = self.checks_poll.hold_from(now) if self.checks_poll is not None else None
            hold = min((h for h in (hold, pushing, counting) if h is not None), default=None)
        closed = self.stall.settle(self.stats.close_until(now, hold), final=not self.k6.running)
        t1 = time.thread_time()
        self.stage_cpu["fold"] += t1 - t0
        sample = self.host.sample()
        change = self.generator.feed(sample)
        if change is not None:
            self.journal.event(EventKind(f"generator_{change}"), {"warning": self.generator.warning(), "box_cpu_pct": sample.box_cpu_pct,
                                                       "k6_cpu_pct": sample.k6_cpu_pct})  # fmt: skip
            lines += (OutputLine(now, "event", self.generator.warning() or "load generator recovered"),)
        elapsed = (self.ended_at or now) - self.started_at
        window_hist = self.stats.window_hist(now)
        live = self._without_stalls(self.stats.live(now, window_hist), now)
        endpoints = endpoint_rows(self.stats, now)
        # While a stall touches the window, k6's numbers are missing, not low: rules do not judge them.
        stall_in_window = self.stall.stalled_for is not None or self.stall.stalled_in(
            int(now) - self.spec.window_s, int(now) + 1
        )
        k6_now = {} if stall_in_window else k6_values(live, endpoints)
        if self.metric_rules and not stall_in_window:
            k6_now.update(self.metric_rules.values(self.stats.model, now))
        values = {**k6_now, **generator_values(self.generator), **self.sources.values()}
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
        series = self._series()
        stalled_s = self.stall.stalled_for
        with self.journal.lock:  # marks and events as of this tick, whatever thread adds the next
            marks, events = tuple(self.journal.marks), tuple(self.journal.recent)[-FRAME_EVENTS:]
        thresholds = threshold_rows(
            known_thresholds(self.thresholds, self.stats.model), self.stats.model, self._k6_verdict
        )
        parts = FrameParts(
            state=self._state,
            status_detail=self._detail if stalled_s is None else f"k6 not responding ({stalled_s:.0f}s)",
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
            thresholds=thresholds,
            metrics=build_metrics_view(self.stats.model, thresholds, now),
            generator=self.generator.view(),
            marks=marks,
            events=events,
            rules=self._rule_names,
            firing=self.rules.firing(),
            breach_history=self.rules.history(),
            rule_notes=self._rule_notes(),
            capacity_ceiling=self.rules.ceiling.describe() if self.rules.ceiling else "",
            gauges=self.sources.gauge_snapshot(),
            containers=docker_snap,
            stalled_s=stalled_s,
            record_problem=self.keeper.problem(),
        )  # fmt: skip
        t2 = time.thread_time()
        self.stage_cpu["frame"] += t2 - t1
        with self.journal.lock:
            if not self.journal.closed:
                pending = self.stats.open_points(now)
                self.recorder.add_seconds(closed + pending)
                self.recorder.add_histograms(self.stats.histograms_of(p.t for p in closed + pending))
                self._record_metric_seconds(closed)
                self.recorder.add_output(self._lines_to_record(lines, now))
                self.sources.record(self.recorder, now)
                self.recorder.add_tick(now, parts)
                self.keeper.beat(now, self._summary_so_far if self._state.is_active else None)
                lines += tuple(OutputLine(now, "loadwatch", x) for x in self.keeper.commit(now))
        if parts.record_problem != self.keeper.problem():  # this tick's commit failed or recovered
            parts = replace(parts, record_problem=self.keeper.problem())
        t3 = time.thread_time()
        self.stage_cpu["record"] += t3 - t2
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
        if self._seq % 10 == 0:
            self.thread_cpu.sample()  # every 5 s: threads that end (k6's readers) keep a recent reading
        t4 = time.thread_time()
        self.stage_cpu["listeners" if listeners else "frame"] += t4 - t3
        return frame

    def _record_metric_seconds(self, closed: Sequence[SecondPoint]) -> None:
        """Closed seconds of every k6 metric series; the cap's count goes to the meta when it leaves some out."""
        if not closed:
            return
        dropped = self.metric_seconds.dropped
        self.recorder.add_metric_seconds(self.metric_seconds.rows(self.stats.model, (p.t for p in closed)))
        if self.metric_seconds.dropped != dropped or self.metric_seconds.seconds == len(closed):
            self.recorder.set_meta(metric_series=self.metric_seconds.meta())

    def _tell_bad_pushes(self, push: PushReceiver) -> None:
        """Say when a push from k6 could not be read: its samples are missing from the live numbers."""
        bad, why = push.inbox.bad_pushes, push.inbox.last_error
        if bad <= self._bad_pushes_told:
            return
        self._bad_pushes_told = bad
        self.output.add("loadwatch", f"warning: {bad} push(es) from k6 could not be read, the last: {why}; their "
                        "samples are missing from the live numbers (k6's own summary at the end has them)")  # fmt: skip

    def _rule_notes(self) -> tuple[str, ...]:
        """Rules on a k6 metric or check without a value, and why (`no such metric yet`)."""
        if not self.metric_rules:
            return ()
        notes = self.metric_rules.notes(self.stats.model)
        if self.spec.transport == "rw":
            notes = {m: f"{n} ({_RW_RATES})" for m, n in notes.items()}
        return tuple(
            f"{r.name}: {r.metric}: {notes[r.metric]}" for r in self.rules.rules if r.metric in notes
        )

    def _never_emitted(self) -> None:
        """At the end: a warning for each rule whose metric or check k6 never emitted, with close names."""
        if not self.metric_rules:
            return
        missing = self.metric_rules.never_emitted(self.stats.model)
        rw = f" ({_RW_RATES})" if self.spec.transport == "rw" else ""
        for r in self.rules.rules:
            if r.metric in missing:
                self.output.add(
                    "loadwatch",
                    f"warning: rule {r.name} ({r.metric}) never had a value: {missing[r.metric]}{rw}",
                )

    def _watch_stall(self, now: float) -> tuple[OutputLine, ...]:
        planned, elapsed = self.output.planned_s, self.output.elapsed_s
        watching = (
            self._state is RunState.RUNNING
            and self.k6.running
            and self._k6_ended_at is None
            and self.stats.first_t is not None
            and not (planned and elapsed is not None and elapsed >= planned - 0.5)  # teardown, summary
        )
        change = self.stall.check(now, watching)
        if change is None:
            return ()
        self.journal.event(EventKind.STALL, change.as_dict(), commit=True)
        return (OutputLine(now, "loadwatch", _stall_text(change)),)

    def _without_stalls(self, live: LiveStats, now: float) -> LiveStats:
        """Rates over the window's live seconds only: a stall is missing data, not zero traffic."""
        end = int(now - CLOSE_DELAY_S)
        stalled = self.stall.stalled_in(end - self.spec.window_s, end)
        if not stalled:
            return live
        scale = self.spec.window_s / max(1, self.spec.window_s - stalled)
        return replace(live, rps=live.rps * scale, iterations_per_s=live.iterations_per_s * scale,
                       data_sent_per_s=live.data_sent_per_s * scale,
                       data_received_per_s=live.data_received_per_s * scale)  # fmt: skip

    def _series(self) -> tuple[SecondPoint, ...]:
        series = self.stats.recent_series(SERIES_IN_FRAME)
        if not self.stall.stalls and self.stall.stalled_for is None:
            return series
        return tuple(p for p in series if not self.stall.is_stalled(p.t))

    def _cost_meta(self) -> dict[str, Any]:
        """loadwatch's own cost of this run: process CPU and where it went, and what k6 pushed."""
        self.thread_cpu.sample()
        if self.push is not None:
            self.stage_cpu["push_decode"] = self.push.decode_cpu_s
        cost: dict[str, Any] = {
            "loadwatch_cpu_s": round(self.host.own_cpu_s(), 3),
            "loadwatch_startup_cpu_s": round(self._cpu_at_spawn, 3),
            "stage_cpu_s": {k: round(v, 3) for k, v in self.stage_cpu.items()},
            "thread_cpu_s": self.thread_cpu.top(),
            "k6_peak_rss_bytes": self.host.k6_peak_rss,
            "ingest_room_waits": self.ingest.room_waits,
            "json_reader": self._json_reader(),
        }
        if self.push is not None:
            inbox = self.push.inbox
            cost["push"] = {"pushes": inbox.pushes, "bad": inbox.bad_pushes, "bytes": inbox.bytes_in,
                            "last_error": inbox.last_error, "settled_from_export": self.push_tail,
                            "behind": self.push_behind}  # fmt: skip
        if self.checks_poll is not None:
            poll = self.checks_poll
            cost["check_polls"] = {
                "polls": poll.polls,
                "failed": poll.failed_polls,
                "last_error": poll.last_error,
            }
        return cost

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

    def _summary_so_far(self) -> dict[str, Any]:
        from runners.engine.summary import build_summary  # late import: summary imports the engine's types

        frame = self.last_frame
        return {} if frame is None else self.redactor.value(build_summary(self, frame, so_far=True))

    def _write_summary(self, summary: dict[str, Any]) -> bool:
        try:
            self.recorder.write_json("summary.json", summary)
        except OSError as exc:
            self.notes.append(f"summary.json not written: {exc.strerror or exc}")
            return False
        return True

    def _redact_k6_summary(self) -> None:
        """k6 writes its own summary (tag values, URLs, check names): mask it before anyone reads it."""
        try:
            raw = self.summary_export.read_text()
        except OSError:
            return
        if not self.redactor.leaks(raw):
            return
        try:
            clean = json.dumps(self.redactor.value(json.loads(raw)), indent=2)
        except ValueError:
            clean = self.redactor.text(raw)
        tmp = self.summary_export.with_suffix(".tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(clean)
            tmp.replace(self.summary_export)
        except OSError:  # cannot write the masked copy (disk full): k6's copy must not stay either
            tmp.unlink(missing_ok=True)
            self.summary_export.unlink(missing_ok=True)

    def _stage_text(self, elapsed: float) -> str:
        planned = self.output.planned_s
        return f"{elapsed:.0f}s of {planned:.0f}s planned" if planned else f"{elapsed:.0f}s in"

    def _k6_export_verdicts(self) -> dict[tuple[str, str], bool]:
        """k6's own per-expression verdicts from the summary export it wrote for this run, saying where
        they came from when that is not loadwatch's own export."""
        path = self.summary_export
        try:
            fresh = path.stat().st_mtime >= self.started_at - 1
        except OSError:
            fresh = False
        verdicts = final_verdicts(path) if fresh else {}
        if not self.thresholds and not any(i.thresholds for i in self.stats.model.infos.values()):
            return verdicts
        if fresh and path.parent != self.run_dir:
            self.output.add("loadwatch", f"k6's threshold verdicts read from your --summary-export {path}")
        elif not fresh and summary_disabled(self.spec.k6_args, self.env):
            self.output.add("loadwatch", "k6's summary is off (--no-summary): final threshold verdicts come from "
                            "k6's exit status and log, per expression as loadwatch computed them")  # fmt: skip
        return verdicts

    def _settle_from_export(self) -> None:
        """Once k6 has exited: what its summary export counts beyond what the check poll and the pushes
        delivered goes into the run's last seconds (held open for it while polls and pushes came)."""
        if self.checks_poll is not None:
            self.checks_poll.stop()
        if self._export_settled or (self.checks_poll is None and self.push_tally is None):
            return
        self._export_settled = True
        if self.push is not None and self.push_tally is not None:
            pushed = self.push.inbox.take()  # k6's last export, sent as it stopped
            self.push_tally.see(pushed)
            self.stats.absorb_push(pushed)
        export = self._fresh_export()
        last = self.stats.last_t
        at = last + 0.5 if last is not None else None
        if self.checks_poll is not None and not self.checks_poll.settled and export is not None:
            root = export.get("root_group")
            if isinstance(root, dict):
                self.checks_poll.settle(root, at=at)
        if self.push is None or self.push_tally is None or export is None or at is None:
            if (
                export is None and self.spec.transport == "otlp"
            ):  # the pushed counts stand, short of k6's tail
                self.output.add("loadwatch", "no summary export from k6 (--no-summary, or a hard stop): what k6 "
                                "never pushed at its end (up to its last second or two) is missing from the counts")  # fmt: skip
            return
        metrics, root = export.get("metrics"), export.get("root_group")
        metrics = metrics if isinstance(metrics, dict) else {}
        behind = self.push_tally.behind(metrics)
        if behind is not None:  # not a lost last batch: pushes failed during the run
            name, got, count = behind
            self.output.add("loadwatch", f"k6 pushed only {got:,.0f} of its {count:,.0f} {name} ({got / count:.0%}): its "
                            f"{self.spec.transport} output fell behind during the run (many distinct tag values?); the "
                            "live figures and the record's seconds miss the rest, the final summary is k6's own")  # fmt: skip
            self.push_behind = behind
            return
        tail = self.push_tally.settle(metrics, root if isinstance(root, dict) else {}, at)
        # The tail is what came after the newest push: when k6 cancelled an export as it stopped, that is the
        # seconds since (held open while pushes came), else the last one.
        now = time.time()
        gap = self.push.inbox.unpushed_span(now, PUSH_INTERVAL_S)
        seconds = (
            range(int(gap[0]), int(gap[1]) + 1) if gap is not None and now - gap[0] <= PUSH_HOLD_S else ()
        )
        tail = spread_over(tail, [s + 0.5 for s in seconds]) if len(seconds) > 1 else tail
        self.stats.absorb_push(tail)
        for d in tail:
            grew = d.total if d.kind is Kind.RATE else d.value
            self.push_tail[d.metric] = self.push_tail.get(d.metric, 0.0) + grew
        requests = self.push_tail.get("http_reqs", 0.0)
        if requests:
            where = f"last {len(seconds)} seconds" if len(seconds) > 1 else "last second"
            self.output.add("loadwatch", f"k6 ended before pushing its last {requests:,.0f} requests; their counts "
                            "(and every Counter's, Rate's and check's) were taken from its summary export into the "
                            f"run's {where}")  # fmt: skip

    def _fresh_export(self) -> dict[str, Any] | None:
        """k6's summary export of this run, parsed (None when missing, unreadable or an older file)."""
        try:
            if self.summary_export.stat().st_mtime < self.started_at - 1:
                return None  # an old file the user named: not this run's
            data = json.loads(self.summary_export.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _finish(self) -> None:
        if self._k6_ended_at is None:
            self._k6_ended_at = time.time()
        self.sources.stop()
        self.ingest.finish()
        if self.push is not None:
            self.push.stop()  # k6 has exited: its last push (sent while stopping) is in the inbox
        self._settle_from_export()
        self._k6_verdict = K6Verdict(
            per_expression=self._k6_export_verdicts(),
            exit_code=self.k6.exit_code,
            crossed=frozenset(crossed_metrics(self.output.last_lines("stderr", 40)) or ()),
        )
        self._redact_k6_summary()
        self.ended_at = time.time()
        stderr_tail = self.output.last_lines("stderr", 20)
        state, detail = outcome(self.k6.exit_code, self.k6.stop_info, self.k6.spawn_error, stderr_tail)
        if self.k6.spawn_error:
            self.output.add("loadwatch", self.k6.spawn_error)
        self._set_state(state, detail)
        last = self.stats.last_t if self.stats.last_t is not None else int(self.ended_at)
        self._never_emitted()
        frame = self._tick(max(self.ended_at, last + 1 + CLOSE_DELAY_S + 1))
        from runners.engine.summary import build_summary  # late import: summary imports the engine's types

        self.rules.close()
        summary = self.redactor.value(build_summary(self, frame))  # a last net: nothing built from tags leaks
        with self.journal.lock:
            self.journal.close()
            summary_written = self._write_summary(summary)
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
                metric_series=self.metric_seconds.meta(),
                **self._cost_meta(),
            )
            if self.keeper.close(self.notes.append) and not summary_written:
                self._write_summary(summary)  # space came back while the record waited for it
        self.summary = summary
        self._finished.set()


def _stall_text(change: StallChange) -> str:
    if change.ended:
        return f"k6 is responding again after {change.duration_s:.0f} s without samples (kept out of rates)"
    return f"k6 not responding ({change.duration_s:.0f}s): no samples while it runs"


def _make_run_dir(runs_dir: Path, name: str) -> Path:
    """A new owner-only run folder.

    Raises:
        RecordStartError: when it cannot be made (a full disk, no permission).
    """
    try:
        run_dir = new_run_dir(runs_dir, name)
        os.chmod(run_dir, 0o700)  # a run's output, args and summaries are its owner's only
    except OSError as exc:
        raise RecordStartError(f"cannot create a run folder in {runs_dir}: {exc.strerror or exc}") from exc
    return run_dir

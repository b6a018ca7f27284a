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
from runners.engine.outcome import outcome
from runners.engine.record_keeper import RecordKeeper
from runners.engine.sources import RunSources
from runners.engine.stall import StallChange, StallWatch
from runners.k6.binary import find_k6, k6_version
from runners.k6.command import build_argv, check_user_args, free_port, k6_env, redact_args
from runners.k6.ingest import K6Ingest
from runners.k6.output_buffer import OutputBuffer
from runners.k6.process import K6Process, json_placeholder
from runners.k6.stats import CLOSE_DELAY_S, K6Stats
from runners.k6.tags import TagCache
from runners.k6.thresholds import TaintPoller, Threshold, final_verdicts, inspect_thresholds, threshold_rows
from runners.k6.views import code_counts, endpoint_rows, latency_bins
from runners.model.frames import Frame, LiveStats, Mark, OutputLine, RunState, SecondPoint
from runners.model.redact import Redactor, secret_values
from runners.model.rule_spec import Rule, rules_meta
from runners.record.journal import RunJournal
from runners.record.liveness import process_start_time
from runners.record.schema import EventKind
from runners.record.store import RecordStartError, RunRecorder, new_run_dir
from runners.rules.capacity import LoadSnapshot
from runners.rules.defaults import default_rules
from runners.rules.evaluator import RunRules, generator_values, k6_values
from runners.rules.generator import GeneratorWatch

TICK_S = 0.5
SERIES_IN_FRAME = 900  # seconds of history a frame carries for charts
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
        # Secrets are masked where values enter: tag values (so endpoint names) and printed lines.
        self.redactor = Redactor(secret_values(spec.k6_args, self.env))
        self.ingest = K6Ingest(TagCache(redact=self.redactor.text))
        self.stats = K6Stats(self.ingest.tags, window_s=spec.window_s, max_endpoints=spec.max_endpoints)
        self.output = OutputBuffer(redactor=self.redactor)
        self.stall = StallWatch()
        self.run_dir = _make_run_dir(spec.runs_dir, self._name)
        try:
            self.recorder = RunRecorder(self.run_dir)
        except RecordStartError:
            shutil.rmtree(self.run_dir, ignore_errors=True)  # no half-made record listed as a run
            raise
        self.journal = RunJournal(self.recorder, lambda: self.started_at)
        self.keeper = RecordKeeper(self.journal)
        self.notes: list[str] = []  # said after the last frame (the record could not be completed...)
        self.summary_export = self.run_dir / "k6-summary.json"
        self.api_port = free_port()
        argv = build_argv(
            self.binary, spec.script, spec.k6_args, self.api_port, json_placeholder(), self.summary_export
        )
        self.k6 = K6Process(argv, self.env, self.api_port, self._on_json, self.output.add)
        self.host = HostCollector()
        self.generator = GeneratorWatch()
        self.thresholds: list[Threshold] = []
        self.taint = TaintPoller(self.api_port)
        self._final_verdicts: dict[tuple[str, str], bool] | None = None
        self.sources = RunSources(spec.gauges, spec.docker)
        rules = list(spec.rules) if spec.rules is not None else default_rules()
        self.rules = RunRules(rules, self._name, self.journal.named_event)
        self._rule_names = tuple(dict.fromkeys(r.name for r in rules))
        self._state = RunState.STARTING
        self._detail = "starting k6"
        self._listeners: list[FrameListener] = []
        self._lock = threading.Lock()
        self._seq = 0
        self.started_at = 0.0
        self.ended_at: float | None = None
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

    def _on_json(self, chunk: bytes) -> None:
        self.stall.fed()
        self.ingest.feed(chunk)

    def _watch_stall(self, now: float) -> tuple[OutputLine, ...]:
        planned, elapsed = self.output.planned_s, self.output.elapsed_s
        watching = (
            self._state is RunState.RUNNING
            and self.k6.running
            and self.stats.first_t is not None
            and not (planned and elapsed is not None and elapsed >= planned - 0.5)  # teardown, summary
        )
        change = self.stall.check(now, watching)
        if change is None:
            return ()
        self.journal.event(EventKind.STALL, change.as_dict(), commit=True)
        return (OutputLine(now, "loadwatch", self._stall_text(change)),)

    @staticmethod
    def _stall_text(change: StallChange) -> str:
        if change.ended:
            return (
                f"k6 is responding again after {change.duration_s:.0f} s without samples (kept out of rates)"
            )
        return f"k6 not responding ({change.duration_s:.0f}s): no samples while it runs"

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

    def _tick(self, now: float) -> Frame:
        self.stats.absorb(self.ingest.take())
        lines = self.output.take()
        lines += self._watch_stall(now)
        closed = self.stall.settle(self.stats.close_until(now), final=not self.k6.running)
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
        values = {**k6_now, **generator_values(self.generator), **self.sources.values()}
        load = LoadSnapshot(vus=live.vus, rps=live.rps, elapsed_s=elapsed, planned_s=self.output.planned_s,
                            stage=self._stage_text(elapsed))  # fmt: skip
        verdict = self.rules.evaluate(values, load, now)
        container_events, docker_snap = self.sources.docker_tick(self.journal)
        gauge_snap, gauge_history = self.sources.gauge_view(now)
        lines += tuple(OutputLine(e.t, "event", f"container {e.describe()}") for e in container_events)
        lines += tuple(OutputLine(now, "event", m) for m in verdict.messages)
        if verdict.abort_reason and self._state.is_active and self._state is not RunState.STOPPING:
            self.request_stop(reason=verdict.abort_reason)
        if self._state == RunState.STARTING and (self.stats.first_t is not None or self.output.planned_s):
            self._set_state(RunState.RUNNING, "k6 is running")
        with self.journal.lock:
            if not self.journal.closed:
                pending = self.stats.open_points(now)
                self.recorder.add_seconds(closed + pending)
                self.recorder.add_histograms(self.stats.histograms_of(p.t for p in closed + pending))
                self.recorder.add_output(self._lines_to_record(lines, now))
                self.sources.record(self.recorder, now)
                self.keeper.beat(now, self._summary_so_far if self._state.is_active else None)
                lines += tuple(OutputLine(now, "loadwatch", x) for x in self.keeper.commit(now))
        stalled_s = self.stall.stalled_for
        with self._lock:
            self._seq += 1
            frame = Frame(
                seq=self._seq,
                wall_t=now,
                run_name=self._name,
                state=self._state,
                elapsed_s=elapsed,
                planned_s=self.output.planned_s,
                live=live,
                totals=self.stats.totals(),
                series=self._series(),
                new_output=lines,
                k6_exit_code=self.k6.exit_code,
                status_detail=self._detail if stalled_s is None else f"k6 not responding ({stalled_s:.0f}s)",
                parse_errors=self.ingest.parse_errors,
                dropped_output_lines=self.output.dropped,
                endpoints=endpoints,
                codes=code_counts(self.stats, now),
                latency_bins=latency_bins(window_hist),
                thresholds=threshold_rows(
                    self.thresholds, self.stats, elapsed, self.taint.tainted, self._final_verdicts
                ),
                generator=self.generator.view(),
                marks=tuple(self.journal.marks),
                events=tuple(self.journal.recent)[-50:],
                rules=self._rule_names,
                started_at=self.started_at,
                run_dir=str(self.run_dir),
                firing=self.rules.firing(),
                breach_history=self.rules.history(),
                bell=verdict.bell,
                capacity_ceiling=self.rules.ceiling.describe() if self.rules.ceiling else "",
                gauges=gauge_snap,
                gauge_history=gauge_history,
                containers=docker_snap,
                container_events=container_events,
                stalled_s=stalled_s,
                record_problem=self.keeper.problem(),
            )
            listeners = list(self._listeners)
        self.last_frame = frame
        for listener in listeners:
            try:
                listener(frame)
            except Exception as exc:
                self.journal.event(EventKind.LISTENER_ERROR, {"error": repr(exc)})
        return frame

    def _series(self) -> tuple[SecondPoint, ...]:
        series = self.stats.recent_series(SERIES_IN_FRAME)
        if not self.stall.stalls and self.stall.stalled_for is None:
            return series
        return tuple(p for p in series if not self.stall.is_stalled(p.t))

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

    def _summary_so_far(self) -> dict[str, Any]:
        from runners.engine.summary import build_summary  # late import: summary imports the engine's types

        frame = self.last_frame
        return {} if frame is None else self.redactor.value(build_summary(self, frame))

    def _write_summary(self, summary: dict[str, Any]) -> bool:
        try:
            self.recorder.write_json("summary.json", summary)
        except OSError as exc:
            self.notes.append(f"summary.json not written: {exc.strerror or exc}")
            return False
        return True

    def _stage_text(self, elapsed: float) -> str:
        planned = self.output.planned_s
        return f"{elapsed:.0f}s of {planned:.0f}s planned" if planned else f"{elapsed:.0f}s in"

    def _finish(self) -> None:
        self.taint.stop()
        self.sources.stop()
        self.ingest.finish()
        self._final_verdicts = final_verdicts(self.summary_export) or None
        self._redact_k6_summary()
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
            )
            if self.keeper.close(self.notes.append) and not summary_written:
                self._write_summary(summary)  # space came back while the record waited for it
        self.summary = summary
        self._finished.set()


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

"""Thread-safe writes to the run record: events, marks and snapshots go to disk the moment they happen."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from runners.model.frames import Frame, Mark, RunEvent
from runners.record.schema import EventKind
from runners.record.store import RunRecorder

MAX_MARKS = 1000
RECENT_EVENTS = 200


def describe_event(kind: EventKind, data: Mapping[str, Any]) -> str:
    """One line for an event, as the marks pane and the headless log show it."""
    if kind is EventKind.MARK:
        return f"mark: {data.get('note') or '(instant)'}"
    if kind is EventKind.STATE:
        return f"{data.get('state')}: {data.get('detail', '')}"
    if kind is EventKind.STOP_REQUESTED:
        who = f", {data['by']}" if data.get("by") else ""
        return f"stop requested by {data.get('reason')} ({'hard' if data.get('hard') else 'graceful'}{who})"
    if kind is EventKind.SNAPSHOT:
        return f"snapshot saved: {data.get('json')}"
    if kind is EventKind.THRESHOLDS:
        found = [f"{metric} {expr}" for metric, expr in data.get("thresholds") or []]
        return "thresholds in the script: " + (", ".join(found) or "none")
    if kind is EventKind.CAPACITY_CEILING:
        return _describe_ceiling(data)
    if kind is EventKind.RULE_COMMAND:
        return (
            f"rule {data.get('rule')} command {'ran' if data.get('ok') else 'failed'}: {data.get('message')}"
        )
    text = data.get("text") or data.get("message") or data.get("warning") or data.get("error")
    return str(text or data.get("kind_text") or kind.value.replace("_", " "))


def _describe_ceiling(data: Mapping[str, Any]) -> str:
    vus = "? VUs" if data.get("vus") is None else f"{data['vus']:,.0f} VUs"
    rps = "? req/s" if data.get("rps") is None else f"{data['rps']:,.0f} req/s"
    minutes, seconds = divmod(int(data.get("elapsed_s") or 0), 60)
    return f"capacity ceiling: {vus}, {rps} at {minutes:02d}:{seconds:02d} ({data.get('rule')}: {data.get('metric')})"


class RunJournal:
    """Owns the recorder's lock. Every method may be called from any thread."""

    def __init__(self, recorder: RunRecorder, started_at: Callable[[], float]) -> None:
        self.recorder = recorder
        self.lock = threading.RLock()
        self._started_at = started_at
        self.marks: deque[Mark] = deque(maxlen=MAX_MARKS)
        self.recent: deque[RunEvent] = deque(maxlen=RECENT_EVENTS)
        self.closed = False
        self._snapshots = 0
        self._unsaved_marks = 0

    def event(
        self, kind: EventKind, data: Mapping[str, Any], *, commit: bool = False, t: float | None = None
    ) -> RunEvent:
        """Record an event (committed at once when `commit`, else with the next second)."""
        t = time.time() if t is None else t
        ev = RunEvent(t=t, kind=kind.value, text=describe_event(kind, data))
        with self.lock:
            self.recent.append(ev)
            if not self.closed:
                self.recorder.add_event(kind, data, t=t)
                if commit:
                    self.commit()
        return ev

    def commit(self) -> bool:
        """Write everything waiting; True when it reached the disk. Marks held in memory are then saved."""
        with self.lock:
            ok = self.recorder.commit()
            if ok and self._unsaved_marks:
                self.marks = deque((replace(m, saved=True) for m in self.marks), maxlen=MAX_MARKS)
                self._unsaved_marks = 0
            return ok

    def named_event(self, kind_text: str, data: Mapping[str, Any]) -> RunEvent:
        """Record, and commit at once, an event whose kind comes as text (the rule engine's callback)."""
        kind = EventKind.parse(kind_text)
        return self.event(
            kind, {**data, "kind_text": kind_text} if kind is EventKind.OTHER else data, commit=True
        )

    def add_mark(self, note: str, by: str = "user") -> Mark:
        """Record a mark and commit it before returning (durable against a crash of loadwatch)."""
        t = time.time()
        mark = Mark(t=t, elapsed_s=t - self._started_at(), note=note.strip(), by=by, saved=False)
        with self.lock:
            if self.closed:
                raise RuntimeError("the run record is closed: marks can only be added during a run")
            self.marks.append(mark)
            self._unsaved_marks += 1
            self.event(
                EventKind.MARK,
                {"note": mark.note, "elapsed_s": round(mark.elapsed_s, 3), "by": by},
                commit=True,
                t=t,
            )
            return (
                self.marks[-1] if self.marks[-1].t == t else replace(mark, saved=self.recorder.error is None)
            )

    def save_snapshot(
        self, frame: Frame | None, svg_path: Path | None, extra: dict[str, Any], *, by: str = "user"
    ) -> Path:
        """Write every current value as JSON into `snapshots/` and record the event; returns the JSON path."""
        folder = self.snapshot_dir()
        with self.lock:
            self._snapshots += 1
            n = self._snapshots
        path = folder / f"snapshot-{n:03d}.json"
        frame_dict = asdict(frame) if frame else None
        if frame_dict is not None:  # JSON keys must be strings
            frame_dict["gauge_history"] = {
                "|".join(k): v for k, v in frame_dict.get("gauge_history", {}).items()
            }
        body = {"t": time.time(), "svg": str(svg_path) if svg_path else None, "frame": frame_dict, **extra}
        try:
            path.write_text(json.dumps(body, default=str, separators=(",", ":")))
        except OSError:
            path.unlink(missing_ok=True)  # no truncated snapshot left behind (a full disk)
            raise
        self.event(
            EventKind.SNAPSHOT,
            {"json": str(path), "svg": str(svg_path) if svg_path else None, "n": n, "by": by},
            commit=True,
        )
        return path

    def snapshot_dir(self) -> Path:
        """The run's snapshot folder (created on first use)."""
        folder = self.recorder.run_dir / "snapshots"
        folder.mkdir(exist_ok=True)
        return folder

    def close(self) -> None:
        """Stop accepting writes (the recorder is closed by its owner under this lock)."""
        with self.lock:
            self.closed = True

"""A fake engine for the session server: frames on demand, and every command it was given, with who gave it."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runners.engine.control import FrameListener
from runners.model.frames import Frame, Mark, RunState
from runners.record.schema import EventKind


@dataclass
class FakeEngine:
    """Implements runners.session.server.HostedRun with no k6."""

    run_dir: Path
    run_name: str = "fake"
    started: bool = True
    state: RunState = RunState.RUNNING
    listeners: list[FrameListener] = field(default_factory=list)
    stops: list[tuple[bool, str, str]] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    snapshots: list[tuple[Path | None, str]] = field(default_factory=list)
    events: list[tuple[EventKind, dict[str, Any]]] = field(default_factory=list)
    emit_seconds: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_listener(self, listener: FrameListener) -> None:
        """Receive frames."""
        self.listeners.append(listener)

    def emit(self, frame: Frame) -> None:
        """Hand a frame to the listeners, as the engine's tick does, timing the call."""
        self.state = frame.state
        t0 = time.perf_counter()
        for listener in self.listeners:
            listener(frame)
        self.emit_seconds.append(time.perf_counter() - t0)

    def request_stop(self, *, hard: bool = False, reason: str = "user", by: str = "") -> None:
        """Keep the request."""
        with self.lock:
            self.stops.append((hard, reason, by))

    def add_mark(self, note: str, *, by: str = "user") -> Mark:
        """Keep the mark."""
        mark = Mark(t=time.time(), elapsed_s=1.0, note=note, by=by)
        with self.lock:
            self.marks.append(mark)
        return mark

    def save_snapshot(self, svg_path: Path | None, *, by: str = "user") -> Path:
        """Keep the snapshot request."""
        with self.lock:
            self.snapshots.append((svg_path, by))
        return self.run_dir / "snapshots" / "snapshot-001.json"

    def record_event(self, kind: EventKind, data: dict[str, Any]) -> None:
        """Keep the event."""
        with self.lock:
            self.events.append((kind, data))


def wait_until(pred: Any, timeout_s: float = 5.0, what: str = "condition") -> None:
    """Poll `pred()` until true; fail after the timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")

"""Plays a run record back through the one frame assembly: play, pause, speed, seek, and snapshots."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, replace
from pathlib import Path

from collectors.docker_config import DockerConfig
from runners.engine.control import FrameListener
from runners.engine.docker_levels import docker_config_of
from runners.engine.frame_assembly import assemble_frame
from runners.engine.record_view import RecordView
from runners.k6.line_text import clean_line
from runners.model.frames import Frame, Mark, Playback, RunState

TICK_S = 0.5
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
REWIND_OUTPUT_LINES = 400  # k6 output lines shown again after a seek
REWIND_CONTAINER_EVENTS = 50


class ReplayControl:
    """A RunControl (and PlaybackControl) over a recorded run. Frames come from a timer thread."""

    def __init__(
        self, folder: Path, speed: float = 1.0, autoplay: bool = True, start_s: float | None = None
    ) -> None:
        """Open a record for playback.

        Args:
            folder: The run's folder.
            speed: Playback speed (1.0: real time).
            autoplay: Start playing with the first listener (else paused).
            start_s: Where to start, in seconds from the run's start (None: its first frame).

        Raises:
            runners.record.reader.RecordReadError: when the folder holds no readable record.
        """
        self.view = RecordView(folder)
        self.folder = folder
        self.t0, self.t_start, self.t_end = self.view.t0, self.view.t_start, self.view.t_end
        self.speed = speed
        self.playing = autoplay
        self.pos = self.t_start if start_s is None else self._clamp(self.t0 + start_s)
        self._listeners: list[FrameListener] = []
        self._lock = threading.RLock()
        self._seq = 0
        self._emitted_pos: float | None = None  # position of the last frame: output since then is new
        self.last_frame: Frame | None = None
        self._snapshots = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="replay", daemon=True)

    def _clamp(self, t: float) -> float:
        return min(max(t, self.t_start), self.t_end)

    # ---- RunControl --------------------------------------------------------------------------------
    @property
    def run_name(self) -> str:
        """The recorded run's name."""
        return self.view.run_name

    @property
    def state(self) -> RunState:
        """The recorded state at the playback position."""
        return self.view.parts(self.pos).state

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
        """Pause the playback (nothing runs)."""
        self.playing = False

    def add_mark(self, note: str, *, by: str = "user") -> Mark:
        """Not possible in a replay."""
        raise RuntimeError("a replay is read-only: marks are added during the run")

    def save_snapshot(self, svg_path: Path | None) -> Path:
        """Write every value of the frame on screen (the last one played) as JSON next to the screen's SVG.

        Returns:
            The JSON's path, in `replay-snapshots/` (a new one each time).
        """
        shown = self.last_frame
        with self._lock:
            self._snapshots += 1
            n = self._snapshots
        path = self.snapshot_dir() / f"replay-snapshot-{n:03d}.json"
        body = {
            "t": shown.wall_t if shown else None,
            "elapsed_s": shown.elapsed_s if shown else None,
            "svg": str(svg_path) if svg_path else None,
            "run_dir": str(self.folder),
            "frame": _frame_json(shown),
        }
        path.write_text(json.dumps(body, default=str, separators=(",", ":")))
        return path

    def docker_config(self) -> DockerConfig | None:
        """The `[docker]` levels the run was recorded with (None: the defaults), so replay colours as live did."""
        levels = self.view.meta.get("docker_levels")
        return docker_config_of(levels) if isinstance(levels, dict) else None

    def snapshot_dir(self) -> Path:
        """Replay snapshots go next to the record, in `replay-snapshots/` (the record stays as it was)."""
        d = self.folder / "replay-snapshots"
        d.mkdir(exist_ok=True)
        return d

    # ---- playback ----------------------------------------------------------------------------------
    def toggle_play(self) -> None:
        """Play or pause; at the end, play restarts from the beginning."""
        if not self.playing and self.pos >= self.t_end:
            self.seek_to(self.t_start)
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
        """Move the playback position by delta seconds (clamped to the run)."""
        self.seek_to(self.pos + delta_s)

    def seek_to(self, t: float) -> None:
        """Move the playback position to wall time `t` within the run, and show it at once."""
        with self._lock:
            self.pos = self._clamp(t)
            self._emitted_pos = None  # a jump: accumulating panes start over
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
        with self._lock:
            frame = self.frame_at(self.pos)
            listeners = list(self._listeners)
        for listener in listeners:
            listener(frame)
        return frame

    def frame_at(self, pos: float) -> Frame:
        """The frame the live screen showed at wall time `pos` (the latest tick at or before it)."""
        with self._lock:
            after = self._emitted_pos
            rewound = after is None or pos < after
            since = -1.0 if after is None or rewound else after  # after a jump: the last ones up to pos
            output = self.view.output_between(since, pos, REWIND_OUTPUT_LINES)
            # Records written before lines were cleaned may hold escapes: never replay them to the terminal.
            output = tuple(replace(x, text=clean_line(x.text)) for x in output)
            events = self.view.container_events_between(since, pos, REWIND_CONTAINER_EVENTS)
            self._emitted_pos = pos
            self._seq += 1
            playback = Playback(pos - self.t0, self.t_end - self.t0, self.speed, self.playing)
            # The frame is the tick's: its history (gauge values, charts) is as of that tick, not of pos.
            shown = self.view.ticks.tick_at(pos) or pos
            frame = assemble_frame(self.view, shown, seq=self._seq, new_output=output, container_events=events,
                                   replay=f"{'▶' if self.playing else '⏸'} {self.speed:g}x", rewound=rewound,
                                   playback=playback)  # fmt: skip
            self.last_frame = frame
        return frame


def _frame_json(frame: Frame | None) -> object:
    if frame is None:
        return None
    body = asdict(frame)
    body["gauge_history"] = {"|".join(k): v for k, v in frame.gauge_history.items()}  # JSON keys are strings
    return body

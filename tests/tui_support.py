"""A scripted `RunControl` and fixed frames for driving the TUI in tests, with no k6 and no clock."""

from __future__ import annotations

import dataclasses
import json
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from textual.pilot import Pilot

from runners.engine.control import FrameListener
from runners.model.frames import (
    Frame,
    LiveStats,
    Mark,
    OutputLine,
    Percentiles,
    RunState,
    SecondPoint,
    Totals,
)

T0 = 1_767_225_600
"""Unix second of the first k6 sample in the scripted run (2026-01-01 00:00:00 UTC)."""
RUN_NAME = "checkout-ramp"
PLANNED_S = 120.0
WINDOW_S = 10
VUS_MAX = 50.0


@dataclass(frozen=True, slots=True)
class StopCall:
    """One call the app made to `request_stop`."""

    hard: bool
    reason: str


def _second(s: int) -> SecondPoint:
    """The fixed numbers of second `s`: a ramp to 50 VUs, latency and errors growing with load."""
    vus = min(VUS_MAX, 5.0 + 1.5 * s)
    requests = int(vus * 9.5) + (s % 7) * 3
    failed = 0 if s < 30 else (s % 5) + (s - 30) // 4
    p95 = 40.0 + vus * 1.8 + (s % 4) * 3.5
    latency = Percentiles(p50=p95 * 0.45, p90=p95 * 0.85, p95=p95, p99=p95 * 1.6, max=p95 * 2.4)
    window = Percentiles(p50=p95 * 0.46, p90=p95 * 0.86, p95=p95 + 1.5, p99=p95 * 1.62, max=p95 * 2.5)
    return SecondPoint(
        t=T0 + s,
        requests=requests,
        failed=failed,
        iterations=requests // 3,
        data_sent=requests * 412.0,
        data_received=requests * 5_830.0,
        checks_pass=requests - failed,
        checks_fail=failed,
        vus=vus,
        latency=latency,
        window=window,
    )


def _output(i: int) -> tuple[OutputLine, ...]:
    """Output lines printed around frame `i` (two frames a second), like k6 and loadwatch write them."""
    t = T0 + i / 2
    stamp = f"2026-01-01T00:{i // 120:02d}:{(i // 2) % 60:02d}Z"
    lines: list[OutputLine] = []
    if i == 0:
        lines.append(OutputLine(t, "loadwatch", "started k6: k6 run --address 127.0.0.1:6565 checkout.js"))
        lines.append(OutputLine(t, "stdout", "  execution: local"))
        lines.append(OutputLine(t, "stdout", "     script: checkout.js"))
    if i and i % 20 == 0:
        lines.append(
            OutputLine(t, "stderr", f'time="{stamp}" level=info msg="cart ok vu={i // 4}" source=console')
        )
    if i and i % 30 == 15 and i >= 60:
        error = 'error="Get \\"http://127.0.0.1:8080/pay\\": request timeout"'
        lines.append(OutputLine(t, "stderr", f'time="{stamp}" level=warning msg="Request Failed" {error}'))
    if i and i % 40 == 25 and i >= 100:
        text = f'time="{stamp}" level=error msg="Error: payment declined\\n\\tat default (checkout.js:31:9)"'
        lines.append(OutputLine(t, "stderr", text))
    if i == 120:
        lines.append(OutputLine(t, "loadwatch", "error rate above 1 % (warning rule)"))
    return tuple(lines)


def _window_latency(points: Sequence[SecondPoint]) -> Percentiles:
    return points[-1].window if points else Percentiles()


def _run_latency(points: Sequence[SecondPoint]) -> Percentiles:
    # Whole-run percentiles sit a little under the latest window while load grows.
    if not points:
        return Percentiles()
    p95 = max(p.latency.p95 or 0.0 for p in points) * 0.9
    return Percentiles(p50=p95 * 0.45, p90=p95 * 0.85, p95=p95, p99=p95 * 1.55, max=p95 * 2.6)


def build_frame(i: int, *, state: RunState | None = None) -> Frame:
    """The scripted frame `i` (its elapsed time is i / 2 seconds).

    Args:
        i: The frame's index, from 0.
        state: Overrides the state (STARTING for frame 0, RUNNING after).

    Returns:
        The frame.
    """
    elapsed = i / 2
    series = tuple(_second(s) for s in range(int(elapsed)))[-300:]
    window = series[-WINDOW_S:]
    seconds = max(1, len(window))
    requests = sum(p.requests for p in window)
    failed = sum(p.failed for p in window)
    checks = sum(p.checks_pass + p.checks_fail for p in window)
    live = LiveStats(
        window_s=WINDOW_S,
        rps=requests / seconds,
        error_rate=failed / requests if requests else 0.0,
        latency=_window_latency(window),
        iterations_per_s=sum(p.iterations for p in window) / seconds,
        data_sent_per_s=sum(p.data_sent for p in window) / seconds,
        data_received_per_s=sum(p.data_received for p in window) / seconds,
        checks_rate=sum(p.checks_pass for p in window) / checks if checks else None,
        vus=window[-1].vus if window else None,
        vus_max=VUS_MAX,
    )
    all_requests = sum(p.requests for p in series)
    totals = Totals(
        requests=all_requests,
        failed=sum(p.failed for p in series),
        iterations=sum(p.iterations for p in series),
        data_sent=sum(p.data_sent for p in series),
        data_received=sum(p.data_received for p in series),
        checks_pass=sum(p.checks_pass for p in series),
        checks_fail=sum(p.checks_fail for p in series),
        latency=_run_latency(series),
        first_sample_t=float(T0) if series else None,
        last_sample_t=float(series[-1].t) if series else None,
    )
    return Frame(
        seq=i,
        wall_t=T0 + elapsed,
        run_name=RUN_NAME,
        state=state or (RunState.STARTING if i == 0 else RunState.RUNNING),
        elapsed_s=elapsed,
        planned_s=PLANNED_S,
        live=live,
        totals=totals,
        series=series,
        new_output=_output(i),
        k6_exit_code=None,
        status_detail="k6 is starting" if i == 0 else "ramping-vus: 0 → 50 VUs over 2m",
        parse_errors=0,
        dropped_output_lines=0,
    )


def final_frame(last: Frame, state: RunState, *, exit_code: int | None = None, detail: str = "") -> Frame:
    """The frame an engine sends once k6 has ended.

    Args:
        last: The previous frame.
        state: The final state.
        exit_code: k6's exit code.
        detail: Why the run ended.

    Returns:
        The final frame.
    """
    return dataclasses.replace(
        last,
        seq=last.seq + 1,
        state=state,
        new_output=(OutputLine(last.wall_t, "loadwatch", f"run ended: {state.value}"),),
        k6_exit_code=exit_code,
        status_detail=detail or f"k6 exited {exit_code}",
    )


class ScriptedRunControl:
    """Replays fixed frames when the test says so and records every `request_stop`."""

    def __init__(self, frames: Sequence[Frame], *, run_name: str = RUN_NAME) -> None:
        """Create the control.

        Args:
            frames: The frames `emit_next` hands out, in order.
            run_name: The run's name.
        """
        self._frames = list(frames)
        self._next = 0
        self._run_name = run_name
        self._state = RunState.STARTING
        self._listeners: list[FrameListener] = []
        self.stop_calls: list[StopCall] = []
        self.marks: list[Mark] = []
        self.snapshots: list[tuple[Path | None, Path]] = []
        self._snap_dir = Path(tempfile.mkdtemp(prefix="lw-snap-"))
        self.last_frame: Frame | None = None

    @property
    def run_name(self) -> str:
        """Short human name of the run."""
        return self._run_name

    @property
    def state(self) -> RunState:
        """The state of the last frame emitted."""
        return self._state

    def add_listener(self, listener: FrameListener) -> None:
        """Receive every frame emitted from now on.

        Args:
            listener: Called with each frame.
        """
        self._listeners.append(listener)

    def request_stop(self, *, hard: bool = False, reason: str = "user") -> None:
        """Record the request; the test decides when the final frame comes.

        Args:
            hard: End k6 at once.
            reason: Why.
        """
        self.stop_calls.append(StopCall(hard, reason))

    @property
    def can_annotate(self) -> bool:
        """Marks are possible while the scripted run is active."""
        return self._state.is_active

    def add_mark(self, note: str, *, by: str = "user") -> Mark:
        """Keep the mark (a real engine commits it to its record)."""
        t = self.last_frame.wall_t if self.last_frame else float(T0)
        mark = Mark(t=t, elapsed_s=t - T0, note=note.strip(), by=by)
        self.marks.append(mark)
        return mark

    def save_snapshot(self, svg_path: Path | None) -> Path:
        """Write the last frame's numbers next to the SVG, as an engine does."""
        path = self.snapshot_dir() / f"values-{len(self.snapshots) + 1:03d}.json"
        path.write_text(
            json.dumps(dataclasses.asdict(self.last_frame) if self.last_frame else {}, default=str)
        )
        self.snapshots.append((svg_path, path))
        return path

    def snapshot_dir(self) -> Path:
        """A temporary folder for snapshot files."""
        self._snap_dir.mkdir(parents=True, exist_ok=True)
        return self._snap_dir

    def emit(self, frame: Frame) -> None:
        """Hand one frame to every listener, on the caller's thread.

        Args:
            frame: The frame.
        """
        self._state = frame.state
        self.last_frame = frame
        for listener in self._listeners:
            listener(frame)

    def emit_next(self, count: int = 1) -> Frame:
        """Emit the next scripted frames.

        Args:
            count: How many.

        Returns:
            The last frame emitted.
        """
        for _ in range(count):
            self.emit(self._frames[self._next])
            self._next += 1
        assert self.last_frame is not None
        return self.last_frame

    def emit_from_thread(self, frame: Frame) -> None:
        """Emit a frame from another thread, as the engine does, and wait until the listeners returned.

        Args:
            frame: The frame.
        """
        thread = threading.Thread(target=self.emit, args=(frame,), name="scripted-engine")
        thread.start()
        thread.join(timeout=5)


def scripted_run(frames: int = 151) -> ScriptedRunControl:
    """A control holding the scripted run's first frames (151 frames = 75 s of a 120 s plan).

    Args:
        frames: How many frames to script.

    Returns:
        The control, with nothing emitted yet.
    """
    return ScriptedRunControl([build_frame(i) for i in range(frames)])


async def settle_endpoints(pilot: Pilot[int], *, deadline_s: float = 20.0) -> None:
    """Wait until the endpoints table shows the columns its width fits and has measured its rows.

    A DataTable sizes its auto-width columns when its message queue goes idle, so on a busy box a picture
    taken right after a frame can catch the endpoint column at its label's width for one paint.

    Args:
        pilot: The running app's pilot.
        deadline_s: How long to wait before failing.
    """
    from rich.cells import cell_len

    from tui.endpoints_table import EndpointsTable, visible_columns

    table = pilot.app.query_one(EndpointsTable)
    end = time.monotonic() + deadline_s
    while True:
        await pilot.pause()
        names = [str(row.key.value) for row in table.ordered_rows]
        columns = {str(c.key.value): c for c in table.ordered_columns}
        fits = table.size.width > 0 and table.shown_columns == visible_columns(table.size.width)
        name = columns.get("name")
        if fits and name is not None and names and name.content_width >= max(map(cell_len, names)):
            return
        assert time.monotonic() < end, f"endpoints table never settled: {table.shown_columns} {names}"
        await pilot.pause(0.05)

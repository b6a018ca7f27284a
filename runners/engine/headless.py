"""Headless mode: no screen, a progress line every few seconds, k6's errors passed through."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from runners.engine.terminal_watch import is_terminal_lost
from runners.model.frames import Frame


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f}ms"


def _clock(s: float | None) -> str:
    if s is None:
        return "--:--"
    s = max(0, int(s))
    return f"{s // 60:02d}:{s % 60:02d}"


def progress_line(frame: Frame) -> str:
    """One line for a CI log: time, state, VUs, rate, errors, latency, totals."""
    live = frame.live
    vus = "-" if live.vus is None else f"{live.vus:.0f}"
    return (
        f"[{_clock(frame.elapsed_s)}/{_clock(frame.planned_s)}] {frame.state.value:<8} vus={vus} "
        f"rps={live.rps:.1f} err={live.error_rate * 100:.2f}% p50={_ms(live.latency.p50)} "
        f"p95={_ms(live.latency.p95)} p99={_ms(live.latency.p99)} reqs={frame.totals.requests}"
        + (f" k6 not responding ({frame.stalled_s:.0f}s)" if frame.stalled_s is not None else "")
        + (f" RECORD NOT SAVED: {frame.record_problem}" if frame.record_problem else "")
    )


def final_lines(frame: Frame) -> list[str]:
    """The closing lines: outcome and whole-run numbers."""
    t = frame.totals
    lat = t.latency
    checks = "-" if t.checks_rate is None else f"{t.checks_rate * 100:.2f}%"
    return [
        f"run {frame.run_name}: {frame.state.value} ({frame.status_detail})",
        f"  requests={t.requests} failed={t.failed_rate * 100:.3f}% checks={checks} "
        f"p50={_ms(lat.p50)} p90={_ms(lat.p90)} p95={_ms(lat.p95)} p99={_ms(lat.p99)} max={_ms(lat.max)}",
    ]


class HeadlessPrinter:
    """A frame listener that prints progress every `every_s` seconds and k6's error output at once."""

    def __init__(self, out: TextIO | None = None, every_s: float = 5.0) -> None:
        self.out = out or sys.stdout
        self.every_s = every_s
        self._last = 0.0
        self.on_lost: Callable[[str], None] | None = None  # told once when stdout is gone (EIO, EPIPE)
        self.lost = False

    def __call__(self, frame: Frame) -> None:
        """Handle one frame (engine thread)."""
        if self.lost:
            return
        try:
            self._print(frame)
        except OSError as exc:
            if not is_terminal_lost(exc):
                raise
            self.lost = True
            if self.on_lost is not None:
                self.on_lost(f"output: {exc.strerror or exc}")

    def _print(self, frame: Frame) -> None:
        for line in frame.new_output:
            if line.stream in ("loadwatch", "event") or (
                line.stream == "stderr" and ("level=error" in line.text or "level=fatal" in line.text)
            ):
                print(f"k6: {line.text}" if line.stream == "stderr" else line.text, file=self.out)
        if frame.bell:
            print("\a", end="", file=self.out)
        now = time.monotonic()
        if not frame.state.is_active:
            for text in final_lines(frame):
                print(text, file=self.out)
        elif now - self._last >= self.every_s:
            self._last = now
            print(progress_line(frame), file=self.out)
        self.out.flush()

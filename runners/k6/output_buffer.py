"""Collects k6's printed lines from reader threads, bounded, with secrets masked and floods counted."""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Sequence

from runners.k6.command import redact_text
from runners.k6.progress import is_progress_line, parse_progress
from runners.model.frames import OutputLine

_PLAN_LINE = re.compile(r"^\s*(scenarios:|\*\s+\S+:|\(\d)")


class OutputBuffer:
    """Lines wait here until the engine's next tick takes them.

    At most `per_tick` lines are handed over per tick; the rest of a flood (k6 logs a warning per failed
    request) is counted as dropped, so neither the screen nor the record grows without bound.
    """

    def __init__(self, secrets: Sequence[str] = (), per_tick: int = 200, keep_tail: int = 40) -> None:
        self._lock = threading.Lock()
        self._pending: deque[OutputLine] = deque(maxlen=per_tick * 4)
        self._secrets = list(secrets)
        self.per_tick = per_tick
        self.dropped = 0
        self.elapsed_s: float | None = None
        self.planned_s: float | None = None
        self.tail: deque[OutputLine] = deque(maxlen=keep_tail)  # the last lines, for error reports
        self._last_blank = False
        self._plan: list[str] = []

    def add(self, stream: str, text: str) -> None:
        """Take one line (any thread)."""
        if self._secrets:
            text = redact_text(text, self._secrets)
        line = OutputLine(t=time.time(), stream=stream, text=text)
        if stream == "stdout" and len(self._plan) < 20 and _PLAN_LINE.match(text):
            self._plan.append(text.strip())  # k6's banner: the scenarios and their plan
        if stream == "stdout":
            progress = parse_progress(text)
            if progress is not None:
                elapsed, planned = progress
                with self._lock:
                    self.elapsed_s = max(elapsed, self.elapsed_s or 0.0)
                    self.planned_s = max(planned, self.planned_s or 0.0)
            # The 1 s progress blocks are what the header shows; in the pane they would bury the rest.
            if is_progress_line(text):
                return
            if not text.strip():
                if self._last_blank:
                    return
                self._last_blank = True
            else:
                self._last_blank = False
        with self._lock:
            if len(self._pending) == self._pending.maxlen:
                self.dropped += 1
            self._pending.append(line)
            self.tail.append(line)

    def take(self) -> tuple[OutputLine, ...]:
        """The lines since the last call, at most `per_tick` of them."""
        with self._lock:
            n = min(self.per_tick, len(self._pending))
            out = tuple(self._pending.popleft() for _ in range(n))
            self.dropped += len(self._pending)
            self._pending.clear()
        return out

    def plan_lines(self) -> list[str]:
        """k6's banner lines describing the scenarios (kept whatever the screen or the record drop)."""
        return list(self._plan)

    def last_lines(self, stream: str | None = None, n: int = 10) -> list[str]:
        """The last lines printed, for a one-line reason when k6 fails."""
        with self._lock:
            lines = [x.text for x in self.tail if stream is None or x.stream == stream]
        return lines[-n:]

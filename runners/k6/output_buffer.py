"""Collects k6's printed lines from reader threads: cleaned, cut, secrets masked, floods counted and said."""

from __future__ import annotations

import re
import threading
import time
from collections import deque

from runners.k6.end_text import EndOfTestText
from runners.k6.line_text import clean_line
from runners.k6.progress import is_progress_line, parse_progress
from runners.model.frames import OutputLine
from runners.model.redact import Redactor

_PLAN_LINE = re.compile(r"^\s*(scenarios:|\*\s+\S+:|\(\d)")


class OutputBuffer:
    """Lines wait here until the engine's next tick takes them.

    At most `per_tick` lines are handed over per tick; the rest of a flood (k6 logs a warning per failed
    request) is counted as dropped, so neither the screen nor the record grows without bound.
    """

    def __init__(self, redactor: Redactor | None = None, per_tick: int = 200, keep_tail: int = 40) -> None:
        self._lock = threading.Lock()
        self._pending: deque[OutputLine] = deque(maxlen=per_tick * 4)  # bounded by hand in add()
        self._redactor = redactor or Redactor()
        self.per_tick = per_tick
        self.dropped = 0  # lines never shown nor recorded, over the whole run
        self._dropped_unsaid = 0  # ... of which the next take() has not said so yet
        self.elapsed_s: float | None = None
        self.planned_s: float | None = None
        self.tail: deque[OutputLine] = deque(maxlen=keep_tail)  # the last lines, for error reports
        self._last_blank = False
        self._plan: list[str] = []
        self.end_text = EndOfTestText()  # k6's end-of-test summary (or handleSummary's stdout), kept whole

    def add(self, stream: str, text: str, cut: int = 0) -> None:
        """Take one line (any thread); `cut` is how many characters the reader already dropped off its end.

        Escape sequences go first (a script's `console.log` must not retitle or recolour the terminal,
        live or in replay), then secrets are masked, then the line is bounded.
        """
        text = self._redactor.text(clean_line(text, cut))
        line = OutputLine(t=time.time(), stream=stream, text=text)
        if stream == "stdout" and len(self._plan) < 20 and _PLAN_LINE.match(text):
            self._plan.append(text.strip())  # k6's banner: the scenarios and their plan
        if stream == "stdout":
            self.end_text.add(text)
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
            self.tail.append(line)
            if len(self._pending) == self._pending.maxlen:  # keep a burst's first lines: they hold its cause
                self.dropped += 1
                self._dropped_unsaid += 1
                return
            self._pending.append(line)

    def take(self) -> tuple[OutputLine, ...]:
        """The lines since the last call, at most `per_tick` of them, then a line saying how many were not."""
        with self._lock:
            n = min(self.per_tick, len(self._pending))
            out = tuple(self._pending.popleft() for _ in range(n))
            self.dropped += len(self._pending)
            self._dropped_unsaid += len(self._pending)
            self._pending.clear()
            unsaid, self._dropped_unsaid = self._dropped_unsaid, 0
        if unsaid:
            note = f"({unsaid:,} output lines not shown: too many at once; {self.dropped:,} in this run)"
            out += (OutputLine(time.time(), "loadwatch", note),)
        return out

    def plan_lines(self) -> list[str]:
        """k6's banner lines describing the scenarios (kept whatever the screen or the record drop)."""
        return list(self._plan)

    def last_lines(self, stream: str | None = None, n: int = 10) -> list[str]:
        """The last lines printed, for a one-line reason when k6 fails."""
        with self._lock:
            lines = [x.text for x in self.tail if stream is None or x.stream == stream]
        return lines[-n:]

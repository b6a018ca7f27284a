"""k6's own end-of-test text on stdout (its summary, or what `handleSummary` returned as `stdout`), kept whole.

k6 prints on stdout: its banner (logo, execution, scenarios), a progress block every second, then the summary,
then a last progress block. What follows the banner is cut into the stretches between progress blocks; the
last stretch that holds anything is the end-of-test text.
"""

from __future__ import annotations

import re
import threading

from runners.k6.progress import is_progress_line

MAX_CHARS = 1_000_000  # kept per stretch; past it lines are counted, not kept (a handleSummary can print MBs)
_PLAN = re.compile(r"^\s+\* \S+: ")  # `  * default: 10 looping VUs for 30s (gracefulStop: 30s)`


class EndOfTestText:
    """Collects k6's stdout lines (cleaned and masked by the caller) and keeps the end-of-test stretch."""

    def __init__(self, max_chars: int = MAX_CHARS) -> None:
        self._lock = threading.Lock()
        self.max_chars = max_chars
        self._state = "start"  # start -> banner -> body, or start -> body (k6 -q prints no banner)
        self._plan_seen = False
        self._current: list[str] = []
        self._current_chars = 0
        self._current_cut = 0
        self._last: tuple[list[str], int] = ([], 0)

    def add(self, text: str) -> None:
        """One stdout line, in the order k6 printed it (the stdout reader's thread)."""
        with self._lock:
            if self._state != "body" and self._in_banner(text):
                return
            if is_progress_line(text):
                if any(line.strip() for line in self._current):
                    self._last = (self._current, self._current_cut)
                self._current, self._current_chars, self._current_cut = [], 0, 0
                return
            if self._current_chars + len(text) > self.max_chars:
                self._current_cut += 1
                return
            self._current.append(text)
            self._current_chars += len(text) + 1

    def _in_banner(self, text: str) -> bool:
        stripped = text.strip()
        if self._state == "start":
            if not stripped:
                return True
            if "Grafana" in text or stripped.startswith("execution:"):
                self._state = "banner"
                return True
            self._state = "body"
            return False
        # banner: it ends with the scenario plan and a blank line, or at the first progress block
        if is_progress_line(text):
            self._state = "body"
            return False
        if _PLAN.match(text):
            self._plan_seen = True
        elif self._plan_seen and not stripped:
            self._state = "body"
        return True

    def lines(self) -> list[str]:
        """The end-of-test text as k6 printed it, blank lines around it trimmed (empty when it printed none)."""
        with self._lock:
            current = (self._current, self._current_cut)
            lines, cut = current if any(x.strip() for x in current[0]) else self._last
            lines = list(lines)
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        if cut:
            lines.append(f"({cut:,} more lines of k6's output not kept)")
        return lines

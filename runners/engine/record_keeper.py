"""Keeps the run record honest while the run goes: a heartbeat, the summary so far, and what to say when
the disk refuses writes (and again when what memory held has been written)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from runners.record.journal import RunJournal
from runners.record.schema import EventKind

SAY_EVERY_S = 5.0  # while writes fail, a line this often (headless prints every line at once)
SUMMARY_EVERY_S = 1.0  # the summary so far is written this often: a kill -9 loses at most this much of it
FINAL_RETRY_S = 15.0  # at the end, how long to wait for space before giving up on the last rows


def _clock(t: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(t))


class RecordKeeper:
    """Used from the engine's thread, under the journal's lock where it writes."""

    def __init__(self, journal: RunJournal) -> None:
        self.journal = journal
        self.recorder = journal.recorder
        self._said_t = 0.0
        self._failing = False
        self._since = ""
        self._summary_t = 0.0

    def beat(self, now: float, summary: Callable[[], dict[str, Any]] | None = None) -> None:
        """Store the heartbeat (and, once a second, the summary so far) with the next commit."""
        values: dict[str, Any] = {"heartbeat_t": round(now, 3)}
        if summary is not None and now - self._summary_t >= SUMMARY_EVERY_S:
            self._summary_t = now
            values["summary_so_far"] = summary()
        self.recorder.set_meta(**values)

    def commit(self, now: float) -> tuple[str, ...]:
        """Commit; the lines to show when writes start failing, keep failing, or work again."""
        ok = self.journal.commit()
        if ok and self._failing:
            self._failing = False
            text = f"run record saved again: everything kept in memory since {self._since} is on disk"
            self.journal.event(EventKind.RECORD, {"transition": "saved", "text": text}, commit=True)
            return (text,)
        if ok:
            return ()
        if not self._failing:
            self._failing = True
            self._since = _clock(self.recorder.failing_since or now)
            self.journal.event(EventKind.RECORD, {"transition": "failing", "text": self.problem()})
            self._said_t = now
            return (f"RECORD NOT SAVED: {self.problem()}; the run goes on",)
        if now - self._said_t >= SAY_EVERY_S:
            self._said_t = now
            return (f"RECORD NOT SAVED: {self.problem()}",)
        return ()

    def problem(self) -> str:
        """Why the record is not being written and what waits in memory ("" while it is written)."""
        if self.recorder.error is None:
            return ""
        since = _clock(self.recorder.failing_since or time.time())
        lost = f", {self.recorder.lost_rows:,} dropped" if self.recorder.lost_rows else ""
        return (
            f"{self.recorder.error} since {since} ({self.recorder.pending_rows:,} rows kept in memory{lost})"
        )

    def close(self, say: Callable[[str], None], timeout_s: float = FINAL_RETRY_S) -> bool:
        """Write what waits and close, waiting up to `timeout_s` for space; True when all of it is on disk."""
        deadline = time.monotonic() + timeout_s
        said = 0.0
        while not self.journal.commit() and time.monotonic() < deadline:
            if time.monotonic() - said >= SAY_EVERY_S:
                said = time.monotonic()
                say(
                    f"RECORD NOT SAVED: {self.problem()}; waiting up to {timeout_s:.0f} s for space to finish it"
                )
            time.sleep(0.5)
        saved = self.recorder.close()
        if not saved:
            say(f"the run record could not be completed ({self.recorder.error}); `loadwatch runs` shows the run "
                f"as it was last saved")  # fmt: skip
        return saved

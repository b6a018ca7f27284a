"""Tells a frozen k6 from a quiet one: k6 emits `vus` every second, so 2 s with no sample means it stalled.

Seconds inside a stall are missing data, not zero traffic: they are kept out of the record's series, the
charts, the rates and the rules. A second with no sample is therefore held back until it is known to be
either real (a sample arrived after it) or stalled. A stall is seen from this side of the pipe: on a starved
box the reader may be the one that fell behind, and k6's samples for the "stalled" seconds arrive late. So
no second from the stall's start on is closed while it lasts, and a stalled second that did get samples is
kept: only the empty ones are missing data.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from runners.model.frames import SecondPoint

STALL_AFTER_S = 2.0
MAX_STALLS = 200


@dataclass(frozen=True, slots=True)
class StallChange:
    """A stall began (`ended` False) or ended; `from_t` is the last sample's wall time before it."""

    ended: bool
    from_t: float
    to_t: float

    @property
    def duration_s(self) -> float:
        """How long k6 gave no sample."""
        return self.to_t - self.from_t

    def as_dict(self) -> dict[str, object]:
        """The record's `stall` event."""
        return {"transition": "end" if self.ended else "start", "from_t": round(self.from_t, 3),
                "to_t": round(self.to_t, 3), "duration_s": round(self.duration_s, 1)}  # fmt: skip


class StallWatch:
    """Fed from k6's JSON reader thread, judged on the engine's tick."""

    def __init__(self, after_s: float = STALL_AFTER_S) -> None:
        self.after_s = after_s
        self._last_feed: float | None = None  # wall time of the last chunk of samples
        self._lock = threading.Lock()
        self._since: float | None = None  # the stall in progress: last sample's wall time before it
        self.stalls: deque[tuple[int, int]] = deque(maxlen=MAX_STALLS)  # stalled seconds [from, to)
        self._held: list[SecondPoint] = []
        self.total_s = 0.0

    def fed(self) -> None:
        """k6 wrote samples now (any thread)."""
        with self._lock:
            self._last_feed = time.time()

    @property
    def stalled_for(self) -> float | None:
        """Seconds since the last sample while a stall is in progress, else None."""
        return None if self._since is None else time.time() - self._since

    def check(self, now: float, watching: bool) -> StallChange | None:
        """Start or end a stall; `watching` is False when silence is expected (k6 starting, stopping, done)."""
        with self._lock:
            last = self._last_feed
        if last is None:
            return None
        if self._since is not None and (last > self._since or not watching):
            change = StallChange(ended=True, from_t=self._since, to_t=last if last > self._since else now)
            self.stalls.append((int(self._since) + 1, int(change.to_t)))
            self.total_s += change.duration_s
            self._since = None
            return change
        if self._since is None and watching and now - last >= self.after_s:
            self._since = last
            return StallChange(ended=False, from_t=last, to_t=now)
        return None

    @property
    def hold_from(self) -> int | None:
        """The first second that must stay open (late samples may still come for it), while a stall lasts."""
        return None if self._since is None else int(self._since)

    def is_stalled(self, t: int) -> bool:
        """True when second `t` fell inside a stall (over, or in progress)."""
        if self._since is not None and t > int(self._since):
            return True
        return any(a <= t < b for a, b in self.stalls)

    def settle(self, closed: Iterable[SecondPoint], final: bool = False) -> list[SecondPoint]:
        """The closed seconds known to be real now; empty seconds after the last sample wait to be judged.

        Args:
            closed: Seconds just closed, in time order.
            final: k6 is done: everything still held is judged now.

        Returns:
            The seconds to record and chart, stalled ones left out.
        """
        with self._lock:
            last = self._last_feed
        held = self._held + list(closed)
        out: list[SecondPoint] = []
        self._held = []
        for p in held:
            if _empty(p) and (self.is_stalled(p.t) or self._on_a_stalls_edge(p.t)):
                continue
            # k6 flushes samples a little after they are taken: an empty second is real only once a
            # later second has been fed.
            if final or last is None or p.t < int(last) or not _empty(p):
                out.append(p)
            else:
                self._held.append(p)
        return out

    def _on_a_stalls_edge(self, t: int) -> bool:
        """The second in which the last sample before a stall arrived (its samples may be older), or the one
        in which k6's first write after it came (k6 thawed late in that second: its first write carries
        samples from before the stall, its new requests fall in the next second)."""
        if self._since is not None and t == int(self._since):
            return True
        return any(a - 1 == t or b == t for a, b in self.stalls)

    def stalled_in(self, start: int, end: int) -> int:
        """How many seconds of [start, end) were stalled."""
        return sum(1 for t in range(start, end) if self.is_stalled(t))


def _empty(p: SecondPoint) -> bool:
    return p.requests == 0 and p.iterations == 0 and p.checks_pass + p.checks_fail == 0

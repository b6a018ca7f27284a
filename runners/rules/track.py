"""The state machine of one rule on one path: ok → pending → firing (warning ↔ critical) → resolved.

Semantics (tested in tests/test_rules_state.py, argued in README "How rules judge"):
- Each evaluation's value holds until the next evaluation (as in Prometheus). A level *holds* once the value
  has crossed it for at least `share` of the last `for` seconds, and its crossings began at least `for`
  seconds ago; with `for 0` it holds at once. So a saturated pool that swings 50 % ↔ 100 % every second fires,
  while a value that pokes above the level now and then does not. `share = 1` is Prometheus' `for`.
- The rule fires at the highest level that holds; escalation to critical waits for critical to hold.
- Pending starts at the first crossing and is cancelled only once the value has not crossed for a whole
  `for` window (one pending and one cancelled line per episode, not one per dip).
- Firing resolves once the value no longer crosses the clear level and has crossed it for less than `share`
  of the last `for` seconds (the hysteresis band, widened in time as the firing side is).
- Critical drops to warning once the value has stayed short of the critical level for `max(for, 5 s)`.
- Missing data (no key, None or NaN) counts as not crossing: it never fires a rule; a firing rule keeps
  firing marked "data missing" and never resolves until data is back.
- `may_open=False` (after k6 ended) lets firing rules resolve but opens nothing new.
"""

from __future__ import annotations

import math
from collections import deque

from runners.model.rule_events import LEVEL_RANK, Breach, Transition, TransitionKind, due_actions
from runners.model.rule_spec import COMPARE, Level, Rule
from runners.model.units import format_seconds, format_value

OK, PENDING, FIRING, RESOLVED = "ok", "pending", "firing", "resolved"
DEESCALATE_MIN_S = 5.0
MAX_STEP_S = 10.0
"""An evaluation stands for at most this many seconds before it (a stalled loop does not fill a window)."""
LOW, CRIT, CLEAR = 1, 2, 4
_HEADS: dict[str, str] = {
    "pending": "pending",
    "escalated": "escalated to CRITICAL",
    "deescalated": "down to WARNING",
    "resolved": "resolved",
    "data_missing": "data missing",
    "data_back": "data back",
    "cancelled": "pending cancelled",
}


class Track:
    """One rule on one path. Used from the evaluating thread only."""

    __slots__ = (
        "_clear",
        "_cmp",
        "_code",
        "_crit",
        "_for",
        "_hold",
        "_need",
        "_prev",
        "_spans",
        "_up",
        "_warn",
        "actions",
        "calm_since",
        "crit_last",
        "crit_since",
        "crit_wall",
        "crossed_t",
        "fires",
        "last",
        "level",
        "low_last",
        "low_since",
        "low_wall",
        "max_level",
        "missing",
        "path",
        "phase",
        "rule",
        "seen",
        "start_t",
        "worst",
    )

    def __init__(self, rule: Rule, path: str) -> None:
        self.rule = rule
        self.path = path
        self.phase = OK
        self.level: Level | None = None
        self.max_level: Level | None = None
        self.low_since: float | None = None  # monotonic: first crossing of the lowest level in this episode
        self.crit_since: float | None = None  # monotonic: first crossing of critical in this episode
        self.low_wall: float | None = None  # the same two, in wall time (for the capacity ceiling)
        self.crit_wall: float | None = None
        self.low_last: float | None = None  # monotonic: latest crossing of each level
        self.crit_last: float | None = None
        self.calm_since: float | None = None  # monotonic: firing critical, short of critical since
        self.missing = False
        self.seen = False  # has had data at least once
        self.crossed_t = self.start_t = 0.0
        self.worst = math.nan
        self.last: float | None = None
        self.actions: tuple[str, ...] = ()
        self.fires = 0
        self._cmp = COMPARE[rule.op]
        self._warn, self._crit, self._clear = rule.warning, rule.critical, rule.clear_level
        self._for = rule.for_s
        self._need = rule.share * rule.for_s
        self._hold = max(rule.for_s, DEESCALATE_MIN_S)
        self._up = rule.higher_is_worse
        self._prev: float | None = None
        self._code = 0  # what the latest value crossed (LOW | CRIT | CLEAR)
        self._spans: deque[list[float]] = deque()  # [start, end, code]: crossing stretches in the window

    def step(
        self, now: float, wall: float, value: float | None, out: list[Transition], *, may_open: bool = True
    ) -> None:
        """Take one value; append any transitions to `out`.

        Args:
            now: Monotonic seconds, for durations.
            wall: Unix time, stamped on transitions.
            value: The value now; None (or NaN) when there is no data.
            out: Where transitions go.
            may_open: False once the run has ended: nothing new goes pending or fires.
        """
        if self._prev is not None and self._code:  # the previous value held until now
            self._add(max(self._prev, now - MAX_STEP_S), now, self._code)
        self._prev = now
        if value is None or math.isnan(value):
            self._code = 0
            self._expire(now)
            if not self.missing:
                self._lose_data(wall, out)
            if self.phase == PENDING and self.low_since is None:
                self._cancel(wall, None, "no data", out)
            return
        self.seen = True
        if self.missing:
            self.missing = False
            if self.phase == FIRING:
                self.last = value
                self._emit(out, wall, "data_back", self.level, value, f"has data again: {self._fmt(value)}")
        self.last = value
        cmp = self._cmp
        crit = self._crit is not None and cmp(value, self._crit)
        cur = crit or (self._warn is not None and cmp(value, self._warn))
        clear = cmp(value, self._clear)
        phase = self.phase
        if not cur and phase in (OK, RESOLVED) and not self._spans and self.low_last is None:
            self._code = 0
            return  # the common case: nothing crossed now or within the window
        self._code = (LOW if cur else 0) | (CRIT if crit else 0) | (CLEAR if clear else 0)
        if cur:
            if self.low_since is None:
                self.low_since, self.low_wall = now, wall
            self.low_last = now
        if crit:
            if self.crit_since is None:
                self.crit_since, self.crit_wall = now, wall
            self.crit_last = now
        self._expire(now)
        due = self._due(now)
        if phase in (OK, RESOLVED):
            if not cur or not may_open:
                return
            self.crossed_t, self.worst = wall, value
            if due is not None:
                self._fire(wall, due, value, out)
            else:
                self.phase = PENDING
                level: Level = "critical" if crit else self.rule.lowest
                text = f"{self._cond(value, level)}; fires if it holds {self._holds_text()}"
                self._emit(out, wall, "pending", level, value, text)
            return
        if (value > self.worst) if self._up else (value < self.worst):
            self.worst = value
        if phase == PENDING:
            if due is not None and may_open:
                self._fire(wall, due, value, out)
            elif self.low_since is None:
                self._cancel(wall, value, "", out)
            return
        if not clear and (self._for == 0 or self._share(now, CLEAR) < self._need):
            self._resolve(wall, value, out)
        elif due is not None and LEVEL_RANK[due] > LEVEL_RANK[self.level]:
            self.level = self.max_level = due
            self.calm_since = None
            self._emit(out, wall, "escalated", due, value, self._cond(value, due), crossed=self.crit_wall)
        elif self.level == "critical" and not crit and self._warn is not None:
            self.calm_since = now if self.calm_since is None else self.calm_since
            if now - self.calm_since >= self._hold:
                self.level = "warning"
                self.calm_since = None
                text = f"{self._fmt(value)} short of {self._fmt(self._crit, exact=True)} for {format_seconds(self._hold)}"
                self._emit(out, wall, "deescalated", "warning", value, text)
        elif crit:
            self.calm_since = None

    # ---- the window -----------------------------------------------------------------------------------
    def _add(self, begin: float, end: float, code: int) -> None:
        if not code or end <= begin:
            return
        spans = self._spans
        if spans and spans[-1][2] == code and spans[-1][1] >= begin:
            spans[-1][1] = end
        else:
            spans.append([begin, end, float(code)])

    def _expire(self, now: float) -> None:
        horizon = now - max(self._for, self._hold)
        spans = self._spans
        while spans and spans[0][1] < horizon:
            spans.popleft()
        # An episode of crossings ends once a whole `for` window passed without one.
        if self.low_last is not None and self._ended(now, self.low_last):
            self.low_since = self.low_wall = self.low_last = None
        if self.crit_last is not None and self._ended(now, self.crit_last):
            self.crit_since = self.crit_wall = self.crit_last = None

    def _ended(self, now: float, last: float) -> bool:
        return now - last >= self._for if self._for > 0 else last != now

    def _share(self, now: float, bit: int) -> float:
        """Seconds of the last `for` window the value crossed the level of `bit`."""
        start = now - self._for
        total = 0.0
        for s0, s1, code in self._spans:
            if int(code) & bit and s1 > start:
                total += s1 - max(s0, start)
        return total

    def _holds(self, now: float, since: float | None, last: float | None, bit: int) -> bool:
        if since is None or last is None:
            return False
        if self._for == 0:
            return last == now
        return now - since >= self._for and self._share(now, bit) >= self._need - 1e-9

    def _due(self, now: float) -> Level | None:
        if self._crit is not None and self._holds(now, self.crit_since, self.crit_last, CRIT):
            return "critical"
        if self._holds(now, self.low_since, self.low_last, LOW):
            return self.rule.lowest
        return None

    # ---- transitions ----------------------------------------------------------------------------------
    def breach(self, end: float | None = None) -> Breach:
        """A snapshot of the current (or just ended) breach."""
        level = self.level or self.rule.lowest
        return Breach(
            rule=self.rule.name,
            path=self.path,
            pattern=self.rule.metric,
            op=self.rule.op,
            level=level,
            max_level=self.max_level or level,
            crossed=self.crossed_t,
            start=self.start_t,
            end=end,
            worst=self.worst,
            last=None if self.missing else self.last,
            threshold=self.rule.threshold(level),
            data_missing=self.missing,
            actions=self.actions,
            fires=max(1, self.fires),
        )

    def continue_breach(self, earlier: Breach) -> None:
        """Carry an earlier breach of this track into the one that just fired (a flapping rule)."""
        self.fires = earlier.fires + 1
        self.start_t, self.crossed_t = earlier.start, earlier.crossed
        if LEVEL_RANK[earlier.max_level] > LEVEL_RANK[self.max_level]:
            self.max_level = earlier.max_level
        if math.isnan(self.worst) or (
            (earlier.worst > self.worst) if self._up else (earlier.worst < self.worst)
        ):
            self.worst = earlier.worst
        self.actions = tuple(dict.fromkeys(earlier.actions + self.actions))

    def _fire(self, wall: float, level: Level, value: float, out: list[Transition]) -> None:
        self.phase, self.level, self.max_level = FIRING, level, level
        self.start_t, self.calm_since, self.actions = wall, None, ()
        self.fires = 1
        crossed = self.crit_wall if level == "critical" else self.low_wall
        held = f" {self._holds_text()}" if self._for else ""
        self._emit(out, wall, "firing", level, value, f"{self._cond(value, level)}{held}", crossed=crossed)

    def _cancel(self, wall: float, value: float | None, why: str, out: list[Transition]) -> None:
        self.phase = OK
        text = f"did not hold: {why or 'back to ' + self._fmt(value)} for {format_seconds(self._for)}"
        self._emit(out, wall, "cancelled", None, value, text)

    def _resolve(self, wall: float, value: float, out: list[Transition]) -> None:
        back = "under" if self._up else "over"
        text = (
            f"{self._fmt(value)} back {back} {self._fmt(self._clear, exact=True)} after "
            f"{format_seconds(max(0.0, wall - self.start_t))} (worst {self._fmt(self.worst)})"
        )
        self._emit(out, wall, "resolved", self.level, value, text, threshold=self._clear)
        self.phase = RESOLVED
        self.calm_since = None

    def _lose_data(self, wall: float, out: list[Transition]) -> None:
        self.missing = True
        self.calm_since = None
        if self.phase == FIRING:
            text = f"has no data; still {str(self.level).upper()}, not resolved while data is missing"
            self._emit(out, wall, "data_missing", self.level, None, text)

    def _emit(
        self,
        out: list[Transition],
        wall: float,
        kind: TransitionKind,
        level: Level | None,
        value: float | None,
        text: str,
        threshold: float | None = None,
        crossed: float | None = None,
    ) -> None:
        if threshold is None:
            threshold = self.rule.threshold(level or self.rule.lowest)
        actions = due_actions(self.rule, kind, level)
        if actions:
            self.actions = tuple(dict.fromkeys(self.actions + actions))
        worst = None if math.isnan(self.worst) else self.worst
        head = level.upper() if kind == "firing" and level else _HEADS[kind]
        message = f"{self.rule.name} {head}: {self.path} {text}"
        out.append(
            Transition(
                wall,
                self.rule.name,
                self.path,
                kind,
                level,
                value,
                worst,
                threshold,
                message,
                actions,
                crossed_t=crossed,
                fires=max(1, self.fires),
            )
        )

    def _holds_text(self) -> str:
        share = self.rule.share
        if share >= 1:
            return f"for {format_seconds(self._for)}"
        return f"{share:.0%} of {format_seconds(self._for)}"

    def _fmt(self, value: float | None, *, exact: bool = False) -> str:
        return format_value(self.path, value, exact=exact)

    def _cond(self, value: float, level: Level) -> str:
        return f"{self._fmt(value)} {self.rule.op} {self._fmt(self.rule.threshold(level), exact=True)}"

"""The state machine of one rule on one path: ok → pending → firing (warning ↔ critical) → resolved.

Semantics (tested in tests/test_rules_state.py):
- A level is *due* once the value has crossed it continuously for the rule's `for` seconds; with `for 0`
  it is due at once. The rule fires at the highest due level; escalation to critical also waits `for`.
- Pending is cancelled as soon as the value is back past the lowest level (no hysteresis before firing).
- Firing resolves as soon as the value no longer crosses the clear level (the hysteresis band).
- Critical drops to warning once the value has stayed short of the critical level for `max(for, 5 s)`,
  so a value flapping around the critical level keeps the higher level.
- Missing data (no key, None or NaN) breaks continuity: a pending rule is cancelled (and says why), a
  firing rule keeps firing marked "data missing" and never resolves until data is back past the clear level.
"""

from __future__ import annotations

import math

from runners.model.rule_events import LEVEL_RANK, Breach, Transition, TransitionKind, due_actions
from runners.model.rule_spec import COMPARE, Level, Rule
from runners.rules.format import format_seconds, format_value

OK, PENDING, FIRING, RESOLVED = "ok", "pending", "firing", "resolved"
DEESCALATE_MIN_S = 5.0
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
        "_crit",
        "_for",
        "_hold",
        "_up",
        "_warn",
        "actions",
        "any_since",
        "calm_since",
        "crit_since",
        "crossed_t",
        "last",
        "level",
        "max_level",
        "missing",
        "path",
        "phase",
        "rule",
        "start_t",
        "worst",
    )

    def __init__(self, rule: Rule, path: str) -> None:
        self.rule = rule
        self.path = path
        self.phase = OK
        self.level: Level | None = None
        self.max_level: Level | None = None
        self.any_since: float | None = None  # monotonic: crossing the lowest level since
        self.crit_since: float | None = None  # monotonic: crossing critical since
        self.calm_since: float | None = None  # monotonic: firing critical, short of critical since
        self.missing = False
        self.crossed_t = self.start_t = 0.0
        self.worst = math.nan
        self.last: float | None = None
        self.actions: tuple[str, ...] = ()
        self._cmp = COMPARE[rule.op]
        self._warn, self._crit, self._clear = rule.warning, rule.critical, rule.clear_level
        self._for = rule.for_s
        self._hold = max(rule.for_s, DEESCALATE_MIN_S)
        self._up = rule.higher_is_worse

    def step(self, now: float, wall: float, value: float | None, out: list[Transition]) -> None:
        """Take one value; append any transitions to `out`.

        Args:
            now: Monotonic seconds, for durations.
            wall: Unix time, stamped on transitions.
            value: The value now; None (or NaN) when there is no data.
            out: Where transitions go.
        """
        if value is None or math.isnan(value):
            if not self.missing:
                self._lose_data(wall, out)
            return
        if self.missing:
            self.missing = False
            if self.phase == FIRING:
                self.last = value
                self._emit(out, wall, "data_back", self.level, value, f"has data again: {self._fmt(value)}")
        self.last = value
        cmp = self._cmp
        crit = self._crit is not None and cmp(value, self._crit)
        cur = crit or (self._warn is not None and cmp(value, self._warn))
        phase = self.phase
        if not cur and phase in (OK, RESOLVED):
            return  # the common case: nothing crossed, nothing to undo
        self.any_since = (self.any_since if self.any_since is not None else now) if cur else None
        self.crit_since = (self.crit_since if self.crit_since is not None else now) if crit else None
        due: Level | None = None
        if self.crit_since is not None and now - self.crit_since >= self._for:
            due = "critical"
        elif self.any_since is not None and now - self.any_since >= self._for:
            due = self.rule.lowest
        if phase in (OK, RESOLVED):
            self.crossed_t, self.worst = wall, value
            if due is not None:
                self._fire(wall, due, value, out)
            else:
                self.phase = PENDING
                level: Level = "critical" if crit else self.rule.lowest
                text = f"{self._cond(value, level)}; fires after {format_seconds(self._for)}"
                self._emit(out, wall, "pending", level, value, text)
            return
        if (value > self.worst) if self._up else (value < self.worst):
            self.worst = value
        if phase == PENDING:
            if not cur:
                self.phase = OK
                text = f"back to {self._fmt(value)} within {format_seconds(self._for)}"
                self._emit(out, wall, "cancelled", None, value, text)
            elif due is not None:
                self._fire(wall, due, value, out)
            return
        if not cmp(value, self._clear):
            self._resolve(wall, value, out)
        elif due is not None and LEVEL_RANK[due] > LEVEL_RANK[self.level]:
            self.level = self.max_level = due
            self.calm_since = None
            self._emit(out, wall, "escalated", due, value, self._cond(value, due))
        elif self.level == "critical" and not crit and self._warn is not None:
            self.calm_since = now if self.calm_since is None else self.calm_since
            if now - self.calm_since >= self._hold:
                self.level = "warning"
                self.calm_since = None
                text = f"{self._fmt(value)} short of {self._fmt(self._crit, exact=True)} for {format_seconds(self._hold)}"
                self._emit(out, wall, "deescalated", "warning", value, text)
        elif crit:
            self.calm_since = None

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
        )

    def _fire(self, wall: float, level: Level, value: float, out: list[Transition]) -> None:
        self.phase, self.level, self.max_level = FIRING, level, level
        self.start_t, self.calm_since, self.actions = wall, None, ()
        held = f" for {format_seconds(self._for)}" if self._for else ""
        self._emit(out, wall, "firing", level, value, f"{self._cond(value, level)}{held}")

    def _resolve(self, wall: float, value: float, out: list[Transition]) -> None:
        back = "under" if self._up else "over"
        text = (
            f"{self._fmt(value)} back {back} {self._fmt(self._clear, exact=True)} after "
            f"{format_seconds(wall - self.start_t)} (worst {self._fmt(self.worst)})"
        )
        self._emit(out, wall, "resolved", self.level, value, text, threshold=self._clear)
        self.phase = RESOLVED
        self.any_since = self.crit_since = self.calm_since = None

    def _lose_data(self, wall: float, out: list[Transition]) -> None:
        self.missing = True
        self.any_since = self.crit_since = self.calm_since = None
        if self.phase == PENDING:
            self.phase = OK
            self._emit(out, wall, "data_missing", None, None, "has no data; pending cancelled")
        elif self.phase == FIRING:
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
                wall, self.rule.name, self.path, kind, level, value, worst, threshold, message, actions
            )
        )

    def _fmt(self, value: float | None, *, exact: bool = False) -> str:
        return format_value(self.path, value, exact=exact)

    def _cond(self, value: float, level: Level) -> str:
        return f"{self._fmt(value)} {self.rule.op} {self._fmt(self.rule.threshold(level), exact=True)}"

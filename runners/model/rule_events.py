"""What the rule engine reports: transitions (each one goes into the run record) and breaches (for panes and summary)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from runners.model.rule_spec import Level, Op, Rule

TransitionKind = Literal[
    "pending", "firing", "escalated", "deescalated", "resolved", "data_missing", "data_back", "cancelled"
]
ACTION_KINDS = frozenset({"firing", "escalated"})
"""Transitions that ring the bell and may abort the run."""
COMMAND_KINDS = frozenset({"firing", "escalated", "resolved"})
"""Transitions that run the rule's command (it can tell them apart by `kind` in its JSON)."""
LEVEL_RANK: dict[str | None, int] = {None: 0, "warning": 1, "critical": 2}


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


@dataclass(frozen=True, slots=True)
class Transition:
    """One change of a rule's state on one path. `t` is wall-clock (unix) time, for the record."""

    t: float
    rule: str
    path: str
    kind: TransitionKind
    level: Level | None
    value: float | None
    worst: float | None
    threshold: float | None
    message: str
    actions: tuple[str, ...] = ()  # due now: "bell", "command", "abort"
    crossed_t: float | None = None  # firing/escalated: wall time the sustained crossing of this level began
    fires: int = 1  # firing: how many times this breach has fired (a flapping breach fires again)

    @property
    def is_critical_firing(self) -> bool:
        """True when the rule starts firing at critical here (fired or escalated)."""
        return self.kind in ACTION_KINDS and self.level == "critical"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields, for the run record and for a command's stdin."""
        return {
            "t": round(self.t, 3),
            "rule": self.rule,
            "metric": self.path,
            "kind": self.kind,
            "level": self.level,
            "value": _r(self.value),
            "worst": _r(self.worst),
            "threshold": self.threshold,
            "message": self.message,
            "actions": list(self.actions),
            "crossed_t": None if self.crossed_t is None else round(self.crossed_t, 3),
            "fires": self.fires,
        }


@dataclass(frozen=True, slots=True)
class Breach:
    """A rule firing on one path, from the moment it first fired; `end` is None while it still fires.

    A rule that resolves and fires again on the same path within its flap window continues the same breach:
    `fires` counts the firings, so a flapping rule is one line with a count.
    """

    rule: str
    path: str
    pattern: str  # the rule's metric (a glob for per-path rules)
    op: Op
    level: Level  # the level now (or when it ended)
    max_level: Level
    crossed: float  # wall time the value first crossed (pending began)
    start: float  # wall time it fired
    end: float | None
    worst: float
    last: float | None  # the latest value; None while its data is missing
    threshold: float  # of the level now
    data_missing: bool
    actions: tuple[str, ...]
    fires: int = 1

    def duration_s(self, now: float) -> float:
        """Seconds it fired, up to `now` while still firing."""
        return max(0.0, (self.end if self.end is not None else now) - self.start)

    def summary(self) -> dict[str, Any]:
        """The `--json-summary` entry: rule, metric, level (highest reached), start, end, worst, threshold."""
        return {
            "rule": self.rule,
            "metric": self.path,
            "level": self.max_level,
            "start": round(self.start, 3),
            "end": None if self.end is None else round(self.end, 3),
            "worst": _r(self.worst),
            "threshold": self.threshold,
            "op": self.op,
            "crossed": round(self.crossed, 3),
            "data_missing": self.data_missing,
            "actions": list(self.actions),
            "fires": self.fires,
        }


def due_actions(rule: Rule, kind: str, level: Level | None) -> tuple[str, ...]:
    """The actions a transition triggers under a rule.

    Args:
        rule: The rule.
        kind: The transition's kind.
        level: The level after the transition.

    Returns:
        A subset of ("bell", "command", "abort"), in that order.
    """
    a = rule.actions
    due: list[str] = []
    if kind in ACTION_KINDS and a.bell:
        due.append("bell")
    if kind in COMMAND_KINDS and a.command:
        due.append("command")
    if kind in ACTION_KINDS and a.abort != "never" and LEVEL_RANK[level] >= LEVEL_RANK[a.abort]:
        due.append("abort")
    return tuple(due)

"""Runs the alert rules for one run: the values map each tick, transitions to the record, actions."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from runners.model.frames import EndpointRow, LiveStats
from runners.model.rule_events import Breach
from runners.model.rule_spec import Rule
from runners.rules.actions import ActionRunner
from runners.rules.capacity import CapacityCeiling, LoadHistory, LoadSnapshot, capacity_ceiling
from runners.rules.generator import GeneratorWatch
from runners.rules.state import RuleEngine


def k6_values(live: LiveStats, endpoints: Sequence[EndpointRow]) -> dict[str, float | None]:
    """The k6 paths of the values contract (window figures), per endpoint too."""
    lat = live.latency
    values: dict[str, float | None] = {
        "k6.rps": live.rps,
        "k6.error_pct": 100.0 * live.error_rate if lat.p50 is not None else None,
        "k6.p50_ms": lat.p50,
        "k6.p90_ms": lat.p90,
        "k6.p95_ms": lat.p95,
        "k6.p99_ms": lat.p99,
        "k6.vus": live.vus,
        "k6.checks_pct": None if live.checks_rate is None else 100.0 * live.checks_rate,
        "k6.iterations_per_s": live.iterations_per_s,
    }
    for e in endpoints:
        if e.name == "other":
            continue
        has = e.window_requests > 0
        values[f"endpoint.{e.name}.rps"] = e.rps
        values[f"endpoint.{e.name}.error_pct"] = e.error_pct if has else None
        values[f"endpoint.{e.name}.p95_ms"] = e.p95 if has else None
        values[f"endpoint.{e.name}.p99_ms"] = e.p99 if has else None
    return values


def generator_values(watch: GeneratorWatch) -> dict[str, float | None]:
    """The generator paths: the runner box and the k6 process."""
    s = watch.last
    if s is None:
        return {}
    return {
        "host.cpu_pct": s.box_cpu_pct,
        "host.mem_pct": s.box_mem_pct,
        "k6proc.cpu_pct": s.k6_cpu_pct,
        "k6proc.rss_mb": None if s.k6_rss_bytes is None else s.k6_rss_bytes / 1e6,
    }


SHOWN = frozenset({"firing", "escalated", "deescalated", "resolved", "data_missing", "data_back"})
"""Transitions shown as lines in the output pane and the headless log; the record has every one."""


@dataclass(frozen=True, slots=True)
class RuleTick:
    """What one evaluation asks of the engine and the screen."""

    bell: bool
    abort_reason: str | None
    messages: tuple[str, ...]


class RunRules:
    """Evaluates the rules and records every transition the moment it happens."""

    def __init__(
        self, rules: Sequence[Rule], run_name: str, record: Callable[[str, dict[str, Any]], object]
    ) -> None:
        self.rules = list(rules)
        self.engine = RuleEngine(self.rules)
        self.actions = ActionRunner(self.rules, run_name=run_name)
        self._record = record
        self.ceiling: CapacityCeiling | None = None
        self.loads = LoadHistory()

    def evaluate(
        self, values: Mapping[str, float | None], load: LoadSnapshot, wall_t: float, *, may_open: bool = True
    ) -> RuleTick:
        """One evaluation: transitions go to the record at once; returns the actions due now.

        Args:
            values: The values map of this tick.
            load: The load now.
            wall_t: Wall time of the evaluation (never later than now).
            may_open: False once k6 has ended: firing rules may resolve, nothing new opens.

        Returns:
            The bell, an abort reason and the lines for the output pane: firings, escalations and
            resolutions (pending and cancelled go to the record only).
        """
        wall_t = min(wall_t, time.time())
        self.loads.add(LoadSnapshot(load.vus, load.rps, load.elapsed_s, load.planned_s, load.stage, wall_t))
        transitions = self.engine.evaluate(time.monotonic(), values, wall_t=wall_t, may_open=may_open)
        bell = False
        abort: str | None = None
        messages: list[str] = []
        for tr in transitions:
            self._record("breach", {**tr.as_dict(), "transition": tr.kind})
            if tr.kind in SHOWN:
                messages.append(tr.message)
            req = self.actions.handle(tr)
            bell = bell or req.bell
            abort = abort or req.abort_reason
        if self.ceiling is None and transitions:
            self.ceiling = capacity_ceiling(transitions, load, self.loads)
            if self.ceiling is not None:
                self._record("capacity_ceiling", self.ceiling.as_dict())
                messages.append(self.ceiling.describe())
        for result in self.actions.drain_results():
            self._record("rule_command", {"rule": result.rule, "ok": result.ok, "message": result.message()})
        return RuleTick(bell=bell, abort_reason=abort, messages=tuple(messages))

    def firing(self) -> tuple[Breach, ...]:
        """Breaches firing now, critical first."""
        return tuple(self.engine.firing())

    def history(self) -> tuple[Breach, ...]:
        """Recent breaches, newest first (bounded)."""
        return tuple(self.engine.history(50))

    @property
    def critical_fired(self) -> bool:
        """True once any critical rule fired in this run."""
        return bool(self.engine.critical_fired)

    def summary(self) -> dict[str, Any]:
        """The `breaches`, `capacity_ceiling` and `rules_waiting` keys of the JSON summary."""
        return {
            "breaches": self.engine.summary(),
            "capacity_ceiling": self.ceiling.as_dict() if self.ceiling else None,
            "rules_waiting": self.engine.waiting(),
        }

    def close(self) -> None:
        """Let running commands finish (bounded)."""
        self.actions.wait_idle(5.0)

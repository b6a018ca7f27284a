"""The rule state machine on a fake clock: durations, hysteresis, flapping, levels, stale data, globs."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import pytest

from runners.model.rule_events import Transition
from runners.model.rule_spec import Rule, RuleActions
from runners.rules.state import RuleEngine

WALL0 = 1_767_225_600.0


class FakeClock:
    """Monotonic and wall time that only move when told; the wall clock can be made to jump."""

    def __init__(self) -> None:
        self.mono = 100.0
        self.wall = WALL0

    def tick(self, seconds: float = 1.0) -> None:
        self.mono += seconds
        self.wall += seconds


def p95_rule(**kw: object) -> Rule:
    """`k6.p95_ms > 300 (warning) / 500 (critical)`, overridable."""
    fields: dict[str, object] = {
        "name": "p95",
        "metric": "k6.p95_ms",
        "op": ">",
        "warning": 300.0,
        "critical": 500.0,
    }
    fields.update(kw)
    return Rule(**fields)  # type: ignore[arg-type]


class Harness:
    """An engine on a fake clock, fed one value map per second."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.clock = FakeClock()
        self.engine = RuleEngine(list(rules), wall_clock=lambda: self.clock.wall)
        self.log: list[tuple[float, Transition]] = []  # (seconds since start, transition)
        self.t = 0.0

    def feed(self, values: Mapping[str, float | None]) -> list[Transition]:
        out = self.engine.evaluate(self.clock.mono, values)
        self.log.extend((self.t, tr) for tr in out)
        self.clock.tick()
        self.t += 1
        return out

    def series(self, metric: str, values: Iterable[float | None]) -> None:
        for v in values:
            self.feed({metric: v})

    def kinds(self) -> list[tuple[float, str, str | None]]:
        return [(t, tr.kind, tr.level) for t, tr in self.log]


def test_fires_after_its_duration_not_before() -> None:
    h = Harness([p95_rule(for_s=10.0)])
    h.series("k6.p95_ms", [200.0] * 3 + [600.0] * 15)
    assert h.kinds() == [(3, "pending", "critical"), (13, "firing", "critical")]
    firing = h.engine.firing()
    assert [(b.rule, b.level, b.worst, b.last) for b in firing] == [("p95", "critical", 600.0, 600.0)]
    assert firing[0].crossed == WALL0 + 3 and firing[0].start == WALL0 + 13
    assert h.engine.critical_fired


def test_for_zero_fires_at_once_without_pending() -> None:
    h = Harness([p95_rule(for_s=0.0)])
    h.series("k6.p95_ms", [100.0, 350.0])
    assert h.kinds() == [(1, "firing", "warning")]
    assert h.log[0][1].message == "p95 WARNING: k6.p95_ms 350 ms > 300 ms"
    assert not h.engine.critical_fired


def test_a_saturated_signal_that_swings_every_second_fires_after_its_duration() -> None:
    # A real saturated pool swings 50 % <-> 100 % every second: above the level half of the time.
    h = Harness([p95_rule(for_s=5.0)])
    h.series("k6.p95_ms", [600.0, 200.0] * 4)
    assert h.kinds() == [(0, "pending", "critical"), (5, "firing", "critical")]
    assert "fires if it holds 50% of 5s" in h.log[0][1].message
    assert h.log[1][1].crossed_t == WALL0  # the sustained crossing began with the first high value


def test_occasional_spikes_never_fire_and_make_one_pending_and_one_cancel() -> None:
    h = Harness([p95_rule(for_s=5.0)])
    h.series("k6.p95_ms", [600.0, 200.0, 200.0, 200.0] * 10 + [200.0] * 6)
    assert h.kinds() == [(0, "pending", "critical"), (41, "cancelled", None)]
    assert h.engine.firing() == []


def test_share_one_is_prometheus_for() -> None:
    h = Harness([p95_rule(for_s=3.0, share=1.0)])
    h.series("k6.p95_ms", [600.0, 600.0, 200.0, 600.0, 600.0, 600.0, 600.0])
    assert h.kinds() == [(0, "pending", "critical"), (6, "firing", "critical")]


def test_a_flapping_rule_is_one_breach_with_a_count() -> None:
    h = Harness([p95_rule(for_s=0.0)])
    h.series("k6.p95_ms", [400.0, 100.0, 400.0, 100.0, 600.0, 100.0])
    assert [k for _, k, _ in h.kinds()] == ["firing", "resolved"] * 3
    assert [tr.fires for _, tr in h.log if tr.kind == "firing"] == [1, 2, 3]
    assert h.log[4][1].message.endswith("(fired 3 times in 4s)")
    [ended] = h.engine.history()
    assert (ended.fires, ended.start, ended.end, ended.max_level) == (3, WALL0, WALL0 + 5, "critical")
    assert [s["fires"] for s in h.engine.summary()] == [3]
    h.series("k6.p95_ms", [100.0] * 61 + [400.0])  # a minute later: a new breach
    assert [s["fires"] for s in h.engine.summary()] == [3, 1]


def test_nothing_opens_after_the_end_but_firing_rules_resolve() -> None:
    h = Harness([p95_rule(for_s=0.0), Rule("err", "k6.error_pct", ">", critical=1.0)])
    h.feed({"k6.p95_ms": 600.0})
    out = h.engine.evaluate(h.clock.mono + 1, {"k6.p95_ms": 100.0, "k6.error_pct": 50.0}, may_open=False)
    assert [(tr.rule, tr.kind) for tr in out] == [("p95", "resolved")]


def test_hysteresis_holds_until_back_past_clear() -> None:
    h = Harness([p95_rule(for_s=0.0, clear=250.0)])
    h.series("k6.p95_ms", [310.0, 299.0, 280.0, 251.0])
    assert h.kinds() == [(0, "firing", "warning")]  # below warning but above clear: still firing
    assert h.engine.firing()[0].level == "warning"
    h.series("k6.p95_ms", [250.0])  # `>` rule: no longer > 250, so resolved
    assert h.kinds()[-1] == (4, "resolved", "warning")
    resolved = h.log[-1][1]
    assert resolved.threshold == 250.0
    assert resolved.message == "p95 resolved: k6.p95_ms 250 ms back under 250 ms after 4s (worst 310 ms)"
    assert h.engine.firing() == []
    [ended] = h.engine.history()
    assert (ended.start, ended.end, ended.worst, ended.max_level) == (WALL0, WALL0 + 4, 310.0, "warning")


def test_default_clear_is_the_first_level() -> None:
    h = Harness([p95_rule(for_s=0.0)])
    h.series("k6.p95_ms", [301.0, 300.0])
    assert h.kinds() == [(0, "firing", "warning"), (1, "resolved", "warning")]


def test_escalation_waits_its_duration_too() -> None:
    h = Harness([p95_rule(for_s=5.0)])
    h.series("k6.p95_ms", [400.0] * 7 + [600.0] * 6)
    assert h.kinds() == [(0, "pending", "warning"), (5, "firing", "warning"), (12, "escalated", "critical")]
    [b] = h.engine.firing()
    assert (b.level, b.max_level, b.worst, b.threshold) == ("critical", "critical", 600.0, 500.0)
    assert h.engine.first_critical is not None and h.engine.first_critical.kind == "escalated"


def test_straight_to_critical_when_critical_held_for_the_duration() -> None:
    h = Harness([p95_rule(for_s=3.0)])
    h.series("k6.p95_ms", [400.0, 600.0, 600.0, 600.0])
    # warning was crossed since 0 and is due at 3; critical since 1 is not yet: fires at warning
    assert h.kinds() == [(0, "pending", "warning"), (3, "firing", "warning")]
    h.series("k6.p95_ms", [600.0])
    assert h.kinds()[-1] == (4, "escalated", "critical")


def test_deescalation_waits_and_flapping_keeps_critical() -> None:
    h = Harness([p95_rule(for_s=0.0)])
    h.series("k6.p95_ms", [600.0] + [490.0, 510.0] * 10)
    assert h.kinds() == [(0, "firing", "critical")]  # de-escalation needs max(for, 5 s) short of critical
    h.series("k6.p95_ms", [450.0] * 6)
    assert h.kinds()[-1] == (26, "deescalated", "warning")
    assert h.log[-1][1].message == "p95 down to WARNING: k6.p95_ms 450 ms short of 500 ms for 5s"
    h.series("k6.p95_ms", [700.0, 100.0])
    assert h.kinds()[-2:] == [(27, "escalated", "critical"), (28, "resolved", "critical")]
    [ended] = h.engine.history()
    assert (ended.max_level, ended.worst) == ("critical", 700.0)


def test_deescalation_hold_is_the_rule_duration_when_longer() -> None:
    h = Harness([p95_rule(for_s=8.0)])
    h.series("k6.p95_ms", [600.0] * 9 + [400.0] * 8)
    assert h.kinds()[-1] == (8, "firing", "critical")
    h.series("k6.p95_ms", [400.0])
    assert h.kinds()[-1] == (17, "deescalated", "warning")


def test_critical_only_rule_stays_critical_until_clear() -> None:
    h = Harness([p95_rule(warning=None, critical=500.0, clear=450.0, for_s=0.0)])
    h.series("k6.p95_ms", [600.0] + [460.0] * 10 + [440.0])
    assert h.kinds() == [(0, "firing", "critical"), (11, "resolved", "critical")]


def test_below_rule_tracks_the_lowest_value_as_worst() -> None:
    rule = Rule("cache", "gauge.cache_hit", "<", warning=70.0, critical=50.0, for_s=2.0)
    h = Harness([rule])
    h.series("gauge.cache_hit", [90.0, 65.0, 60.0, 40.0, 45.0, 30.0, 45.0, 75.0, 75.0, 75.0])
    assert h.kinds() == [
        (1, "pending", "warning"),
        (3, "firing", "warning"),
        (5, "escalated", "critical"),
        (9, "resolved", "critical"),  # back over 70 % and below it for less than half of the last 2 s
    ]
    [ended] = h.engine.history()
    assert ended.worst == 30.0
    assert h.log[-1][1].message.endswith("75 % back over 70 % after 6s (worst 30 %)")


def test_missing_data_never_fires_and_cancels_pending_after_a_window() -> None:
    h = Harness([p95_rule(for_s=5.0)])
    h.series("k6.p95_ms", [600.0] * 2 + [None] * 6)
    assert h.kinds() == [(0, "pending", "critical"), (6, "cancelled", None)]
    assert h.log[1][1].message == "p95 pending cancelled: k6.p95_ms did not hold: no data for 5s"
    h.series("k6.p95_ms", [600.0] * 6)
    assert h.kinds()[2:] == [(8, "pending", "critical"), (13, "firing", "critical")]


def test_stale_source_never_resolves_silently() -> None:
    h = Harness([p95_rule(for_s=0.0)])
    h.feed({"k6.p95_ms": 600.0})
    for _ in range(30):  # the key disappears, then comes back as None, then NaN
        h.feed({})
    h.feed({"k6.p95_ms": None})
    h.feed({"k6.p95_ms": math.nan})
    assert h.kinds() == [(0, "firing", "critical"), (1, "data_missing", "critical")]
    assert "still CRITICAL, not resolved while data is missing" in h.log[1][1].message
    [b] = h.engine.firing()
    assert b.data_missing and b.last is None and b.end is None
    [state] = h.engine.states()
    assert (state.phase, state.data_missing) == ("firing", True)
    h.series("k6.p95_ms", [350.0, 100.0])
    assert h.kinds()[2:] == [(33, "data_back", "critical"), (34, "resolved", "critical")]
    summary = h.engine.summary()
    assert summary[0]["end"] == WALL0 + 34 and not summary[0]["data_missing"]


def test_ok_rule_with_missing_data_is_silent_but_says_so_in_its_state() -> None:
    h = Harness([p95_rule()])
    h.series("k6.p95_ms", [None, None])
    assert h.log == []
    assert [(s.phase, s.data_missing) for s in h.engine.states()] == [("waiting", True)]
    assert h.engine.waiting() == ["p95 (k6.p95_ms)"]
    h.series("k6.p95_ms", [100.0, None])
    assert [(s.phase, s.data_missing) for s in h.engine.states()] == [("ok", True)]
    assert h.engine.waiting() == []


def test_glob_rule_applies_per_path_independently() -> None:
    rule = Rule("ep-p95", "endpoint.*.p95_ms", ">", warning=300.0, for_s=1.0)
    h = Harness([rule])
    slow, fast = "endpoint.GET /api/products/{id}.p95_ms", "endpoint.POST /cart [v2].p95_ms"
    for _ in range(3):
        h.feed({slow: 800.0, fast: 50.0, "endpoint.GET /x.rps": 900.0, "k6.p95_ms": 900.0})
    assert [(tr.path, tr.kind) for _, tr in h.log] == [(slow, "pending"), (slow, "firing")]
    h.feed({slow: 800.0, fast: 400.0})
    h.feed({slow: 100.0, fast: 400.0})
    h.feed({slow: 100.0, fast: 400.0})
    assert [(tr.path, tr.kind) for _, tr in h.log][2:] == [
        (fast, "pending"),
        (fast, "firing"),
        (slow, "resolved"),
    ]
    assert sorted(s.path for s in h.engine.states()) == sorted([fast, slow])


def test_brackets_in_a_glob_are_literal() -> None:
    rule = Rule("v2", "endpoint.*[v2]*.p95_ms", ">", warning=300.0)
    h = Harness([rule])
    h.feed({"endpoint.POST /cart [v2].p95_ms": 400.0, "endpoint.POST /cart v.p95_ms": 400.0})
    assert [tr.path for _, tr in h.log] == ["endpoint.POST /cart [v2].p95_ms"]


def test_durations_use_the_monotonic_clock_and_transitions_the_wall_clock() -> None:
    h = Harness([p95_rule(for_s=3.0)])
    h.feed({"k6.p95_ms": 600.0})
    h.clock.wall -= 3600  # NTP steps the wall clock back an hour
    h.series("k6.p95_ms", [600.0] * 3)
    assert h.kinds() == [(0, "pending", "critical"), (3, "firing", "critical")]
    assert h.log[1][1].t == WALL0 + 3 - 3600
    h.series("k6.p95_ms", [100.0] * 2)
    out = h.engine.evaluate(h.clock.mono, {"k6.p95_ms": 100.0}, wall_t=42.0)
    assert [(tr.kind, tr.t) for tr in out] == [("resolved", 42.0)]


def test_summary_history_and_actions() -> None:
    actions = RuleActions(bell=True, command=("true",), abort="critical")
    h = Harness([p95_rule(for_s=0.0, actions=actions), Rule("err", "k6.error_pct", ">", critical=1.0)])
    h.series("k6.p95_ms", [400.0, 600.0, 100.0])
    assert [tr.actions for _, tr in h.log] == [
        ("bell", "command"),
        ("bell", "command", "abort"),
        ("command",),
    ]
    h.feed({"k6.error_pct": 5.0, "k6.p95_ms": 100.0})
    summary = h.engine.summary()
    assert [(s["rule"], s["level"], s["end"]) for s in summary] == [
        ("p95", "critical", WALL0 + 2),
        ("err", "critical", None),
    ]
    assert set(summary[0]) >= {"rule", "metric", "level", "start", "end", "worst", "threshold"}
    assert summary[0]["actions"] == ["bell", "command", "abort"]
    assert [b.rule for b in h.engine.history()] == ["p95"]
    assert [tr.kind for tr in h.engine.recent_transitions()] == ["firing", "escalated", "resolved", "firing"]


def test_firing_lists_critical_first() -> None:
    rules = [Rule(f"r{i}", f"gauge.g{i}", ">", warning=1.0, critical=10.0) for i in range(3)]
    h = Harness(rules)
    h.feed({"gauge.g0": 5.0, "gauge.g1": 5.0})
    h.feed({"gauge.g0": 5.0, "gauge.g1": 5.0, "gauge.g2": 50.0})
    assert [(b.rule, b.level) for b in h.engine.firing()] == [
        ("r2", "critical"),
        ("r0", "warning"),
        ("r1", "warning"),
    ]


def test_a_glob_takes_a_split_gauge_series_not_also_their_worst() -> None:
    h = Harness([Rule("pool", "gauge.db_pool*", ">", warning=80.0)])
    h.feed({"gauge.db_pool": 90.0, "gauge.db_pool.127.0.0.1:5432": 90.0, "gauge.db_pool_waiting": 0.0})
    assert [tr.path for _, tr in h.log] == ["gauge.db_pool.127.0.0.1:5432"]
    h2 = Harness([Rule("pool", "gauge.db_pool*", ">", warning=80.0)])
    h2.feed({"gauge.db_pool": 90.0})  # an unsplit gauge: its one series is the gauge
    assert [tr.path for _, tr in h2.log] == ["gauge.db_pool"]


def test_paths_are_bounded() -> None:
    engine = RuleEngine([Rule("all", "gauge.*", ">", warning=1.0)], max_tracks=10)
    engine.evaluate(0.0, {f"gauge.g{i}": 0.0 for i in range(50)}, wall_t=0.0)
    assert len(engine.states()) == 10 and engine.dropped_paths == 40


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        (p95_rule(warning=600.0), "critical 500 must be above warning 600"),
        (p95_rule(clear=350.0), "clear 350 must be at or below the warning level 300"),
        (p95_rule(metric="k6.p95"), "unknown k6 metric 'p95'"),
        (p95_rule(warning=None, critical=None), "set warning, critical or both"),
    ],
)
def test_engine_refuses_invalid_rules(rule: Rule, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        RuleEngine([rule])


def test_engine_refuses_duplicate_names() -> None:
    with pytest.raises(ValueError, match="duplicate name"):
        RuleEngine([p95_rule(), p95_rule()])

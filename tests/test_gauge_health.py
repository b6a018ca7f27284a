"""Gauge health events, gauge levels as rules, the rules' values contract, the ceiling's load history, redaction."""

from __future__ import annotations

from collectors.gauge_collector import GaugeCollector
from collectors.gauge_config import GaugesConfig, PrometheusSettings, ScrapeSettings, redact_url
from collectors.gauge_health import Health, HealthTracker
from collectors.gauge_presets import PRESETS
from collectors.gauge_source import QueryResult, down_result
from collectors.gauges import GaugeSpec
from runners.model.rule_events import Transition
from runners.rules.capacity import LoadHistory, LoadSnapshot, capacity_ceiling
from runners.rules.defaults import gauge_rules
from tests.test_prom_results import ScriptedSource, ok, pools

T = 1_800_000_000.0


def test_health_changes_are_grouped_events_with_reasons_and_durations() -> None:
    tracker = HealthTracker(["db_pool", "cpu", "hit"], "Prometheus http://p", T)
    ok3: dict[str, tuple[Health, str]] = {"db_pool": ("ok", ""), "cpu": ("ok", ""), "hit": ("ok", "")}
    assert tracker.update(T + 1, ok3) == [], "the first good poll is not news"
    down: dict[str, tuple[Health, str]] = {name: ("down", "connection refused") for name in ok3}
    [ev] = tracker.update(T + 2, down)
    assert (ev.state, ev.gauges, ev.all_gauges) == ("down", ("db_pool", "cpu", "hit"), True)
    assert ev.describe() == "Prometheus http://p: all 3 gauges down: connection refused"
    assert tracker.update(T + 3, down) == [], "the same fault again is not an event"
    mixed: dict[str, tuple[Health, str]] = {
        "db_pool": ("ok", ""),
        "cpu": ("ok", ""),
        "hit": ("slow", "slow: no answer within 0.8 s"),
    }
    back, slow = tracker.update(T + 42, mixed)
    assert (back.state, back.gauges, back.back_after_s) == ("ok", ("db_pool", "cpu"), 40.0)
    assert back.describe() == "Prometheus http://p: gauge db_pool, cpu back after 40 s down"
    assert (slow.state, slow.gauges, slow.reason) == ("slow", ("hit",), "slow: no answer within 0.8 s")
    summary = tracker.summary(T + 50)
    assert summary["db_pool"].items() >= {"state": "ok", "faults": 1, "fault_s": 40.0}.items()
    assert summary["hit"]["state"] == "slow" and summary["hit"]["fault_s"] == 48.0
    assert summary["hit"]["last_fault"] == "slow: slow: no answer within 0.8 s"


def test_collector_reports_health_events_and_states_per_gauge() -> None:
    pool = GaugeSpec("db_pool", "q", "%", split_by="pool")
    cpu = GaugeSpec("cpu", "q2", "%")
    results = [ok(db_pool=pools(50, 60), cpu=QueryResult((({}, 1.0),))),
               ok(db_pool=pools(50, 60), cpu=QueryResult(error="invalid", detail="parse error")),
               down_result((pool, cpu), "connection refused")]  # fmt: skip
    config = GaugesConfig((pool, cpu), None, ScrapeSettings(("http://x",)))
    col = GaugeCollector(config, source=ScriptedSource(results), clock=lambda: T)
    col.poll_once()
    assert col.drain_events() == []
    col.poll_once()
    [ev] = col.drain_events()
    assert (ev.state, ev.gauges, ev.reason) == ("invalid", ("cpu",), "parse error")
    col.poll_once()
    assert [(e.state, e.gauges) for e in col.drain_events()] == [("down", ("db_pool", "cpu"))]
    assert col.health()["cpu"]["state"] == "down" and col.health()["cpu"]["faults"] == 1


def test_a_split_gauge_with_one_instance_is_one_series_for_rules() -> None:
    pool = GaugeSpec("db_pool", "q", "%", warning=80.0, critical=95.0, split_by="instance")
    one = QueryResult((({"instance": "127.0.0.1:5432"}, 97.0),))
    config = GaugesConfig((pool,), None, ScrapeSettings(("http://x",)))
    col = GaugeCollector(config, source=ScriptedSource([ok(db_pool=one)]), clock=lambda: T)
    col.poll_once()
    assert col.values_for_rules() == {"gauge.db_pool.127.0.0.1:5432": 97.0, "gauge.db_pool": 97.0}
    [rule] = gauge_rules((pool,))
    assert rule.metric == "gauge.db_pool.*", "the rule takes the series, so one breach per instance"
    unlabelled = QueryResult((({}, 90.0),))  # the split label is missing: still a series for that rule
    col = GaugeCollector(config, source=ScriptedSource([ok(db_pool=unlabelled)]), clock=lambda: T)
    col.poll_once()
    assert col.values_for_rules() == {"gauge.db_pool.-": 90.0, "gauge.db_pool": 90.0}


def test_gauge_levels_become_rules_with_the_seed_names() -> None:
    rules = {r.name: r for r in gauge_rules(PRESETS["host"] + PRESETS["postgres"] + PRESETS["redis"])}
    assert set(rules) == {"cpu", "memory", "db-connections", "redis-clients", "cache-hit-rate"}
    pool = rules["db-connections"]
    assert (pool.op, pool.warning, pool.critical, pool.for_s, pool.origin) == (
        ">=",
        80.0,
        95.0,
        10.0,
        "gauge db_pool",
    )
    assert (rules["cache-hit-rate"].op, rules["cpu"].for_s) == ("<=", 60.0)
    own = GaugeSpec("queue", "q", "count", critical=50.0, for_s=5.0)
    [rule] = gauge_rules((own, GaugeSpec("plain", "q", "count")))
    assert (rule.name, rule.metric, rule.critical, rule.for_s) == ("gauge-queue", "gauge.queue", 50.0, 5.0)


def _fire(t: float, crossed: float) -> Transition:
    return Transition(
        t, "pool", "gauge.db_pool", "firing", "critical", 99.0, 99.0, 95.0, "m", crossed_t=crossed
    )


def test_the_ceiling_is_the_load_when_the_crossing_began() -> None:
    history = LoadHistory()
    for i in range(30):
        history.add(LoadSnapshot(vus=float(i * 2), rps=float(i * 10), elapsed_s=float(i), t=T + i))
    now = LoadSnapshot(vus=58.0, rps=290.0, elapsed_s=29.0, t=T + 29)
    ceiling = capacity_ceiling([_fire(T + 29, T + 19)], now, history)
    assert ceiling is not None
    assert (ceiling.vus, ceiling.rps, ceiling.elapsed_s) == (38.0, 190.0, 19.0)
    assert (ceiling.fired_vus, ceiling.fired_elapsed_s) == (58.0, 29.0)
    assert ceiling.describe() == (
        "capacity ceiling: 38 VUs, 190 req/s at 00:19 (pool: gauge.db_pool 99 %; fired at 00:29 with 58 VUs)"
    )


def test_urls_and_definitions_on_the_record_carry_no_credentials() -> None:
    assert redact_url("https://bob:pw@prom.example:9090/api?token=abc&x=1") == (
        "https://***@prom.example:9090/api?token=***&x=1"
    )
    config = GaugesConfig(PRESETS["postgres"], PrometheusSettings("http://u:secret@127.0.0.1:9090"))
    meta = config.record_meta()
    assert meta["url"] == "http://***@127.0.0.1:9090" and "secret" not in str(meta)
    assert meta["gauges"][0]["name"] == "db_pool" and "pg_stat_activity_count" in meta["gauges"][0]["query"]


def test_polls_every_second_and_every_two_past_half_an_hour_unless_configured() -> None:
    pool = GaugeSpec("db_pool", "q", "%")
    auto = GaugeCollector(
        GaugesConfig((pool,), PrometheusSettings("http://127.0.0.1:1")), source=ScriptedSource([])
    )
    assert (auto.interval_s, auto.deadline_s) == (1.0, 0.8)
    auto.plan(600.0)
    assert auto.interval_s == 1.0
    auto.plan(3600.0)
    assert auto.interval_s == 2.0 and auto.deadline_s == 1.6
    fixed = PrometheusSettings("http://127.0.0.1:1", interval_s=1.0, interval_set=True)
    pinned = GaugeCollector(GaugesConfig((pool,), fixed), source=ScriptedSource([]))
    pinned.plan(3600.0)
    assert pinned.interval_s == 1.0

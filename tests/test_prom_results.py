"""Result shapes of prometheus-api-client, error classification, series naming, and the collector's states."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import pytest
import requests
from prometheus_api_client.exceptions import PrometheusApiClientException

from collectors.gauge_collector import MAX_SERIES_PER_GAUGE, SERIES_LINGER_S, GaugeCollector
from collectors.gauge_config import GaugesConfig, ScrapeSettings
from collectors.gauge_source import PollResult, QueryResult, down_result, series_names
from collectors.gauges import GaugeReading, GaugeSpec, Source, level_of
from collectors.prometheus import classify_error, interpret

T = 1_800_000_000.0
POOL = GaugeSpec("db_pool", "100 * in_use / max", "%", warning=80.0, critical=95.0, split_by="pool")
CPU = GaugeSpec("cpu", "cpu", "%", warning=70.0, critical=90.0)
HIT = GaugeSpec("cache_hit", "hit", "%", warning=70.0, critical=50.0, direction="below")


def test_instant_vector_scalar_string_range_and_empty() -> None:
    vector = [
        {"metric": {"pool": "orders", "job": "app"}, "value": [T, "85"]},
        {"metric": {"pool": "users"}, "value": [T, "NaN"]},
    ]
    result = interpret(vector)
    assert result.error is None
    assert result.series[0] == ({"pool": "orders", "job": "app"}, 85.0)
    assert math.isnan(result.series[1][1])
    assert interpret([T, "2"]) == QueryResult((({}, 2.0),))
    assert interpret([T, "+Inf"]).series[0][1] == math.inf
    assert interpret([]) == QueryResult(())
    assert interpret([T, "hi"]) == QueryResult(error="invalid", detail="non-numeric result: 'hi'")
    ranged = interpret([{"metric": {}, "values": [[T, "1"], [T + 1, "2"]]}])
    assert ranged.error == "invalid" and "range vector" in ranged.detail
    assert interpret({"weird": 1}).error == "invalid"
    assert interpret([{"metric": {}, "value": "x"}]).error == "invalid"


def test_classify_errors() -> None:
    bad = PrometheusApiClientException(
        'HTTP Status Code 400 (b\'{"status":"error","errorType":"bad_data","error":"invalid parameter \\\\"query\\\\": 1:12: parse error: unclosed left parenthesis"}\')'
    )
    assert classify_error(bad, 1.5) == (
        "invalid",
        'invalid parameter "query": 1:12: parse error: unclosed left parenthesis',
    )
    busy = PrometheusApiClientException(
        'HTTP Status Code 503 (b\'{"status":"error","errorType":"timeout","error":"query timed out in query queue"}\')'
    )
    assert classify_error(busy, 1.5) == ("down", "HTTP 503: query timed out in query queue")
    assert classify_error(PrometheusApiClientException("HTTP Status Code 401 (b'Unauthorized')"), 1.5)[
        1
    ].startswith("HTTP 401: not authorised")
    assert classify_error(requests.exceptions.ReadTimeout("read timeout=1.5"), 1.5) == (
        "slow",
        "slow: no answer within 1.5 s",
    )
    refused = requests.exceptions.ConnectionError(
        "HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with url: /api/v1/query (Caused by "
        "NewConnectionError('<urllib3.connection.HTTPConnection object>: Failed to establish a new connection: "
        "[Errno 111] Connection refused'))"
    )
    assert classify_error(refused, 1.5) == ("down", "connection refused")
    assert classify_error(ValueError("Expecting value: line 1 column 1"), 1.5)[1].startswith(
        "not a Prometheus API"
    )


def test_series_names() -> None:
    assert series_names([{"job": "a"}], None) == [""]
    assert series_names([{"pool": "a", "job": "x"}, {"pool": "b", "job": "x"}], None) == ["a", "b"]
    assert series_names([{"pool": "a", "i": "1"}, {"pool": "b", "i": "2"}], None) == [
        "i=1,pool=a",
        "i=2,pool=b",
    ]
    assert series_names([{"pool": "a"}], "pool") == ["a"]
    assert series_names([{"pool": "a", "i": "1"}, {"pool": "a", "i": "2"}], "pool") == ["a i=1", "a i=2"]
    assert series_names([{}, {}], None) == ["", " #2"]


def test_level_respects_direction() -> None:
    assert level_of(96, 80, 95, "above") == "critical"
    assert level_of(85, 80, 95, "above") == "warning"
    assert level_of(10, 80, 95, "above") == "ok"
    assert level_of(40, 70, 50, "below") == "critical"
    assert level_of(60, 70, 50, "below") == "warning"
    assert level_of(99, 70, 50, "below") == "ok"
    assert level_of(None, 70, 50, "below") is None
    assert level_of(5, None, None, "above") == "ok"


class ScriptedSource:
    """A gauge source that returns prepared poll results, one per poll."""

    kind: Source = "prometheus"

    def __init__(self, results: Sequence[PollResult]) -> None:
        """Script the polls."""
        self.results = list(results)
        self.closed = False

    def describe(self) -> str:
        """Name."""
        return "scripted"

    def poll(self, specs: Sequence[GaugeSpec], deadline_s: float | None = None) -> PollResult:
        """The next prepared result."""
        return self.results.pop(0)

    def close(self) -> None:
        """Record the close."""
        self.closed = True


class Clock:
    """A settable clock."""

    def __init__(self) -> None:
        """Start at T."""
        self.now = T

    def __call__(self) -> float:
        """The time."""
        return self.now


def collector(results: Sequence[PollResult], *specs: GaugeSpec) -> tuple[GaugeCollector, Clock]:
    """A collector on a scripted source, interval 2 s, back-off up to 30 s."""
    clock = Clock()
    config = GaugesConfig(specs or (POOL, CPU, HIT), None, ScrapeSettings(("http://x",), 2.0, 1.0, 30.0))
    return GaugeCollector(config, source=ScriptedSource(results), clock=clock), clock


def ok(**results: QueryResult) -> PollResult:
    """A reachable poll."""
    return PollResult(True, "3 queries in 2 ms", results)


def pools(orders: float, users: float) -> QueryResult:
    """A two-pool result."""
    return QueryResult((({"pool": "orders"}, orders), ({"pool": "users"}, users)))


def states(readings: Sequence[GaugeReading]) -> list[tuple[str, str, str]]:
    """(name, series, state) of each reading."""
    return [(r.name, r.series, r.state) for r in readings]


def test_pending_then_ok_with_history_summary_and_rule_values() -> None:
    col, clock = collector(
        [
            ok(db_pool=pools(50, 97), cpu=QueryResult((({}, 40.0),)), cache_hit=QueryResult((({}, 45.0),))),
            ok(db_pool=pools(60, 99), cpu=QueryResult((({}, 20.0),)), cache_hit=QueryResult((({}, 75.0),))),
        ]
    )
    first = col.latest()
    assert first.source_state == "pending" and [r.state for r in first.readings] == ["pending"] * 3
    snap = col.poll_once()
    assert snap.source_state == "ok" and snap.retry_in_s is not None and 1.9 < snap.retry_in_s <= 2.0
    assert states(snap.readings) == [
        ("db_pool", "orders", "ok"),
        ("db_pool", "users", "ok"),
        ("cpu", "", "ok"),
        ("cache_hit", "", "ok"),
    ]
    assert [r.level for r in snap.readings] == ["ok", "critical", "ok", "critical"]
    clock.now += 2
    col.poll_once()
    assert col.history()[("db_pool", "users")] == ((T, 97.0), (T + 2, 99.0))
    summary = col.summary()
    assert summary["db_pool"]["users"] == {
        "last": 99.0,
        "min": 97.0,
        "max": 99.0,
        "mean": 98.0,
        "unit": "%",
        "samples": 2,
    }
    assert summary["cpu"][""]["mean"] == 30.0
    rules = col.values_for_rules()
    assert rules == {
        "gauge.db_pool.orders": 60.0,
        "gauge.db_pool.users": 99.0,
        "gauge.db_pool": 99.0,
        "gauge.cpu": 20.0,
        "gauge.cache_hit": 75.0,
    }


def test_down_keeps_last_values_as_stale_and_backs_off_then_recovers() -> None:
    good = ok(db_pool=pools(50, 60), cpu=QueryResult((({}, 40.0),)), cache_hit=QueryResult((({}, 80.0),)))
    col, clock = collector([good, *[down_result((POOL, CPU, HIT), "connection refused")] * 6, good])
    col.poll_once()
    delays = []
    for _ in range(6):
        clock.now += 5
        snap = col.poll_once()
        delays.append(snap.retry_in_s)
    assert delays == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert snap.source_state == "down" and "connection refused" in snap.source_detail
    stale = snap.readings[0]
    assert (stale.state, stale.value, stale.detail, stale.age_s) == (
        "stale",
        50.0,
        "connection refused",
        30.0,
    )
    assert all(v is None for v in col.values_for_rules().values()), "stale values never feed rules"
    clock.now += 30
    snap = col.poll_once()
    assert (
        {r.state for r in snap.readings} == {"ok"} and snap.retry_in_s is not None and snap.retry_in_s <= 2.0
    )


def test_down_at_start_invalid_query_non_numeric_and_no_data() -> None:
    col, _ = collector([down_result((CPU,), "slow: no answer within 1 s")], CPU)
    assert [(r.state, r.value, r.detail) for r in col.poll_once().readings] == [
        ("down", None, "slow: no answer within 1 s")
    ]
    col, _ = collector(
        [
            ok(
                db_pool=QueryResult(error="invalid", detail="parse error: unclosed left parenthesis"),
                cpu=QueryResult(error="invalid", detail="non-numeric result: 'hi'"),
                cache_hit=QueryResult(()),
            )
        ]
    )
    snap = col.poll_once()
    assert [(r.state, r.detail) for r in snap.readings] == [
        ("invalid", "parse error: unclosed left parenthesis"),
        ("invalid", "non-numeric result: 'hi'"),
        ("no_data", "the query returned no series"),
    ]
    assert snap.source_state == "ok"


def test_nan_and_inf_show_as_no_data() -> None:
    col, _ = collector([ok(db_pool=pools(math.nan, math.inf))], POOL)
    snap = col.poll_once()
    assert [(r.series, r.state, r.value) for r in snap.readings] == [
        ("orders", "no_data", None),
        ("users", "no_data", None),
    ]
    assert [r.detail for r in snap.readings] == ["result is NaN (0/0?)", "result is +Inf (division by zero?)"]


def test_vanished_series_linger_as_stale_then_go() -> None:
    only_orders = QueryResult((({"pool": "orders"}, 10.0),))
    col, clock = collector([ok(db_pool=pools(1, 2)), ok(db_pool=only_orders), ok(db_pool=only_orders)], POOL)
    col.poll_once()
    clock.now += 2
    assert states(col.poll_once().readings) == [("db_pool", "orders", "ok"), ("db_pool", "users", "stale")]
    clock.now += SERIES_LINGER_S
    assert states(col.poll_once().readings) == [("db_pool", "orders", "ok")]


def test_rows_per_gauge_are_capped_worst_first() -> None:
    many = QueryResult(tuple(({"pool": f"p{i:03d}"}, float(i)) for i in range(100)))
    col, _ = collector([ok(db_pool=many)], POOL)
    readings = col.poll_once().readings
    assert len(readings) == MAX_SERIES_PER_GAUGE
    assert min(r.value or 0 for r in readings) == 100 - MAX_SERIES_PER_GAUGE


def test_thread_polls_without_overlap_and_stops_quickly() -> None:
    good = ok(cpu=QueryResult((({}, 1.0),)))
    col, _ = collector([good] * 1000, CPU)
    col.interval_s = 0.01
    col.start()
    with pytest.raises(RuntimeError):
        col.start()
    end = time.monotonic() + 2
    while len(col.poll_costs) < 5 and time.monotonic() < end:
        time.sleep(0.01)
    started = time.monotonic()
    col.stop(timeout=2)
    assert time.monotonic() - started < 1.0
    assert col.latest().source_state == "ok" and len(col.poll_costs) >= 5
    assert isinstance(col.source, ScriptedSource) and col.source.closed

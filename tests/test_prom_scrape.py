"""Direct scrape of real `/metrics` endpoints: the demo target's gauges, and every way a target can fail."""

from __future__ import annotations

import time

import pytest

from collectors.gauge_collector import GaugeCollector
from collectors.gauge_config import GaugesConfig, ScrapeSettings, demo_gauges
from collectors.gauges import GaugeSnapshot, GaugeSpec
from runners.demo.target import DemoTarget
from tests.prometheus_support import (
    SlowServer,
    demo_target,
    no_server_url,
)

pytestmark = pytest.mark.integration
__all__ = ["demo_target"]  # fixtures
POOL = GaugeSpec("db_pool", "100 * demo_db_pool_connections_in_use / demo_db_pool_connections_max", "%")


def scrape(*urls: str, timeout_s: float = 0.5) -> GaugeCollector:
    """A direct-scrape collector of the pool gauge."""
    return GaugeCollector(GaugesConfig((POOL,), None, ScrapeSettings(urls, 1.0, timeout_s, 4.0)))


def states(snap: GaugeSnapshot) -> list[tuple[str, str, float | None, str]]:
    """(series, state, value, detail) of each reading."""
    return [(r.series, r.state, r.value, r.detail) for r in snap.readings]


def test_demo_gauges_by_direct_scrape(demo_target: DemoTarget) -> None:
    collector = GaugeCollector(demo_gauges(demo_target.url))
    try:
        first = collector.poll_once()
        time.sleep(1.0)
        second = collector.poll_once()
    finally:
        collector.stop()
    by_name = {r.name: r for r in first.readings}
    assert (by_name["cpu"].state, by_name["cpu"].detail) == ("pending", "a rate needs a second scrape")
    assert by_name["db_pool"].value == 0.0 and by_name["cache_hit"].value == 100.0
    assert by_name["rss"].value is not None and by_name["rss"].value > 1e6
    assert by_name["inflight"].value is not None and by_name["inflight"].value >= 0
    assert {r.name: r.state for r in second.readings} == dict.fromkeys(
        ["db_pool", "db_pool_waiting", "cache_hit", "cpu", "rss", "inflight"], "ok"
    )
    assert second.source == "scrape" and second.poll_s < 0.5


def test_target_down_then_back_on_the_same_port(demo_target: DemoTarget) -> None:
    port = demo_target.port
    collector = scrape(f"{demo_target.url}/metrics")
    try:
        assert states(collector.poll_once()) == [("", "ok", 0.0, "")]
        demo_target.stop()
        snap = collector.poll_once()
        assert snap.source_state == "down" and snap.retry_in_s == 1.0
        assert states(snap)[0][:3] == ("", "stale", 0.0)
        assert states(snap)[0][3].endswith("/metrics: connection refused")
        revived = DemoTarget(port=port)
        revived.start()
        try:
            assert states(collector.poll_once()) == [("", "ok", 0.0, "")]
        finally:
            revived.stop()
    finally:
        collector.stop()


def test_absent_slow_and_garbage_targets(demo_target: DemoTarget) -> None:
    # Slow: the demo target's real /metrics behind a link that holds answers back 3 s. Garbage: a real
    # JSON page of the demo target where the Prometheus text format is expected.
    slow = SlowServer(demo_target.url, 3.0)
    absent = no_server_url()
    try:
        for url, reason in [
            (absent, "connection refused"),
            (f"{slow.url}/metrics", "slow: no answer within 0.5 s"),
            (f"{demo_target.url}/api/products", "not in the Prometheus text format"),
        ]:
            collector = scrape(url)
            try:
                started = time.monotonic()
                snap = collector.poll_once()
                assert time.monotonic() - started < 1.0
            finally:
                collector.stop()
            assert snap.source_state == "down"
            assert snap.readings[0].state == "down" and reason in snap.readings[0].detail, snap.readings[0]
    finally:
        slow.close()


def test_one_target_down_of_two(demo_target: DemoTarget) -> None:
    absent = no_server_url()
    collector = scrape(f"{demo_target.url}/metrics", f"{absent}/metrics")
    try:
        snap = collector.poll_once()
    finally:
        collector.stop()
    assert snap.source_state == "ok", "one target answered"
    assert f"{absent}/metrics: connection refused" in snap.source_detail
    assert states(snap) == [("", "ok", 0.0, "")]

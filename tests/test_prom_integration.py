"""Real Prometheus and node exporter from Debian, the demo target and k6: gauges follow the load, sources agree."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from collectors.gauge_collector import GaugeCollector
from collectors.gauge_config import GaugesConfig, PrometheusSettings, ScrapeSettings, demo_gauges
from collectors.gauge_presets import PRESETS
from collectors.gauges import GaugeSnapshot, GaugeSpec
from runners.demo.target import DemoTarget
from runners.k6.command import k6_env
from tests.prometheus_support import (
    SCRAPE_INTERVAL_S,
    NodeExporter,
    PrometheusServer,
    RampExporter,
    demo_target,
    node_exporter,
    prometheus_stack,
)

pytestmark = pytest.mark.integration
__all__ = ["demo_target", "node_exporter", "prometheus_stack"]  # fixtures
RAMP = Path(__file__).parent.parent / "runners" / "demo" / "scenarios" / "demo_ramp.js"
POLL_S = 1.0


def wait_ok(collector: GaugeCollector, names: set[str], timeout: float = 20.0) -> GaugeSnapshot:
    """Wait until every named gauge has an "ok" reading."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        snap = collector.latest()
        if names <= {r.name for r in snap.readings if r.state == "ok"}:
            return snap
        time.sleep(0.1)
    raise AssertionError(f"gauges {names} not ok within {timeout} s: {collector.latest()}")


def pool_points(collector: GaugeCollector, start: float, end: float) -> list[tuple[float, float]]:
    """The db_pool history between two times."""
    return [p for p in collector.history().get(("db_pool", ""), ()) if start <= p[0] <= end]


def test_pool_gauge_follows_the_demo_pool_as_a_k6_ramp_saturates_it(
    prometheus_stack: PrometheusServer, demo_target: DemoTarget, k6_bin: str
) -> None:
    through_prom = demo_gauges(demo_target.url, PrometheusSettings(prometheus_stack.url, interval_s=POLL_S))
    direct = demo_gauges(demo_target.url)
    direct = replace(direct, scrape=replace(direct.scrape, interval_s=POLL_S))
    collectors = [GaugeCollector(through_prom), GaugeCollector(direct)]
    for c in collectors:
        c.start()
    try:
        for c in collectors:
            wait_ok(c, {"db_pool", "db_pool_waiting", "cache_hit", "rss", "inflight"})
        time.sleep(2 * POLL_S)
        k6_start = time.time()
        argv = [
            k6_bin,
            "run",
            "-q",
            "--no-summary",
            "-e",
            f"TARGET={demo_target.url}",
            "-e",
            "DEMO_SPEED=0.25",
            str(RAMP),
        ]
        k6 = subprocess.run(argv, env=k6_env(), capture_output=True, timeout=120, check=False)
        k6_end = time.time()
        assert k6.returncode in {0, 99}, k6.stderr.decode()[-2000:]
        time.sleep(4 * POLL_S + SCRAPE_INTERVAL_S)
        after = time.time()
    finally:
        for c in collectors:
            c.stop(timeout=5)
    for c in collectors:
        before = pool_points(c, 0, k6_start)
        during = pool_points(c, k6_start, k6_end)
        drained = pool_points(c, k6_end + 2 * POLL_S + SCRAPE_INTERVAL_S, after)
        assert before and max(v for _, v in before) < 50, f"{c.source.describe()}: idle pool {before}"
        assert during and max(v for _, v in during) >= 90, (
            f"{c.source.describe()}: pool never saturated {during}"
        )
        assert drained and drained[-1][1] < 50, f"{c.source.describe()}: pool did not drain {drained}"
        waiting = [v for t, v in c.history().get(("db_pool_waiting", ""), ()) if k6_start <= t <= k6_end]
        assert max(waiting) > 0, "requests queued for the pool at saturation"
        print(f"{c.source.kind}: pool max {max(v for _, v in during):.0f} %, {len(during)} points during k6")
    # Both sources see the saturation start at about the same time.
    first = [next(t for t, v in pool_points(c, k6_start, k6_end) if v >= 90) for c in collectors]
    print(f"first >= 90 %: prometheus +{first[0] - k6_start:.1f} s, scrape +{first[1] - k6_start:.1f} s")
    assert abs(first[0] - first[1]) <= 2 * POLL_S + SCRAPE_INTERVAL_S + 1.0
    summary = collectors[0].summary()
    assert summary["db_pool"][""]["max"] is not None and float(summary["db_pool"][""]["max"]) >= 90


@pytest.fixture
def ramp_stack(tmp_path: Path) -> Iterator[tuple[RampExporter, PrometheusServer]]:
    """The ramp exporter scraped by a real Prometheus every second."""
    exporter = RampExporter()
    prom = PrometheusServer(tmp_path, {"ramp": exporter.target})
    try:
        prom.wait_up()
        yield exporter, prom
    finally:
        prom.stop()
        exporter.close()


RAMP_GAUGES = (
    GaugeSpec("ramp", "lw_ramp", "count"),
    GaugeSpec("ramp_pct", "100 * lw_ramp / lw_ramp_max", "%"),
    GaugeSpec("work_rate", "rate(lw_work_total[5s])", "count"),
)


def test_direct_scrape_and_prometheus_agree_within_one_poll_interval(
    ramp_stack: tuple[RampExporter, PrometheusServer],
) -> None:
    exporter, prom = ramp_stack
    interval = 2.0
    prom_config = GaugesConfig(RAMP_GAUGES, PrometheusSettings(prom.url, interval_s=interval))
    scrape_config = GaugesConfig(
        RAMP_GAUGES, None, ScrapeSettings((f"http://{exporter.target}/metrics",), interval)
    )
    through_prom, direct = GaugeCollector(prom_config), GaugeCollector(scrape_config)
    worst: dict[str, float] = {}
    costs: list[float] = []
    b_costs: list[float] = []
    try:
        # Prometheus' first rates are extrapolated from a partly filled window; start once it holds 5 s.
        direct.poll_once()
        time.sleep(5.0)
        for _ in range(8):  # 8 polls, as the collector thread would make them
            a = through_prom.poll_once()
            b = direct.poll_once()
            costs += [a.poll_s, b.poll_s]
            b_costs.append(b.poll_s)
            values_a = {r.name: r.value for r in a.readings}
            values_b = {r.name: r.value for r in b.readings}
            for name in ("ramp", "ramp_pct", "work_rate"):
                va, vb = values_a[name], values_b[name]
                if va is not None and vb is not None:
                    worst[name] = max(worst.get(name, 0.0), abs(va - vb))
            time.sleep(interval)
    finally:
        through_prom.stop()
        direct.stop()
    # Both sources stamp a sample with the time its scrape started, while the exporter computes the value
    # when it answers; on a busy box that lag varies, and a rate over a few seconds moves by 10/s times the
    # lag's spread over the window. Prometheus' stored samples give its lags (value/10 against its stamp);
    # a direct poll's lag lies within the poll's own duration.
    stored = httpx.get(f"{prom.url}/api/v1/query", params={"query": "lw_work_total[30s]"}, timeout=10).json()
    lags = [exporter.t0 + float(v) / 10 - float(ts) for ts, v in stored["data"]["result"][0]["values"]]
    prom_noise = 10 * (max(lags) - min(lags)) / 4.0  # rate() over 5 s spans at least 4 one-second scrapes
    direct_noise = 10 * max(b_costs) / interval
    print(f"largest difference: {worst}; poll cost max {max(costs) * 1000:.1f} ms")
    print(f"Prometheus lag spread {(max(lags) - min(lags)) * 1000:.0f} ms over {len(lags)} scrapes")
    assert set(worst) == {"ramp", "ramp_pct", "work_rate"}
    # lw_ramp grows 1/s: a value at most one poll interval old differs by at most `interval`.
    assert worst["ramp"] <= interval
    assert worst["ramp_pct"] <= interval * 100 / 1000
    assert worst["work_rate"] <= 0.5 + prom_noise + direct_noise, "both rates are 10/s"


def test_host_preset_through_prometheus_and_direct_scrape(
    prometheus_stack: PrometheusServer, node_exporter: NodeExporter
) -> None:
    host = PRESETS["host"]
    through_prom = GaugeCollector(GaugesConfig(host, PrometheusSettings(prometheus_stack.url)))
    direct = GaugeCollector(
        GaugesConfig(host, None, ScrapeSettings((f"http://{node_exporter.target}/metrics",)))
    )
    try:
        a = b = through_prom.poll_once()
        for _ in range(3):  # direct rate() needs two scrapes
            b = direct.poll_once()
            time.sleep(1.0)
        a = through_prom.poll_once()
    finally:
        through_prom.stop()
        direct.stop()
    for snap in (a, b):
        by_name = {r.name: r for r in snap.readings}
        assert by_name["cpu"].state == "ok" and 0 <= (by_name["cpu"].value or -1) <= 100
        assert by_name["memory"].state == "ok" and 0 < (by_name["memory"].value or -1) < 100
        assert by_name["cpu"].series == node_exporter.target, "split by instance"
    memory = [next(r.value for r in s.readings if r.name == "memory") for s in (a, b)]
    assert memory[0] is not None and memory[1] is not None and abs(memory[0] - memory[1]) < 2.0

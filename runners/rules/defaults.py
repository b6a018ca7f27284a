"""The rules active without any configuration: the team's critical-thresholds table (seed 001), plus the generator.

| Metric (seed 001)  | Target  | Critical | Rule here                                           |
|--------------------|---------|----------|-----------------------------------------------------|
| API latency p95    | < 300ms | > 500ms  | k6.p95_ms > 300 / 500 ms for 10 s                   |
| Search latency p95 | < 1.2s  | > 2s     | endpoint.*search*.p95_ms > 1200 / 2000 ms for 10 s  |
| Error rate         | < 0.1%  | > 1%     | k6.error_pct > 0.1 / 1 % for 10 s                   |
| CPU usage          | < 70%   | > 90%    | gauge cpu's levels (70 / 90 %) for 60 s             |
| Memory usage       | < 80%   | > 90%    | gauge memory's levels (80 / 90 %) for 60 s          |
| DB connections     | < 80%   | > 95%    | gauge db_pool's levels (80 / 95 %) for 10 s         |
| Cache hit rate     | > 70%   | < 50%    | gauge cache_hit's levels (70 / 50 %) for 60 s       |

The gauge rows are not fixed rules: every gauge with a warning or critical level (the presets carry the
seed's) becomes a rule on that gauge, so a rule exists exactly for the gauges the run has. Every `for` is
a window: a level holds once the value crossed it for half of it (runners/rules/track.py).

Why these durations: the k6 values are already a 10 s sliding window, so 10 s more means a problem that lasted
about 20 s; the seed asks for CPU and memory "sustained", and the runbook leaves "for __ minutes" open, so a
minute; a saturated pool is an immediate failure mode, so 10 s; a cache is cold at the start of every run, so
its hit rate gets a minute before it counts. Defaults take no action (no bell, no command, never an abort):
give one a `[[rules]]` table with its name in the config to add actions or change levels.
"""

from __future__ import annotations

from collections.abc import Sequence

from collectors.gauges import GaugeSpec
from runners.model.rule_spec import Rule


def default_rules(gauges: Sequence[GaugeSpec] = ()) -> list[Rule]:
    """The default rule set (see the module docstring for the table and the reasons).

    Args:
        gauges: The run's gauges: each with a warning or critical level becomes a rule (see `gauge_rules`).

    Returns:
        New `Rule` objects with source "default".
    """
    return [*_k6_and_generator(), *gauge_rules(gauges)]


def gauge_rules(gauges: Sequence[GaugeSpec]) -> list[Rule]:
    """One rule per gauge that has a warning or critical level: the gauge's levels are the rule's.

    A gauge split by a label gets one breach per series (`gauge.<name>.*`), else one for the gauge. The
    seed's gauges keep the seed's rule names and durations (cpu, memory, db-connections, cache-hit-rate);
    any other gauge's rule is `gauge-<name>`, for 10 s.

    Args:
        gauges: The configured gauges (presets and `[[gauges]]`).

    Returns:
        The rules, in gauge order.
    """
    rules = []
    for spec in gauges:
        if spec.warning is None and spec.critical is None:
            continue
        name, for_s, about = _GAUGE_RULES.get(spec.name, (f"gauge-{spec.name}", 10.0, ""))
        if spec.for_s is not None:
            for_s = spec.for_s
        title = spec.title or spec.name
        rules.append(
            Rule(
                name=name,
                metric=f"gauge.{spec.name}.*" if spec.split_by else f"gauge.{spec.name}",
                op=">=" if spec.direction == "above" else "<=",
                warning=spec.warning,
                critical=spec.critical,
                for_s=for_s,
                description=f"{title}: levels of gauge {spec.name}" + (f" ({about})" if about else ""),
                source="default",
                origin=f"gauge {spec.name}",
            )
        )
    return rules


_GAUGE_RULES: dict[str, tuple[str, float, str]] = {
    "cpu": ("cpu", 60.0, "< 70 %, > 90 %: scale up; sustained"),
    "memory": ("memory", 60.0, "< 80 %, > 90 %: scale up; sustained"),
    "db_pool": ("db-connections", 10.0, "< 80 %, > 95 %: increase pool"),
    "cache_hit": ("cache-hit-rate", 60.0, "> 70 %, < 50 %: review cache strategy; after warm-up"),
    "redis_clients": ("redis-clients", 10.0, "Redis clients of maxclients"),
    "db_pool_waiting": ("db-pool-waiting", 10.0, "clients waiting for a pooled connection"),
    "container_cpu": ("container-cpu", 60.0, "sustained"),
    "container_memory": ("container-memory", 60.0, "sustained"),
}
"""Gauge name -> (rule name, `for` seconds, why) for the gauges the presets define."""


def _k6_and_generator() -> list[Rule]:
    return [
        Rule(
            name="api-latency-p95",
            metric="k6.p95_ms",
            op=">",
            warning=300.0,
            critical=500.0,
            for_s=10.0,
            description="API latency p95, all requests (target < 300 ms, critical > 500 ms: scale up)",
            source="default",
        ),
        Rule(
            name="search-latency-p95",
            metric="endpoint.*search*.p95_ms",
            op=">",
            warning=1200.0,
            critical=2000.0,
            for_s=10.0,
            description="p95 of each endpoint with 'search' in its name (< 1.2 s, > 2 s: optimize queries)",
            source="default",
        ),
        Rule(
            name="error-rate",
            metric="k6.error_pct",
            op=">",
            warning=0.1,
            critical=1.0,
            for_s=10.0,
            description="failed requests % (< 0.1 %, > 1 %: investigate immediately)",
            source="default",
        ),
        Rule(
            name="generator-cpu",
            metric="host.cpu_pct",
            op=">",
            warning=85.0,
            for_s=10.0,
            description="CPU % of the load generator box: above it the generator is saturated and the latencies "
            "measure the generator, not the target",
            source="default",
        ),
    ]

"""The rules active without any configuration: the team's critical-thresholds table (seed 001), plus the generator.

| Metric (seed 001)  | Target  | Critical | Rule here                                           |
|--------------------|---------|----------|-----------------------------------------------------|
| API latency p95    | < 300ms | > 500ms  | k6.p95_ms > 300 / 500 ms for 10 s                   |
| Search latency p95 | < 1.2s  | > 2s     | endpoint.*search*.p95_ms > 1200 / 2000 ms for 10 s  |
| Error rate         | < 0.1%  | > 1%     | k6.error_pct > 0.1 / 1 % for 10 s                   |
| CPU usage          | < 70%   | > 90%    | gauge.cpu* > 70 / 90 % for 60 s                     |
| Memory usage       | < 80%   | > 90%    | gauge.memory* > 80 / 90 % for 60 s                  |
| DB connections     | < 80%   | > 95%    | gauge.db_pool* > 80 / 95 % for 10 s                 |
| Cache hit rate     | > 70%   | < 50%    | gauge.cache_hit* < 70 / 50 % for 60 s               |

Why these durations: the k6 values are already a 10 s sliding window, so 10 s more means a problem that lasted
about 20 s; the seed asks for CPU and memory "sustained", and the runbook leaves "for __ minutes" open, so a
minute; a saturated pool is an immediate failure mode, so 10 s; a cache is cold at the start of every run, so
its hit rate gets a minute before it counts. Defaults take no action (no bell, no command, never an abort):
give one a `[[rules]]` table with its name in the config to add actions or change levels.
"""

from __future__ import annotations

from runners.model.rule_spec import Rule


def default_rules() -> list[Rule]:
    """The default rule set (see the module docstring for the table and the reasons).

    Returns:
        New `Rule` objects with source "default".
    """
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
            name="cpu",
            metric="gauge.cpu*",
            op=">",
            warning=70.0,
            critical=90.0,
            for_s=60.0,
            description="CPU % of the system under test, sustained (< 70 %, > 90 %: scale up)",
            source="default",
        ),
        Rule(
            name="memory",
            metric="gauge.memory*",
            op=">",
            warning=80.0,
            critical=90.0,
            for_s=60.0,
            description="memory % of the system under test, sustained (< 80 %, > 90 %: scale up)",
            source="default",
        ),
        Rule(
            name="db-connections",
            metric="gauge.db_pool*",
            op=">",
            warning=80.0,
            critical=95.0,
            for_s=10.0,
            description="DB pool / connections used % (< 80 %, > 95 %: increase pool)",
            source="default",
        ),
        Rule(
            name="cache-hit-rate",
            metric="gauge.cache_hit*",
            op="<",
            warning=70.0,
            critical=50.0,
            for_s=60.0,
            description="cache hit rate %, after a minute of warm-up (> 70 %, < 50 %: review cache strategy)",
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

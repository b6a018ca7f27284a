"""Built-in gauges for common exporters, switched on by name, and the demo target's gauges.

Metric names come from the exporters' own sources (facts/collectors.md §2.6): node_exporter,
postgres_exporter (collector/pg_stat_activity.go, pg_setting.go), pgbouncer_exporter (collector.go),
HikariCP (MicrometerMetricsTracker.java, HikariCPCollector.java), redis_exporter (exporter/exporter.go:
connected_clients, config maxclients, keyspace_hits/misses counters) and cAdvisor (docs/storage/prometheus.md).
Gauge names are a contract with the alert rules: cpu, memory, db_pool, redis_clients, cache_hit,
container_cpu, container_memory. Levels follow the Critical Thresholds table of the seed procedures, and
each gauge's levels become a rule (runners/rules/defaults.py). Rates use `irate` over 30 s: the last two
samples, so a 1 s poll of 1 s scrapes sees a 1 s peak (a 1-minute `rate` read a flat 67.7 % while the box was
100 % busy), and 30 s still covers two scrapes at Prometheus' common 15 s interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from collectors.gauges import Direction, GaugeSpec, Unit


@dataclass(frozen=True, slots=True)
class _Kind:
    """Unit and levels shared by gauges of one kind."""

    unit: Unit
    warning: float | None = None
    critical: float | None = None
    direction: Direction = "above"


_CPU = _Kind("%", 70.0, 90.0)
_MEMORY = _Kind("%", 80.0, 90.0)
_POOL = _Kind("%", 80.0, 95.0)
_CACHE = _Kind("%", 70.0, 50.0, "below")
_WAITING = _Kind("count", 1.0, 10.0)
_BYTES = _Kind("bytes")
_COUNT = _Kind("count")


def _spec(
    name: str, query: str, kind: _Kind, title: str, split_by: str | None = None, expr: str | None = None
) -> GaugeSpec:
    return GaugeSpec(
        name,
        query,
        kind.unit,
        expr=expr,
        warning=kind.warning,
        critical=kind.critical,
        split_by=split_by,
        direction=kind.direction,
        title=title,
    )


PRESETS: dict[str, tuple[GaugeSpec, ...]] = {
    "host": (
        _spec(
            "cpu",
            '100 * (1 - avg by (instance) (irate(node_cpu_seconds_total{mode="idle"}[30s])))',
            split_by="instance",
            title="host CPU (node_exporter)",
            kind=_CPU,
        ),
        _spec(
            "memory",
            "100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)",
            split_by="instance",
            title="host memory (node_exporter)",
            kind=_MEMORY,
        ),
    ),
    "postgres": (
        _spec(
            "db_pool",
            "100 * sum by (instance) (pg_stat_activity_count) / sum by (instance) (pg_settings_max_connections)",
            split_by="instance",
            title="PostgreSQL connections used (postgres_exporter)",
            kind=_POOL,
        ),
    ),
    "pgbouncer": (
        _spec(
            "db_pool",
            "100 * sum by (instance, database) (pgbouncer_pools_server_active_connections)"
            " / on (instance, database) sum by (instance, database)"
            ' (label_replace(pgbouncer_databases_pool_size, "database", "$1", "name", "(.+)"))',
            split_by="database",
            title="PgBouncer server pool used (pgbouncer_exporter)",
            kind=_POOL,
        ),
        _spec(
            "db_pool_waiting",
            "sum by (instance, database) (pgbouncer_pools_client_waiting_connections)",
            split_by="database",
            title="PgBouncer clients waiting",
            kind=_WAITING,
        ),
    ),
    "hikaricp": (
        _spec(
            "db_pool",
            "100 * hikaricp_connections_active / hikaricp_connections_max",
            split_by="pool",
            title="HikariCP pool used (Micrometer)",
            kind=_POOL,
        ),
        _spec(
            "db_pool_waiting",
            "hikaricp_connections_pending",
            split_by="pool",
            title="HikariCP threads waiting",
            kind=_WAITING,
        ),
    ),
    "hikaricp-simpleclient": (
        _spec(
            "db_pool",
            "100 * hikaricp_active_connections / hikaricp_max_connections",
            split_by="pool",
            title="HikariCP pool used (HikariCPCollector)",
            kind=_POOL,
        ),
        _spec(
            "db_pool_waiting",
            "hikaricp_pending_threads",
            split_by="pool",
            title="HikariCP threads waiting",
            kind=_WAITING,
        ),
    ),
    "redis": (
        _spec(
            "redis_clients",
            "100 * redis_connected_clients / redis_config_maxclients",
            split_by="instance",
            title="Redis clients of maxclients (redis_exporter)",
            kind=_POOL,
        ),
        _spec(
            "cache_hit",
            "100 * irate(redis_keyspace_hits_total[30s])"
            " / (irate(redis_keyspace_hits_total[30s]) + irate(redis_keyspace_misses_total[30s]))",
            split_by="instance",
            title="Redis keyspace hit rate",
            kind=_CACHE,
        ),
    ),
    "cadvisor": (
        _spec(
            "container_cpu",
            'sum by (name) (irate(container_cpu_usage_seconds_total{name!=""}[30s])) * 100',
            split_by="name",
            title="container CPU, % of one core (cAdvisor)",
            kind=_CPU,
        ),
        _spec(
            "container_memory",
            '100 * max by (name) (container_memory_working_set_bytes{name!=""})'
            ' / max by (name) (container_spec_memory_limit_bytes{name!=""} > 0)',
            split_by="name",
            title="container memory of its limit (cAdvisor)",
            kind=_MEMORY,
        ),
    ),
}
"""Preset name → its gauges."""


def demo_specs(target_url: str) -> tuple[GaugeSpec, ...]:
    """The demo target's gauges, restricted to its instance so they also work through a shared Prometheus.

    Args:
        target_url: Base URL of the demo target, e.g. `http://127.0.0.1:8000`.

    Returns:
        db_pool, db_pool_waiting, cache_hit, cpu, rss (bytes: not the `memory %` contract) and inflight.
    """
    inst = f'{{instance="{urlsplit(target_url).netloc}"}}'
    return (
        _spec(
            "db_pool",
            f"100 * demo_db_pool_connections_in_use{inst} / demo_db_pool_connections_max{inst}",
            _POOL,
            "demo DB pool used",
        ),
        _spec("db_pool_waiting", f"demo_db_pool_waiting{inst}", _WAITING, "waiting for a DB connection"),
        _spec("cache_hit", f"100 * demo_cache_hit_ratio{inst}", _CACHE, "product cache hit rate"),
        _spec(
            "cpu",
            f"100 * rate(process_cpu_seconds_total{inst}[30s])",
            _CPU,
            "demo target CPU, % of one core",
            expr=f"100 * rate(process_cpu_seconds_total{inst}[10s])",
        ),
        _spec(
            "rss", f"process_resident_memory_bytes{inst}", _BYTES, "demo target RSS"
        ),  # bytes, not the % rule
        _spec("inflight", f"demo_http_requests_in_flight{inst}", _COUNT, "requests in flight"),
    )

"""Prometheus metrics of the demo target, on a private registry so instances never share series."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

KNOWN_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class DemoMetrics:
    """Every series the demo target exposes on `/metrics`.

    Gauges that mirror live state (pool, in-flight, cache) read it through callbacks at scrape time, so the
    hot path only touches the counter and the histograms.
    """

    def __init__(
        self,
        pool_max: int,
        in_use: Callable[[], float],
        waiting: Callable[[], float],
        in_flight: Callable[[], float],
        open_connections: Callable[[], float],
        cache_hit_ratio: Callable[[], float],
    ) -> None:
        """Create the registry and its metrics.

        Args:
            pool_max: Size of the connection pool.
            in_use: Connections held now.
            waiting: Requests waiting for a connection now.
            in_flight: HTTP requests being handled now.
            open_connections: Client connections open now.
            cache_hit_ratio: Recent cache hit ratio, 0 to 1.
        """
        self.registry = CollectorRegistry(auto_describe=True)
        reg = self.registry
        ProcessCollector(registry=reg)
        Gauge("demo_db_pool_connections_max", "Size of the DB pool.", registry=reg).set(pool_max)
        Gauge("demo_db_pool_connections_in_use", "DB connections held.", registry=reg).set_function(in_use)
        Gauge("demo_db_pool_waiting", "Requests waiting for a DB connection.", registry=reg).set_function(
            waiting
        )
        Gauge("demo_http_requests_in_flight", "HTTP requests being handled.", registry=reg).set_function(
            in_flight
        )
        Gauge("demo_http_connections_open", "Open client connections.", registry=reg).set_function(
            open_connections
        )
        Gauge("demo_cache_hit_ratio", "Recent product cache hit ratio.", registry=reg).set_function(
            cache_hit_ratio
        )
        self.pool_wait = Histogram(
            "demo_db_pool_wait_seconds",
            "Time spent waiting for a DB connection, timeouts included.",
            buckets=LATENCY_BUCKETS,
            registry=reg,
        )
        self.pool_timeouts = Counter(
            "demo_db_pool_timeouts", "Requests that gave up waiting for a DB connection.", registry=reg
        )
        self._requests = Counter(
            "demo_http_requests",
            "HTTP requests by route template, method and status.",
            ["endpoint", "method", "status"],
            registry=reg,
        )
        self._duration = Histogram(
            "demo_http_request_duration_seconds",
            "Time to handle a request, by route template.",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=reg,
        )
        # Label children cached by key: `.labels()` takes a lock and builds tuples on every call.
        self._req_children: dict[tuple[str, str, int], Counter] = {}
        self._dur_children: dict[str, Histogram] = {}

    def observe_request(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        """Count one finished request.

        Args:
            endpoint: Route template (never a raw path), or "other".
            method: HTTP method; unknown ones are folded into "other".
            status: Response status code.
            seconds: Time spent handling it.
        """
        if method not in KNOWN_METHODS:
            method = "other"
        key = (endpoint, method, status)
        counter = self._req_children.get(key)
        if counter is None:
            counter = self._req_children[key] = self._requests.labels(endpoint, method, str(status))
        counter.inc()
        hist = self._dur_children.get(endpoint)
        if hist is None:
            hist = self._dur_children[endpoint] = self._duration.labels(endpoint)
        hist.observe(seconds)

    def exposition(self) -> bytes:
        """Render the registry in the Prometheus text format.

        Returns:
            The body for `/metrics`.
        """
        return generate_latest(self.registry)

"""The `[prometheus]`, `[scrape]`, `presets` and `[[gauges]]` configuration of the system-under-test gauges."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from collectors.gauge_presets import demo_specs
from collectors.gauges import GaugeSpec
from collectors.prometheus_auth import AuthConfig

DEFAULT_INTERVAL_S = 2.0
DEFAULT_TIMEOUT_S = 1.5
DEFAULT_MAX_BACKOFF_S = 30.0


@dataclass(frozen=True, slots=True)
class PrometheusSettings:
    """A Prometheus server to query."""

    url: str
    interval_s: float = DEFAULT_INTERVAL_S
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_backoff_s: float = DEFAULT_MAX_BACKOFF_S
    auth: AuthConfig = field(default_factory=AuthConfig)


@dataclass(frozen=True, slots=True)
class ScrapeSettings:
    """`/metrics` endpoints loadwatch scrapes itself when there is no Prometheus server."""

    targets: tuple[str, ...] = ()
    interval_s: float = DEFAULT_INTERVAL_S
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_backoff_s: float = DEFAULT_MAX_BACKOFF_S


@dataclass(frozen=True, slots=True)
class GaugesConfig:
    """Every gauge and where its values come from (Prometheus when a URL is given, else direct scrape)."""

    gauges: tuple[GaugeSpec, ...] = ()
    prometheus: PrometheusSettings | None = None
    scrape: ScrapeSettings = field(default_factory=ScrapeSettings)
    presets: tuple[str, ...] = ()

    @property
    def source(self) -> Literal["prometheus", "scrape"] | None:
        """The source in use; None when there is nothing to show."""
        if not self.gauges:
            return None
        return "prometheus" if self.prometheus is not None else "scrape"

    @property
    def interval_s(self) -> float:
        """Seconds between the end of one poll and the start of the next."""
        return self.prometheus.interval_s if self.prometheus is not None else self.scrape.interval_s


def demo_gauges(target_url: str, prometheus: PrometheusSettings | None = None) -> GaugesConfig:
    """The demo target's gauges: direct scrape of its `/metrics`, or a configured Prometheus that scrapes it.

    Args:
        target_url: Base URL of the demo target.
        prometheus: A Prometheus server to query instead (its queries match the target's `instance`).

    Returns:
        db_pool (%), db_pool_waiting, cache_hit (%, low is bad), cpu (% of one core), memory (bytes), inflight.
    """
    scrape = ScrapeSettings(
        targets=(metrics_url(target_url),), interval_s=1.0
    )  # local and cheap: poll at 1 Hz
    return GaugesConfig(demo_specs(target_url), prometheus, scrape, ("demo",))


def metrics_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/metrics")) if parts.path in {"", "/"} else url

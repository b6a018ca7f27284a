"""The `[prometheus]`, `[scrape]`, `presets` and `[[gauges]]` configuration of the system-under-test gauges."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from collectors.gauge_presets import demo_specs
from collectors.gauges import GaugeSpec
from collectors.prometheus_auth import AuthConfig

DEFAULT_INTERVAL_S = 1.0
"""Polls a second by default: a 2 s poll missed a 1 s peak; a poll costs a few ms (facts §2.5)."""
LONG_RUN_INTERVAL_S = 2.0
LONG_RUN_S = 1800.0
"""Runs planned longer than this poll every LONG_RUN_INTERVAL_S unless an interval is configured."""
DEFAULT_TIMEOUT_S = 1.5
DEFAULT_MAX_BACKOFF_S = 30.0
DEFAULT_TAIL_S = 5.0
"""Seconds the gauges keep polling after k6 ends, to see the system under test settle."""
DEADLINE_SHARE = 0.8
"""One poll's queries all end within this share of the interval (and within the timeout)."""


@dataclass(frozen=True, slots=True)
class PrometheusSettings:
    """A Prometheus server to query."""

    url: str
    interval_s: float = DEFAULT_INTERVAL_S
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_backoff_s: float = DEFAULT_MAX_BACKOFF_S
    auth: AuthConfig = field(default_factory=AuthConfig)
    interval_set: bool = False  # configured: not changed for long runs
    tail_s: float = DEFAULT_TAIL_S

    @property
    def redacted_url(self) -> str:
        """The URL without any user or password in it (for the run record)."""
        return redact_url(self.url)


@dataclass(frozen=True, slots=True)
class ScrapeSettings:
    """`/metrics` endpoints loadwatch scrapes itself when there is no Prometheus server."""

    targets: tuple[str, ...] = ()
    interval_s: float = DEFAULT_INTERVAL_S
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_backoff_s: float = DEFAULT_MAX_BACKOFF_S
    interval_set: bool = False
    tail_s: float = DEFAULT_TAIL_S


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

    @property
    def tail_s(self) -> float:
        """Seconds the gauges keep polling after k6 ended."""
        return self.prometheus.tail_s if self.prometheus is not None else self.scrape.tail_s

    def record_meta(self) -> dict[str, Any]:
        """The gauges' definitions and their source for the run record (no credentials, URLs redacted)."""
        settings: PrometheusSettings | ScrapeSettings = self.prometheus or self.scrape
        return {
            "source": self.source,
            "url": self.prometheus.redacted_url if self.prometheus else None,
            "targets": [redact_url(t) for t in self.scrape.targets] if self.prometheus is None else [],
            "interval_s": settings.interval_s,
            "timeout_s": settings.timeout_s,
            "tail_s": settings.tail_s,
            "presets": list(self.presets),
            "gauges": [
                {
                    "name": g.name,
                    "query": g.query,
                    "expr": g.expr,
                    "unit": g.unit,
                    "warning": g.warning,
                    "critical": g.critical,
                    "direction": g.direction,
                    "split_by": g.split_by,
                    "max": g.max,
                    "title": g.title,
                }
                for g in self.gauges
            ],
        }


def redact_url(url: str) -> str:
    """`http://user:secret@host/x?token=abc` -> `http://***@host/x?token=***` (no credentials kept)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    query = "&".join(
        f"{k}=***" if any(w in k.lower() for w in ("token", "key", "secret", "pass", "auth")) else f"{k}={v}"
        for k, _, v in (pair.partition("=") for pair in parts.query.split("&") if pair)
    )
    return urlunsplit(parts._replace(netloc=netloc, query=query))


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

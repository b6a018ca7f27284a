"""Direct scrape: fetch `/metrics` endpoints, parse them with prometheus_client, evaluate the gauge expressions."""

from __future__ import annotations

import time
from collections.abc import Sequence
from urllib.parse import urlsplit

import httpx
from prometheus_client.parser import text_string_to_metric_families

from collectors.gauge_config import ScrapeSettings
from collectors.gauge_source import PollResult, QueryResult, down_result
from collectors.gauges import GaugeSpec, Source
from collectors.scrape_ast import ExprError, Node, Selector, range_selectors, selectors
from collectors.scrape_eval import NAME, CounterHistory, SampleIndex, evaluate
from collectors.scrape_expr import parse_expr

_ACCEPT = "text/plain;version=0.0.4;q=1.0, */*;q=0.1"  # the classic text format, not OpenMetrics
_MAX_BODY_BYTES = 32 * 1024 * 1024


class ScrapeSource:
    """Scrapes every target once per poll, sequentially, each request bounded by the timeout."""

    kind: Source = "scrape"

    def __init__(self, settings: ScrapeSettings, specs: Sequence[GaugeSpec]) -> None:
        """Parse every gauge's expression once and create the HTTP client (no I/O yet).

        Args:
            settings: Targets and timeout.
            specs: The gauges, to know which metrics and counters to keep.
        """
        self.settings = settings
        self._client = httpx.Client(timeout=settings.timeout_s, headers={"Accept": _ACCEPT})
        self._nodes: dict[str, Node | ExprError] = {}
        self._rate_selectors: list[Selector] = []
        self._needed: set[str] = set()
        for spec in specs:
            try:
                node = parse_expr(spec.scrape_expr)
            except ExprError as exc:
                self._nodes[spec.name] = exc
                continue
            self._nodes[spec.name] = node
            self._rate_selectors += range_selectors(node)
            self._needed |= {sel.metric for sel in selectors(node)}
        self._history = CounterHistory()
        self._scrapes = 0
        self.last_parse_s = 0.0

    def describe(self) -> str:
        """The source's name for the pane."""
        targets = self.settings.targets
        return f"direct scrape {targets[0]}" + (f" +{len(targets) - 1}" if len(targets) > 1 else "")

    def poll(self, specs: Sequence[GaugeSpec], deadline_s: float | None = None) -> PollResult:
        """Scrape every target and evaluate every gauge, all within one deadline.

        Args:
            specs: The gauges.
            deadline_s: The whole poll's budget; each target gets what is left of it (and at most the timeout).

        Returns:
            Each gauge's series; "down" for all when no target answered, and for a gauge left with no series
            while some target failed (the failure is the likely reason).
        """
        now = time.time()
        index = SampleIndex()
        end = time.monotonic() + min(self.settings.timeout_s, deadline_s or self.settings.timeout_s)
        failures = [f for f in (self._scrape(url, index, end) for url in self.settings.targets) if f]
        if failures and len(failures) == len(self.settings.targets):
            return down_result(specs, "; ".join(failures))
        self._history.record(now, index, self._rate_selectors)
        self._scrapes += 1
        results: dict[str, QueryResult] = {}
        for spec in specs:
            node = self._nodes.get(spec.name)
            if node is None or isinstance(node, ExprError):
                results[spec.name] = QueryResult(error="invalid", detail=str(node or "not parsed"))
                continue
            try:
                value = evaluate(node, index, self._history, now)
            except ExprError as exc:
                results[spec.name] = QueryResult(error="invalid", detail=str(exc))
                continue
            if isinstance(value, float):
                series: tuple[tuple[dict[str, str], float], ...] = (({}, value),)
            else:
                series = tuple(({k: v for k, v in key if k != NAME}, val) for key, val in value.items())
            if not series and failures:
                results[spec.name] = QueryResult(error="down", detail="; ".join(failures))
            elif not series and self._scrapes < 2 and range_selectors(node):
                results[spec.name] = QueryResult(error="pending", detail="a rate needs a second scrape")
            else:
                results[spec.name] = QueryResult(series)
        detail = "; ".join(failures) if failures else f"{len(self.settings.targets)} target(s) scraped"
        return PollResult(True, detail, results)

    def _scrape(self, url: str, index: SampleIndex, end: float) -> str:
        """Fetch and index one target by `end` (monotonic); returns "" on success, else why it failed."""
        timeout = round(end - time.monotonic(), 3)
        if timeout <= 0:
            return f"{url}: slow: not scraped, the poll's deadline passed"
        try:
            response = self._client.get(url, timeout=timeout)
            response.raise_for_status()
        except httpx.TimeoutException:
            return f"{url}: slow: no answer within {timeout:g} s"
        except httpx.HTTPStatusError as exc:
            return f"{url}: HTTP {exc.response.status_code}"
        except httpx.HTTPError as exc:
            return f"{url}: {_reason(exc)}"
        if len(response.content) > _MAX_BODY_BYTES:
            return f"{url}: answer larger than {_MAX_BODY_BYTES // 1_000_000} MB"
        instance = urlsplit(url).netloc
        started = time.perf_counter()
        try:
            for family in text_string_to_metric_families(response.text):
                for sample in family.samples:
                    if sample.name in self._needed:
                        labels = dict(sample.labels)
                        if "instance" in labels:  # as Prometheus does with honor_labels false
                            labels["exported_instance"] = labels["instance"]
                        labels["instance"] = instance
                        index.add(sample.name, labels, float(sample.value))
        except (ValueError, TypeError, IndexError) as exc:
            return f"{url}: not in the Prometheus text format ({exc})"
        finally:
            self.last_parse_s = time.perf_counter() - started
        return ""

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()


def _reason(exc: httpx.HTTPError) -> str:
    text = str(exc) or type(exc).__name__
    if "Connection refused" in text or "Errno 111" in text:
        return "connection refused"
    return text[:200]

"""Polls the gauges on a daemon thread without overlap, backs off while the source is down, keeps history."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping

from collectors.gauge_config import DEADLINE_SHARE, LONG_RUN_INTERVAL_S, LONG_RUN_S, GaugesConfig
from collectors.gauge_health import Health, HealthEvent, HealthTracker
from collectors.gauge_source import GaugeSource, PollResult, QueryResult, series_names
from collectors.gauges import GaugeReading, GaugeSnapshot, GaugeSpec, SeriesStats, State

HISTORY_POINTS = 600
"""Points kept per series for sparklines and the chart (10 minutes at the default 1 s)."""
MAX_EVENTS = 500
"""Health events waiting to be drained (the engine drains them every tick)."""
SERIES_LINGER_S = 30.0
"""How long a series missing from a good result stays on screen as stale before its row goes."""
MAX_SERIES_PER_GAUGE = 40
"""Rows per gauge at most; the worst series are kept."""
MAX_TRACKED_SERIES = 2_000
"""Series with history and run statistics at most (containers come and go in a long soak)."""
History = Mapping[tuple[str, str], tuple[tuple[float, float], ...]]


def make_source(config: GaugesConfig) -> GaugeSource:
    """The source the configuration asks for: Prometheus when a URL is given, else direct scrape.

    Args:
        config: The gauges configuration.

    Returns:
        A source; creating it does no I/O.
    """
    if config.prometheus is not None:
        from collectors.prometheus import PrometheusSource  # imports requests; kept off the `--help` path

        return PrometheusSource(config.prometheus)
    from collectors.scrape_source import ScrapeSource

    return ScrapeSource(config.scrape, config.gauges)


class GaugeCollector:
    """Owns one source and one polling thread; every public method is thread-safe and never does I/O."""

    def __init__(
        self,
        config: GaugesConfig,
        *,
        source: GaugeSource | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Prepare the collector; nothing is polled until `start()` or `poll_once()`.

        Args:
            config: The gauges and their source settings.
            source: A source to use instead of the configured one (tests).
            clock: Wall clock for reading times.
        """
        self.config = config
        self.source = source if source is not None else make_source(config)
        settings = config.prometheus or config.scrape
        self.interval_s = settings.interval_s
        self._interval_set = settings.interval_set
        self.max_backoff_s = settings.max_backoff_s
        self.ended = False
        self._clock = clock
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_ok: dict[str, dict[str, tuple[float, float]]] = {}  # gauge -> series -> (value, t)
        self._history: dict[tuple[str, str], deque[tuple[float, float]]] = {}
        self._stats: dict[tuple[str, str], SeriesStats] = {}
        self._down_polls = 0
        self.poll_costs: deque[float] = deque(maxlen=256)
        """Seconds each recent poll took."""
        pending = tuple(
            self._reading(s, "", None, "pending", "waiting for the first poll", clock())
            for s in config.gauges
        )
        self._snapshot = GaugeSnapshot(clock(), self.source.kind, pending, "pending", self.source.describe())
        self._health = HealthTracker([s.name for s in config.gauges], self.source.describe(), clock())
        self._events: deque[HealthEvent] = deque(maxlen=MAX_EVENTS)

    @property
    def deadline_s(self) -> float:
        """One poll's budget: every query of it ends by then (below the interval, within the timeout)."""
        return DEADLINE_SHARE * self.interval_s

    def plan(self, planned_s: float | None) -> None:
        """Adapt the poll interval to the run's planned length (1 s, or 2 s past 30 minutes) unless configured.

        Args:
            planned_s: k6's planned duration, once known.
        """
        if not self._interval_set and planned_s is not None and planned_s > LONG_RUN_S:
            self.interval_s = max(self.interval_s, LONG_RUN_INTERVAL_S)

    def start(self) -> None:
        """Start polling on a daemon thread (the first poll starts at once)."""
        if self._thread is not None:
            raise RuntimeError("GaugeCollector can only be started once")
        self._thread = threading.Thread(target=self._run, name="gauge-collector", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop polling and close the source; waits at most `timeout` (a poll in flight is bounded too).

        Args:
            timeout: Longest wait for the thread.
        """
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._thread is None or not self._thread.is_alive():
            self.source.close()

    def _run(self) -> None:
        delay = 0.0
        while not self._stop.wait(delay):
            try:
                snapshot = self.poll_once()
            except Exception as exc:  # a bug must show on screen, not end the thread silently
                self._down_polls += 1
                with self._lock:
                    old = self._snapshot
                    self._snapshot = GaugeSnapshot(
                        self._clock(), old.source, old.readings, "down", f"internal error: {exc!r}"
                    )
                delay = self.max_backoff_s
                continue
            delay = snapshot.retry_in_s if snapshot.retry_in_s is not None else self.interval_s

    def poll_once(self) -> GaugeSnapshot:
        """Poll the source once, now, on the calling thread, and publish the snapshot.

        Returns:
            The new snapshot; `retry_in_s` is the delay before the next poll.
        """
        started = time.monotonic()
        result = self.source.poll(self.config.gauges, deadline_s=self.deadline_s)
        poll_s = time.monotonic() - started
        t = self._clock()
        with self._lock:
            readings = tuple(r for spec in self.config.gauges for r in self._readings(spec, result, t))
            health = {spec.name: self._health_of(spec.name, result, readings) for spec in self.config.gauges}
            self._events.extend(self._health.update(t, health))
            if result.reachable:
                self._down_polls = 0
                delay = max(self.interval_s - poll_s, min(self.interval_s, 0.25))  # never overlap, never spin
            else:
                self._down_polls += 1
                delay = min(self.interval_s * 2 ** (self._down_polls - 1), self.max_backoff_s)
            detail = (
                f"{self.source.describe()} · {result.detail}" if result.detail else self.source.describe()
            )
            if not result.reachable:
                detail += f" · retry in {delay:.0f} s"
            snapshot = GaugeSnapshot(
                t, self.source.kind, readings, "ok" if result.reachable else "down", detail, poll_s, delay
            )
            self._snapshot = snapshot
            self.poll_costs.append(poll_s)
        return snapshot

    def _readings(self, spec: GaugeSpec, result: PollResult, t: float) -> list[GaugeReading]:
        res = result.results.get(spec.name) or QueryResult(error="down", detail=result.detail)
        known = self._last_ok.setdefault(spec.name, {})
        if res.error == "slow":
            res = QueryResult(error="down", detail=res.detail)  # shown as down or stale, with the reason
        if res.error == "invalid":
            known.clear()
            return [self._reading(spec, "", None, "invalid", res.detail, t)]
        if res.error == "pending":
            return [self._reading(spec, "", None, "pending", res.detail, t)]
        if res.error == "down":
            if not known:
                return [self._reading(spec, "", None, "down", res.detail, t)]
            return [
                self._reading(spec, s, v, "stale", res.detail, t, t - seen)
                for s, (v, seen) in sorted(known.items())
            ]
        names = series_names([labels for labels, _ in res.series], spec.split_by)
        pairs = sorted(zip(names, (v for _, v in res.series), strict=True))
        if len(pairs) > MAX_SERIES_PER_GAUGE:
            worst_first = sorted(
                pairs,
                key=lambda p: p[1] if math.isfinite(p[1]) else -math.inf,
                reverse=spec.direction == "above",
            )
            pairs = sorted(worst_first[:MAX_SERIES_PER_GAUGE])
        out: list[GaugeReading] = []
        for series, value in pairs:
            if math.isfinite(value):
                known[series] = (value, t)
                self._record(spec, series, value, t)
                out.append(self._reading(spec, series, value, "ok", "", t, 0.0))
            else:
                known.pop(series, None)
                text = (
                    "NaN (0/0?)"
                    if math.isnan(value)
                    else ("+Inf" if value > 0 else "-Inf") + " (division by zero?)"
                )
                out.append(self._reading(spec, series, None, "no_data", f"result is {text}", t))
        present = {series for series, _ in pairs}
        for series, (value, seen) in sorted(known.items()):
            if series in present:
                continue
            if t - seen > SERIES_LINGER_S:
                del known[series]
            else:
                out.append(
                    self._reading(spec, series, value, "stale", "absent from the last result", t, t - seen)
                )
        if not out:
            out.append(self._reading(spec, "", None, "no_data", "the query returned no series", t))
        return out

    @staticmethod
    def _health_of(name: str, result: PollResult, readings: tuple[GaugeReading, ...]) -> tuple[Health, str]:
        res = result.results.get(name) or QueryResult(error="down", detail=result.detail)
        if res.error is not None:
            return res.error, res.detail
        mine = [r for r in readings if r.name == name]
        if any(r.state == "ok" for r in mine):
            return "ok", ""
        return "no_data", next(
            (r.detail for r in mine if r.state == "no_data"), "the query returned no series"
        )

    def drain_events(self) -> list[HealthEvent]:
        """Health changes since the last call, oldest first (the engine records them)."""
        with self._lock:
            events = list(self._events)
            self._events.clear()
        return events

    def health(self) -> dict[str, dict[str, object]]:
        """Per gauge: state, reason, since, faults, seconds in fault over the run (for `--json-summary`)."""
        with self._lock:
            out = self._health.summary(self._clock())
        if self.ended:
            for entry in out.values():
                entry["polling"] = "ended"
        return out

    def mark_ended(self) -> None:
        """Say in the snapshot that polling stopped (values no longer move)."""
        self.ended = True
        with self._lock:
            old = self._snapshot
            ended = tuple(
                GaugeReading(r.name, r.series, r.value, r.unit, "stale" if r.value is not None else r.state,
                             "polling ended with the run", r.age_s, r.t, r.warning, r.critical, r.max, r.direction)
                for r in old.readings
            )  # fmt: skip
            self._snapshot = GaugeSnapshot(
                old.t, old.source, ended, old.source_state, f"{old.source_detail} · polling ended", old.poll_s
            )

    def _record(self, spec: GaugeSpec, series: str, value: float, t: float) -> None:
        key = (spec.name, series)
        points = self._history.get(key)
        if points is None:
            if len(self._history) >= MAX_TRACKED_SERIES:
                return
            points = self._history[key] = deque(maxlen=HISTORY_POINTS)
            self._stats[key] = SeriesStats(spec.unit)
        points.append((t, value))
        self._stats[key].add(value)

    @staticmethod
    def _reading(
        spec: GaugeSpec,
        series: str,
        value: float | None,
        state: State,
        detail: str,
        t: float,
        age: float | None = None,
    ) -> GaugeReading:
        return GaugeReading(
            spec.name,
            series,
            value,
            spec.unit,
            state,
            detail,
            age,
            t,
            spec.warning,
            spec.critical,
            spec.max,
            spec.direction,
        )

    def latest(self) -> GaugeSnapshot:
        """The most recent snapshot (never waits for a poll)."""
        with self._lock:
            return self._snapshot

    def history(self, since: float | None = None) -> History:
        """Recent `(t, value)` points of every series, oldest first.

        Args:
            since: Keep only points at or after this time.

        Returns:
            A copy, keyed by `(gauge, series)`.
        """
        with self._lock:
            if since is None:
                return {key: tuple(points) for key, points in self._history.items()}
            return {key: tuple(p for p in points if p[0] >= since) for key, points in self._history.items()}

    def summary(self) -> dict[str, dict[str, dict[str, float | int | str | None]]]:
        """Per gauge and series over the run: last, min, max, mean, unit and samples (for `--json-summary`)."""
        with self._lock:
            out: dict[str, dict[str, dict[str, float | int | str | None]]] = {
                s.name: {} for s in self.config.gauges
            }
            for (name, series), stats in self._stats.items():
                out[name][series] = stats.as_dict()
            return out

    def values_for_rules(self) -> dict[str, float | None]:
        """Latest values for alert rules; None unless the reading is fresh ("ok").

        Keys are `gauge.<name>` (its worst series) and `gauge.<name>.<series>` for each named series (a gauge
        split by a label has one even with a single instance, so a rule on `gauge.<name>.*` sees it).

        Returns:
            Key to value.
        """
        snapshot = self.latest()
        out: dict[str, float | None] = {}
        worst: dict[str, float | None] = {}
        split = {s.name for s in self.config.gauges if s.split_by}
        for r in snapshot.readings:
            value = r.value if r.state == "ok" else None
            if r.series or (r.name in split and r.state in ("ok", "stale")):
                out[f"gauge.{r.name}.{r.series or '-'}"] = value
            current = worst.get(r.name)
            if value is not None and (current is None or (value > current) == (r.direction == "above")):
                worst[r.name] = value
            else:
                worst.setdefault(r.name, None)
        out.update({f"gauge.{name}": value for name, value in worst.items()})
        return out

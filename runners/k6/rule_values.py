"""The values of `metric.` and `check.` rule paths, read from the metric model once per tick.

Every value is over the run's sliding window (`window_s`, as `k6.p95_ms`): percentiles, avg, min, max, ratios
and a Gauge's min/max over the window including the second in progress; a `count` and a per-second `rate`
over the window's closed seconds only (a second still filling would read low). A Gauge's `value` is the
latest value k6 sent. A metric with samples but none in the window reads 0 for `count` and `rate` (nothing
happened) and no data for the rest.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase

from runners.k6.aggregate import Agg
from runners.k6.metric_info import COUNTER, GAUGE, RATE, TREND
from runners.k6.metric_model import MetricModel
from runners.k6.stats import CLOSE_DELAY_S
from runners.model.metric_paths import STATS_BY_TYPE, MetricPath, check_path, parse_metric_path

NO_METRIC = "no such metric yet"
NO_CHECK = "no such check yet"


class MetricRuleValues:
    """Reads the values of the run's `metric.` and `check.` rules. Used from the engine's thread only."""

    def __init__(self, paths: Iterable[str], window_s: int) -> None:
        """Parse the rule paths (others are ignored).

        Args:
            paths: The rules' metric paths (globs allowed on check names).
            window_s: The run's sliding window.
        """
        self.window_s = max(1, window_s)
        self.exact: dict[str, MetricPath] = {}
        self.check_globs: list[tuple[str, MetricPath]] = []
        for text in dict.fromkeys(paths):
            if not text.startswith(("metric.", "check.")):
                continue
            try:
                path = parse_metric_path(text)
            except ValueError:
                continue  # refused at start by check_rule; nothing to read
            if path.source == "check" and any(c in path.check for c in "*?["):
                self.check_globs.append((text, path))
            else:
                self.exact[text] = path
        self._cache: dict[tuple[str, tuple[tuple[str, str], ...], bool], Agg | None] = {}
        self._checks: list[str] = []
        self._checks_seen_at = -1

    def __bool__(self) -> bool:
        return bool(self.exact or self.check_globs)

    def declare(self, model: MetricModel) -> None:
        """Have the model keep each rule's sub-metric exactly, per second, from the first sample."""
        for path in self.exact.values():
            if path.source == "metric":
                model.declare_selector(path.metric, path.pairs)
            else:
                model.declare_selector("checks", (("check", path.check),))

    # ---- reading -----------------------------------------------------------------------------------
    def values(self, model: MetricModel, now: float) -> dict[str, float | None]:
        """Every rule path's value at `now` (None: no data), plus `check.<name>.<stat>` for check globs."""
        self._cache.clear()
        out: dict[str, float | None] = {}
        for text, path in self.exact.items():
            out[text] = self._value(model, path, now)
        for text, glob in self.check_globs:
            quoted = text.startswith('check."')
            for name in self.check_names(model):
                if fnmatchcase(name, glob.check):
                    key = f'check."{name}".{glob.stat}' if quoted else check_path(name, glob.stat)
                    out[key] = self._value(model, MetricPath("check", "checks", (), glob.stat, name), now)
        return out

    def check_names(self, model: MetricModel) -> list[str]:
        """The check names k6 emitted so far (bounded by the model's per-metric dimension cap)."""
        if len(model.run) != self._checks_seen_at:
            self._checks_seen_at = len(model.run)
            self._checks = sorted(
                p[0][1] for m, p in model.run if m == "checks" and len(p) == 1 and p[0][0] == "check"
            )
        return self._checks

    def _window(self, model: MetricModel, metric: str, pairs: tuple[tuple[str, str], ...], now: float,
                closed: bool) -> Agg | None:  # fmt: skip
        key = (metric, pairs, closed)
        if key in self._cache:
            return self._cache[key]
        if closed:
            agg = model.window(metric, pairs, int(now - CLOSE_DELAY_S), self._full_span(model, now))
        else:
            agg = model.window(metric, pairs, int(now) + 1, self.window_s)
        self._cache[key] = agg
        return agg

    def _full_span(self, model: MetricModel, now: float) -> int:
        end = int(now - CLOSE_DELAY_S)
        first = model.first_t if model.first_t is not None else end
        return max(1, min(self.window_s, end - first))

    def _value(self, model: MetricModel, path: MetricPath, now: float) -> float | None:
        if path.source == "check":
            if not self._emitted(model, path):
                return None
            return _rate_stat(self._window(model, "checks", (("check", path.check),), now, False), path.stat)
        if path.metric not in model.tables:
            return None  # never emitted: model.info would invent a type for it
        kind = model.info(path.metric).type
        if not path.applies_to(kind):
            return None
        stat, pairs = path.stat, path.pairs
        if stat in ("count", "rate") and kind in (COUNTER, TREND):
            agg = self._window(model, path.metric, pairs, now, True)
            n = 0.0 if agg is None else (agg.total if kind == COUNTER else float(agg.n))
            return n if stat == "count" else n / self._full_span(model, now)
        if kind == GAUGE and stat == "value":
            total = model.total(path.metric, pairs)
            return None if total is None else total.last
        agg = self._window(model, path.metric, pairs, now, False)
        if kind == RATE:
            return _rate_stat(agg, stat)
        if agg is None:
            return None
        q = path.quantile
        if q is not None:
            return agg.percentiles((q,))[0]
        return agg.stat(stat)

    def _emitted(self, model: MetricModel, path: MetricPath) -> bool:
        if path.source == "check":
            return ("checks", (("check", path.check),)) in model.run
        return path.metric in model.tables

    # ---- saying what is missing ----------------------------------------------------------------------
    def notes(self, model: MetricModel) -> dict[str, str]:
        """Rule path -> why it has no value: no such metric or check yet, or a stat its type lacks."""
        out: dict[str, str] = {}
        for text, path in self.exact.items():
            if not self._emitted(model, path):
                out[text] = NO_CHECK if path.source == "check" else NO_METRIC
            elif path.source == "metric":
                kind = model.info(path.metric).type
                if not path.applies_to(kind):
                    allowed = ", ".join(sorted(STATS_BY_TYPE[kind])) + (", p95..." if kind == TREND else "")
                    out[text] = f"{path.metric} is a {kind}: {path.stat} does not apply ({allowed})"
        names = self.check_names(model)
        for text, path in self.check_globs:
            if not any(fnmatchcase(n, path.check) for n in names):
                out[text] = NO_CHECK
        return out

    def never_emitted(self, model: MetricModel) -> dict[str, str]:
        """Rule path -> a warning for rules whose metric or check k6 never emitted, with close names it did."""
        out: dict[str, str] = {}
        names = [n for n in model.metric_names() if n in model.tables]
        for text, path in self.exact.items():
            if self._emitted(model, path):
                continue
            if path.source == "check":
                close = difflib.get_close_matches(path.check, self.check_names(model), n=3, cutoff=0.5)
                what = f"k6 never emitted a check named {path.check!r}"
            else:
                close = difflib.get_close_matches(path.metric, names, n=3, cutoff=0.5)
                what = f"k6 never emitted the metric {path.metric!r}"
            out[text] = what + (f"; close names it did emit: {', '.join(close)}" if close else "")
        return out


def _rate_stat(agg: Agg | None, stat: str) -> float | None:
    if agg is None or not agg.n:
        return None
    passes, n = agg.nonzero, agg.n
    by_stat: Mapping[str, float] = {
        "rate": passes / n,
        "value": passes / n,
        "pass_pct": 100.0 * passes / n,
        "fail_pct": 100.0 * (n - passes) / n,
        "passes": float(passes),
        "fails": float(n - passes),
        "count": float(n),
    }
    return by_stat.get(stat)

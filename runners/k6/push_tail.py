"""What a push transport did not deliver before k6 ended, settled from k6's summary export.

k6 1.1.0's OpenTelemetry output shuts its meter provider down (its last export) before it flushes the
samples it still buffers: what the output manager handed over in its last 50 ms batch and since the last
flush; and the shutdown may cancel the export in flight. 1-3 % of a 5 s run's requests never left k6 in
most runs, one export's worth (over 20 %) in a few. k6's summary export counts them all: every Counter's
count, every Rate's passes and fails, every check's by group path and name. `PushTally` sums what the
pushes carried; at the end, what the export has beyond that goes into the run's last second (the engine
spreads it over the seconds a missing export covered, see PushInbox.unpushed_span), split over the tag
sets the metric had in its newest pushed second, in proportion to their counts there.

Exact afterwards: every Counter's and Rate's total and every check's, and so the run's requests, checks
and error ratio. Estimated: how the tail splits over tag sets (scenario, endpoint), about 1 % of a run.
Not settled: a Trend's tail (the export has no counts for it; the final summary takes k6's own figures),
and a Rate pushed as its ratio only (remote write: its counts are not known, see rest_checks.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from math import floor
from typing import Any

from runners.k6.push_model import Kind, SeriesDelta, Tags
from runners.k6.rest_checks import checks_of_export

MAX_KEYS = 10_000  # metrics and checks followed; beyond, a key's tail is not settled
MAX_TAIL_S = 3.0  # k6 drops its last batch and may cancel the export in flight; more is a path behind
MAX_SERIES = 1_000  # tag sets kept for a key's newest second; the tail splits over these
_PARTS = (".occurred", ".total")  # an OTLP Rate's two counters
_DERIVED = ("checks", "http_req_failed")  # settled from root_group / taken from http_reqs' own tags

TallyKey = tuple[str, str, str]  # (metric, check name, group path); the last two for `checks` only


def _key(metric: str, tags: Tags) -> TallyKey:
    if metric != "checks":
        return (metric, "", "")
    d = dict(tags)
    return (metric, d.get("check", ""), d.get("group", ""))


class PushTally:
    """Sums of what pushes carried per Counter, Rate and check, and the newest second's tag sets of each."""

    def __init__(self) -> None:
        self._seen: dict[TallyKey, list[float]] = {}  # [count or passes, 0 or passes+fails]
        self._ratio_only: set[str] = set()  # Rates pushed as a ratio: their counts are unknown
        self._newest: dict[TallyKey, tuple[int, dict[Tags, list[float]]]] = {}
        self._failed_tags: Tags | None = None
        self._failed_seen = 0.0  # requests pushed with `expected_response` false

    def see(self, deltas: Iterable[SeriesDelta]) -> None:
        """Count one batch of decoded push deltas."""
        for d in deltas:
            name = d.metric
            if d.kind is Kind.COUNTER and name.endswith(_PARTS):
                name, _, part = name.rpartition(".")
                a, b = (d.value, 0.0) if part == "occurred" else (0.0, d.value)
            elif d.kind is Kind.COUNTER:
                a, b = d.value, 0.0
            elif d.kind is Kind.RATE and d.total >= 0:
                a, b = d.value, float(d.total)
            elif d.kind is Kind.RATE:
                self._ratio_only.add(name)
                continue
            else:
                continue
            self._add(_key(name, d.tags), d.tags, int(d.t), a, b)

    def _add(self, key: TallyKey, tags: Tags, sec: int, a: float, b: float) -> None:
        seen = self._seen.get(key)
        if seen is None:
            if len(self._seen) >= MAX_KEYS:
                return
            seen = self._seen[key] = [0.0, 0.0]
        seen[0] += a
        seen[1] += b
        if key[0] == "http_reqs" and _failed(tags):  # for a tail with failures and none in its second
            self._failed_seen += a
            self._failed_tags = tags
        newest = self._newest.get(key)
        if newest is None or sec > newest[0]:
            newest = self._newest[key] = (sec, {})
        elif sec < newest[0]:
            return
        series = newest[1].get(tags)
        if series is None:
            if len(newest[1]) >= MAX_SERIES:
                return
            series = newest[1][tags] = [0.0, 0.0]
        series[0] += a
        series[1] += b

    def seen(self, metric: str, check: str = "", group: str = "") -> tuple[float, float]:
        """(count or passes, 0 or passes+fails) the pushes carried for a metric (or one check)."""
        s = self._seen.get((metric, check, group))
        return (s[0], s[1]) if s else (0.0, 0.0)

    def behind(
        self, metrics: Mapping[str, Any], max_tail_s: float = MAX_TAIL_S
    ) -> tuple[str, float, float] | None:
        """(metric, pushed, k6's count) of a Counter whose pushes fell short of k6's summary export by more
        than `max_tail_s` of its average rate (http_reqs if it did, else the furthest behind): then k6 did not
        just drop its last batch but failed to push during the run (exports timed out or were refused), and
        the missing counts belong to seconds long gone; None when every Counter is within that."""
        late: dict[str, tuple[float, float, float]] = {}  # metric -> (seconds behind, pushed, k6's count)
        for name, m in metrics.items():
            if "{" in name or not isinstance(m, dict):
                continue
            count, rate = _num(m.get("count")), _num(m.get("rate"))
            if count is None or rate is None or rate <= 0 or (name, "", "") not in self._seen:
                continue  # one never pushed (say, counted in teardown only) is the tail itself
            pushed = self.seen(name)[0]
            if (count - pushed) / rate > max_tail_s:
                late[name] = ((count - pushed) / rate, pushed, count)
        if not late:
            return None
        name = "http_reqs" if "http_reqs" in late else max(late, key=lambda n: late[n][0])
        return (name, late[name][1], late[name][2])

    def settle(
        self, metrics: Mapping[str, Any], root_group: Mapping[str, Any], at: float
    ) -> list[SeriesDelta]:
        """The deltas that bring the pushed totals up to k6's summary export, all at unix time `at`.

        Args:
            metrics: the export's `metrics`.
            root_group: the export's `root_group` (the checks' counts by group and name).
            at: when the tail is put (the middle of the run's last second).
        """
        out: list[SeriesDelta] = []
        for name, m in metrics.items():
            if "{" in name or name in _DERIVED or name in self._ratio_only or not isinstance(m, dict):
                continue
            count, passes, fails = _num(m.get("count")), _num(m.get("passes")), _num(m.get("fails"))
            if name == "http_reqs" and count is not None:
                out += self._requests_tail(count, metrics.get("http_req_failed"), at)
            elif count is not None and "rate" in m:
                out += self._tail((name, "", ""), count, 0.0, at, rate=False)
            elif passes is not None and fails is not None:
                out += self._tail((name, "", ""), passes, passes + fails, at, rate=True)
        if "checks" not in self._ratio_only:
            for (group, check), (passes, fails) in checks_of_export(root_group).items():
                out += self._tail(
                    ("checks", check, group), float(passes), float(passes + fails), at, rate=True
                )
        return out

    def _requests_tail(self, count: float, failed: object, at: float) -> list[SeriesDelta]:
        """http_reqs' tail, its failed part (`expected_response` false) bringing the failed requests up to
        k6's http_req_failed count, so the error ratio taken from http_reqs' tags is exact (k6's OTLP reader
        may collect one request's two metrics in different exports: their pushed counts can differ)."""
        key: TallyKey = ("http_reqs", "", "")
        passes = _num(failed.get("passes")) if isinstance(failed, dict) else None
        if passes is None:
            return self._tail(key, count, 0.0, at, rate=False)
        more = count - self.seen(*key)[0]
        more_failed = min(max(passes - self._failed_seen, 0.0), more)
        if more <= 0:
            return []
        newest = self._newest.get(key)
        series = newest[1] if newest else {}
        out: list[SeriesDelta] = []
        for want_failed, amount in ((False, more - more_failed), (True, more_failed)):
            if amount <= 0:
                continue
            mine = {t: v[0] for t, v in series.items() if _failed(t) == want_failed}
            if not mine:
                like = self._failed_tags if want_failed else next(iter(series), None)
                mine = {_with_expected(like or (), not want_failed): 1.0}
            for tags, n in zip(mine, apportion(amount, list(mine.values())), strict=True):
                if n > 0:
                    out.append(SeriesDelta("http_reqs", tags, Kind.COUNTER, at, value=n))
        for d in out:
            self._add(key, d.tags, int(at), d.value, 0.0)
        return out

    def _tail(self, key: TallyKey, want_a: float, want_b: float, at: float, rate: bool) -> list[SeriesDelta]:
        seen = self._seen.get(key, [0.0, 0.0])
        if key not in self._seen and len(self._seen) >= MAX_KEYS:
            return []  # not followed: what it lacks is unknown
        more_a, more_b = want_a - seen[0], want_b - seen[1]
        if rate and (more_a < 0 or more_b < 0 or more_a == more_b == 0):
            # Nothing missing, or an export that is not this run's pushes' (counts only grow). More passes
            # than checks missing is right: k6's OTLP reader may collect a sample's `.total` in one export
            # and its `.occurred` in the next, so the pushes' own ratio can lag; the tail corrects it.
            return []
        if not rate and more_a <= 0:
            return []
        newest = self._newest.get(key)
        series = dict(newest[1]) if newest else {}
        if not series:
            metric, check, group = key
            series = {((("check", check), ("group", group)) if metric == "checks" else ()): [1.0, 1.0]}
        weights = [s[1] if rate else s[0] for s in series.values()]
        if rate:
            parts_b = apportion(more_b, weights)
            parts_a = apportion(more_a, parts_b)
        else:
            parts_a, parts_b = apportion(more_a, weights), [0.0] * len(weights)
        out = []
        for tags, a, b in zip(series, parts_a, parts_b, strict=True):
            if rate and (a > 0 or b > 0):
                out.append(SeriesDelta(key[0], tags, Kind.RATE, at, value=a, total=round(b)))
            elif not rate and a > 0:
                out.append(SeriesDelta(key[0], tags, Kind.COUNTER, at, value=a))
        for d in out:
            self._add(key, d.tags, int(at), d.value, float(d.total) if rate else 0.0)
        return out


def _failed(tags: Tags) -> bool:
    return ("expected_response", "false") in tags


def _with_expected(tags: Tags, expected: bool) -> Tags:
    kept = tuple(p for p in tags if p[0] != "expected_response")
    return tuple(sorted((*kept, ("expected_response", "true" if expected else "false"))))


def _num(v: object) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def apportion(amount: float, weights: list[float]) -> list[float]:
    """`amount` split in proportion to `weights` (equally when they are all 0); whole parts when `amount`
    is whole (largest remainders), so the parts sum to `amount` exactly."""
    if not weights:
        return []
    total = sum(weights)
    shares = [w / total for w in weights] if total > 0 else [1.0 / len(weights)] * len(weights)
    exact = [amount * s for s in shares]
    if amount != floor(amount):
        return exact
    parts = [float(floor(x)) for x in exact]
    left = round(amount - sum(parts))
    order = sorted(range(len(exact)), key=lambda i: exact[i] - parts[i], reverse=True)
    for i in order[:left]:
        parts[i] += 1.0
    return parts


def spread_over(deltas: list[SeriesDelta], times: list[float]) -> list[SeriesDelta]:
    """Each delta split evenly over `times` (unix s), in whole counts where it is whole."""
    out: list[SeriesDelta] = []
    even = [1.0] * len(times)
    for d in deltas:
        totals = apportion(float(d.total), even) if d.kind is Kind.RATE else [0.0] * len(times)
        values = apportion(d.value, totals) if d.kind is Kind.RATE else apportion(d.value, even)
        for t, v, n in zip(times, values, totals, strict=True):
            if v > 0 or n > 0:
                out.append(
                    SeriesDelta(d.metric, d.tags, d.kind, t, value=v, total=round(n), contains=d.contains)
                )
    return out

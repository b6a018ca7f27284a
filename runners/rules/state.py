"""The rule engine: evaluates every rule on the engine's values once a second and keeps breaches and history."""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from runners.model.rule_events import Breach, Transition
from runners.model.rule_spec import Rule, check_rule, glob_regex
from runners.model.units import format_seconds
from runners.rules.track import FIRING, Track

MAX_TRACKS = 10_000
"""Rule × path pairs kept; paths beyond it are ignored (counted in `dropped_paths`)."""
MAX_KNOWN_PATHS = 20_000
"""Distinct value paths remembered for glob matching."""
MAX_BREACHES = 1_000
"""Ended breaches kept for the summary and the pane's history."""
MAX_TRANSITIONS = 500
"""Recent transitions kept in memory (every one also goes to the run record as it happens)."""
FLAP_MIN_S = 60.0
"""A rule that fires again on a path within max(this, 3 × its `for`) of resolving continues the same breach."""


@dataclass(frozen=True, slots=True)
class TrackView:
    """Where one rule stands on one path, for a rules pane or `--json-summary` diagnostics."""

    rule: str
    path: str
    phase: str  # "waiting" (no data yet), "ok", "pending", "firing" or "resolved"
    level: str | None
    value: float | None  # None while its data is missing
    data_missing: bool


def _gauge_series(values: Mapping[str, float | None]) -> dict[str, str]:
    """`gauge.<name>` -> one of its series paths, for the gauges that have series in `values`."""
    out: dict[str, str] = {}
    for path in values:
        if path.startswith("gauge."):
            head, dot, _ = path[6:].partition(".")
            if dot:
                out.setdefault("gauge." + head, path)
    return out


class RuleEngine:
    """Evaluates rules against a flat map of metric paths. Thread-safe: views may be read from any thread."""

    def __init__(
        self,
        rules: Sequence[Rule],
        *,
        wall_clock: Callable[[], float] = time.time,
        max_tracks: int = MAX_TRACKS,
    ) -> None:
        """Create the engine.

        Args:
            rules: The active rules (see `parse_rules`); names must be unique.
            wall_clock: Gives the unix time stamped on transitions when `evaluate` is not given one.
            max_tracks: Upper bound on rule-path pairs.

        Raises:
            ValueError: a rule is invalid or two rules share a name.
        """
        names: set[str] = set()
        for rule in rules:
            problem = check_rule(rule)
            if problem:
                raise ValueError(f"rule {rule.name!r}: {problem[0]}: {problem[1]}")
            if rule.name in names:
                raise ValueError(f"rule {rule.name!r}: duplicate name")
            names.add(rule.name)
        self.rules: tuple[Rule, ...] = tuple(rules)
        self._by_name = {r.name: r for r in self.rules}
        self._wall_clock = wall_clock
        self._max_tracks = max_tracks
        self._globs: list[tuple[Rule, re.Pattern[str]]] = [
            (r, glob_regex(r.metric)) for r in rules if r.is_glob
        ]
        self._tracks: list[Track] = [Track(r, r.metric) for r in rules if not r.is_glob]
        self._by_key = {(t.rule.name, t.path): t for t in self._tracks}
        self._known: set[str] = set()
        self._firing: dict[tuple[str, str], Track] = {}
        self._ended: OrderedDict[int, Breach] = OrderedDict()  # id(breach) -> breach, oldest first
        self._last_end: dict[tuple[str, str], Breach] = {}
        self._recent: deque[Transition] = deque(maxlen=MAX_TRANSITIONS)
        self._lock = threading.Lock()
        self.dropped_paths = 0
        self.dropped_breaches = 0
        self.critical_fired = False
        """True once any rule has fired at critical (headless exits non-zero then)."""
        self.first_critical: Transition | None = None
        """The transition of the first critical firing (for the capacity ceiling)."""

    def rule(self, name: str) -> Rule:
        """The rule of that name (KeyError when unknown)."""
        return self._by_name[name]

    def evaluate(
        self,
        now: float,
        values: Mapping[str, float | None],
        *,
        wall_t: float | None = None,
        may_open: bool = True,
    ) -> list[Transition]:
        """Evaluate every rule once.

        Args:
            now: Monotonic seconds; `for` durations are measured on it, so a wall-clock step cannot fire
                or hold a rule.
            values: Metric path → value; a missing key, None or NaN means no data.
            wall_t: Unix time stamped on transitions; the wall clock when omitted.
            may_open: False once the run has ended: firing rules may resolve, nothing new opens.

        Returns:
            The transitions of this evaluation, in rule order; record each one as it comes.
        """
        wall = self._wall_clock() if wall_t is None else wall_t
        out: list[Transition] = []
        with self._lock:
            if self._globs and len(self._known) < MAX_KNOWN_PATHS:
                known = self._known
                fresh = [p for p in values if p not in known]
                if fresh:
                    series = _gauge_series(values)
                    # Series paths first, so a glob over a split gauge takes its series, not their worst too.
                    for path in sorted(fresh, key=lambda p: -p.count(".")):
                        self._learn(path, series)
            get = values.get
            for track in self._tracks:
                track.step(now, wall, get(track.path), out, may_open=may_open)
            out = [self._absorb(tr) for tr in out]
        return out

    def _learn(self, path: str, series: Mapping[str, str]) -> None:
        self._known.add(path)
        one_series = series.get(path) if path.startswith("gauge.") and path.count(".") == 1 else None
        for rule, regex in self._globs:
            if one_series is not None and regex.fullmatch(one_series):
                continue  # one breach per rule and series: the gauge's worst-of-series is not one more
            if regex.fullmatch(path):
                if len(self._tracks) >= self._max_tracks:
                    self.dropped_paths += 1
                    return
                track = Track(rule, path)
                self._tracks.append(track)
                self._by_key[rule.name, path] = track

    def _absorb(self, tr: Transition) -> Transition:
        key = (tr.rule, tr.path)
        if tr.kind == "firing":
            track = self._by_key[key]
            self._firing[key] = track
            earlier = self._last_end.get(key)
            flap_s = max(FLAP_MIN_S, 3 * track.rule.for_s)
            if earlier is not None and earlier.end is not None and tr.t - earlier.end <= flap_s:
                track.continue_breach(earlier)
                self._forget(earlier)
                since = format_seconds(max(0.0, tr.t - earlier.start))
                tr = replace(
                    tr, fires=track.fires, message=f"{tr.message} (fired {track.fires} times in {since})"
                )
        elif tr.kind == "resolved":
            track = self._firing.pop(key)
            if len(self._ended) >= MAX_BREACHES:
                self._ended.popitem(last=False)
                self.dropped_breaches += 1
            ended = track.breach(end=tr.t)
            self._ended[id(ended)] = ended
            self._last_end[key] = ended
        self._recent.append(tr)
        if tr.is_critical_firing and not self.critical_fired:
            self.critical_fired = True
            self.first_critical = tr
        return tr

    def _forget(self, breach: Breach) -> None:
        """Drop an ended breach that a flapping rule continues."""
        self._ended.pop(id(breach), None)

    def firing(self) -> list[Breach]:
        """Breaches firing now: critical first, then warning, each oldest first."""
        with self._lock:
            views = [t.breach() for t in self._firing.values() if t.phase == FIRING]
        views.sort(key=lambda b: (b.level != "critical", b.start, b.rule, b.path))
        return views

    def history(self, limit: int = 50) -> list[Breach]:
        """Ended breaches, newest first.

        Args:
            limit: At most this many.

        Returns:
            The breaches.
        """
        with self._lock:
            ended = list(self._ended.values())[-max(0, limit) :] if limit else []
        ended.reverse()
        return ended

    def recent_transitions(self, limit: int = 100) -> list[Transition]:
        """The latest transitions, oldest first (bounded; the run record holds all of them)."""
        with self._lock:
            return list(self._recent)[-max(0, limit) :] if limit else []

    def states(self) -> list[TrackView]:
        """Every rule-path pair with its phase, level, last value and whether its data is missing."""
        with self._lock:
            return [
                TrackView(
                    t.rule.name,
                    t.path,
                    t.phase if t.seen else "waiting",
                    t.level,
                    None if t.missing else t.last,
                    t.missing,
                )
                for t in self._tracks[: self._max_tracks]
            ]

    def waiting(self) -> list[str]:
        """Rules that have had no data yet: exact paths never seen, globs that matched nothing."""
        with self._lock:
            seen = {t.rule.name for t in self._tracks if t.seen}
            return [f"{r.name} ({r.metric})" for r in self.rules if r.name not in seen]

    def summary(self) -> list[dict[str, Any]]:
        """The `breaches` list of `--json-summary`: ended and still firing, by start time.

        Returns:
            One dict per breach (rule, metric, level, start, end, worst, threshold and a few more); `end`
            is null for a breach still firing when the run ended.
        """
        with self._lock:
            all_breaches = [*self._ended.values(), *(t.breach() for t in self._firing.values())]
        all_breaches.sort(key=lambda b: (b.start, b.rule, b.path))
        return [b.summary() for b in all_breaches]

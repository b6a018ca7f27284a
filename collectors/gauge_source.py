"""What a gauge source (Prometheus or direct scrape) returns from one poll, and how series are named."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from collectors.gauges import GaugeSpec, Source

Labels = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class QueryResult:
    """One gauge's result: its series, or why there are none.

    `error` is "down" (the source failed), "slow" (no answer before the poll's deadline), "invalid" (the
    query is wrong) or "pending" (not computable yet, e.g. a rate before the second scrape).
    """

    series: tuple[tuple[Labels, float], ...] = ()
    error: Literal["down", "slow", "invalid", "pending"] | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class PollResult:
    """One poll of every gauge: whether the source answered at all, and each gauge's result by name."""

    reachable: bool
    detail: str
    results: Mapping[str, QueryResult] = field(default_factory=dict)


class GaugeSource(Protocol):
    """A source the collector polls from its thread; every call inside `poll` is bounded by a timeout."""

    kind: Source

    def describe(self) -> str:
        """A short name of the source for the pane, e.g. `Prometheus http://127.0.0.1:9090`."""
        ...

    def poll(self, specs: Sequence[GaugeSpec], deadline_s: float | None = None) -> PollResult:
        """Query every gauge once; the whole poll ends within `deadline_s` (late answers count as slow)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def down_result(specs: Sequence[GaugeSpec], reason: str) -> PollResult:
    """A poll where the source could not be reached: every gauge is down for the same reason.

    Args:
        specs: The gauges.
        reason: Why, e.g. `connection refused`.

    Returns:
        The poll result.
    """
    return PollResult(False, reason, {s.name: QueryResult(error="down", detail=reason) for s in specs})


def series_names(label_sets: Sequence[Labels], split_by: str | None) -> list[str]:
    """Name each series of a result for its row.

    The split label's value when it tells the series apart; otherwise the labels that differ between
    series (`pool=a,job=x`, or just the value when one label differs); "" for a single unsplit series.

    Args:
        label_sets: The labels of each series.
        split_by: The configured split label, if any.

    Returns:
        One unique name per series, in the same order.
    """
    if split_by is not None:
        names = [ls.get(split_by, "") for ls in label_sets]
        if len(set(names)) == len(names):
            return names
    elif len(label_sets) == 1:
        return [""]
    differing = sorted(
        {
            k
            for ls in label_sets
            for k in ls
            if k != "__name__" and len({o.get(k, "") for o in label_sets}) > 1
        }
        - {split_by or ""}
    )

    def rest(ls: Labels) -> str:
        if len(differing) == 1 and split_by is None:
            return ls.get(differing[0], "")
        return ",".join(f"{k}={ls.get(k, '')}" for k in differing)

    names = [f"{ls.get(split_by, '')} {rest(ls)}" if split_by else rest(ls) for ls in label_sets]
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} #{seen[name]}")
    return unique

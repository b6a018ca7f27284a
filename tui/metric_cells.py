"""The columns each k6 metric type calls for, and its values formatted in the unit its metric contains."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from runners.model.frames import MetricStat
from runners.model.units import (
    PLACEHOLDER,
    format_bytes,
    format_bytes_rate,
    format_count,
    format_duration_ms,
    format_number,
    format_rate,
)


@dataclass(frozen=True, slots=True)
class StatColumn:
    """One column of a metric table: its header, the k6 stat key it reads, and when it gives way.

    `priority` 1 is the last to go on a narrow screen; the columns keep k6's order whatever is dropped.
    """

    header: str
    key: str
    priority: int


TYPE_COLUMNS: dict[str, tuple[StatColumn, ...]] = {
    "trend": (StatColumn("avg", "avg", 2), StatColumn("min", "min", 6), StatColumn("med", "med", 4),
              StatColumn("max", "max", 3), StatColumn("p(90)", "p(90)", 5), StatColumn("p(95)", "p(95)", 1),
              StatColumn("p(99)", "p(99)", 7)),
    "counter": (StatColumn("count", "count", 1), StatColumn("rate", "rate", 3), StatColumn("now/s", "now", 2)),
    "gauge": (StatColumn("value", "value", 1), StatColumn("min", "min", 3), StatColumn("max", "max", 2)),
    "rate": (StatColumn("rate", "value", 1), StatColumn("passes", "passes", 3), StatColumn("fails", "fails", 2)),
}  # fmt: skip
"""k6's stat columns per metric type (k6 v1's summary order), with their drop priority."""

TYPE_TITLES = {"trend": "Trend", "counter": "Counter", "gauge": "Gauge", "rate": "Rate"}


def format_stat(stat: MetricStat, key: str, values: dict[str, float | None] | None = None) -> str:
    """One stat of a metric, in its unit (time as µs/ms/s, data as bytes, rates in percent).

    Args:
        stat: The metric.
        key: k6's stat key (`avg`, `p(95)`, `count`, `rate`, `value`, `passes`...) or `now` (per second
            over the window, Counters only).
        values: The metric's stats as a dict, when the caller has made one (formatting a row of them).

    Returns:
        The text; a dash when k6 has no such value yet.
    """
    value = stat.now_per_s if key == "now" else (values.get(key) if values is not None else stat.value(key))
    if value is None:
        return PLACEHOLDER
    if stat.type == "rate":
        return f"{100.0 * value:.2f} %" if key == "value" else format_count(value)
    if stat.type == "counter":
        if key == "count":
            return format_bytes(value) if stat.contains == "data" else format_count(value)
        return format_bytes_rate(value) if stat.contains == "data" else f"{format_rate(value)}/s"
    if stat.contains == "time":
        return format_duration_ms(value)
    if stat.contains == "data":
        return format_bytes(value)
    return format_number(value)


def format_threshold_value(stat: MetricStat | None, key: str, value: float | None) -> str:
    """A threshold's live value, in the unit of the metric it reads.

    Args:
        stat: The metric the threshold is on (None when not seen yet: the number is shown plain).
        key: The aggregation the expression reads (`p(95)`, `rate`, `count`, `value`...).
        value: The value; None before any sample.

    Returns:
        The text.
    """
    if value is None:
        return "no value yet"
    if stat is None:
        return format_number(value)
    if stat.type == "rate" and key == "rate":
        return f"{100.0 * value:.2f} %"
    if stat.type == "counter" and key == "rate":
        return f"{format_rate(value)}/s"
    if stat.type == "counter" or key == "count":
        return format_count(value)
    if stat.contains == "time":
        return format_duration_ms(value)
    return format_number(value)


def verdict_mark(ok: bool | None) -> Text:
    """✓ passing, ✗ failing, … not judged yet (no sample): the mark keeps its meaning without colour.

    Args:
        ok: The verdict.

    Returns:
        The mark, styled.
    """
    if ok is None:
        return Text("…", style="dim")
    return Text("✓", style="green") if ok else Text("✗", style="bold red")


def thresholds_mark(stat: MetricStat) -> Text:
    """A metric's thresholds in one mark: ✗ when any fails, ✓ when all pass, "" when it has none.

    Args:
        stat: The metric.

    Returns:
        The mark (with a leading space), or empty text.
    """
    if not stat.thresholds:
        return Text("")
    verdicts = [ok for _, ok in stat.thresholds]
    ok = False if False in verdicts else (None if None in verdicts else True)
    return Text(" ", style="dim") + verdict_mark(ok)

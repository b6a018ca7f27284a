"""Units, durations and numbers as loadwatch prints them: on the screen, in rule messages and in reports.

One module for every layer (it imports nothing of loadwatch), so the same value reads the same everywhere.
"""

from __future__ import annotations

import math
import time
from typing import Any

PLACEHOLDER = "—"
"""Shown where a value is unknown (no samples yet)."""

_DECIMAL_BYTES = ("B", "kB", "MB", "GB", "TB")  # data rates, as k6 reports them
_BINARY_BYTES = ("B", "KiB", "MiB", "GiB", "TiB")  # memory sizes
PERCENT_GAUGES = frozenset({"cpu", "memory", "db_pool", "redis_clients", "cache_hit"})
"""The preset gauges, all in percent (the Prometheus side's contract)."""


def format_clock(seconds: float | None, *, short: bool = False) -> str:
    """Format a duration as `mm:ss`, or `h:mm:ss` from one hour on.

    Args:
        seconds: The duration; None when unknown.
        short: The report's form: rounded, minutes unpadded (`1:05`); else a running clock (`01:04`).

    Returns:
        The clock text, `--:--` when the duration is unknown.
    """
    if seconds is None:
        return "--:--"
    whole = max(0, round(seconds) if short else int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}" if short else f"{minutes:02d}:{secs:02d}"


def format_count(value: float | None) -> str:
    """Format a count with thousands separators.

    Args:
        value: The count; None when unknown.

    Returns:
        The text, for example `123,456`.
    """
    if value is None:
        return PLACEHOLDER
    return f"{round(value):,}"


def format_rate(value: float | None) -> str:
    """Format a per-second rate with one decimal below 10,000 and none above.

    Args:
        value: The rate; None when unknown.

    Returns:
        The text, for example `1,234.5`.
    """
    if value is None:
        return PLACEHOLDER
    return f"{value:,.1f}" if value < 10_000 else f"{value:,.0f}"


def format_ms(value: float | None) -> str:
    """Format a latency in milliseconds with a precision that fits its size.

    Args:
        value: Milliseconds; None when there were no samples.

    Returns:
        The text, for example `12.3 ms` or `1,234 ms`.
    """
    if value is None or not math.isfinite(value):  # NaN from a record cut short means "no value"
        return PLACEHOLDER
    if value < 10:
        return f"{value:.2f} ms"
    if value < 1000:
        return f"{value:.1f} ms"
    return f"{value:,.0f} ms"


def format_duration_ms(value: float | None) -> str:
    """Format a duration given in milliseconds in the unit that fits it, as k6's summary does.

    Args:
        value: Milliseconds; None when there were no samples.

    Returns:
        The text, for example `4.29 µs`, `1.62 ms`, `122.5 ms` or `1.23 s`.
    """
    if value is None or not math.isfinite(value):
        return PLACEHOLDER
    size = abs(value)
    if size == 0:
        return "0 ms"
    if size < 1:
        micro = value * 1000
        return f"{micro:.2f} µs" if size < 0.01 else f"{micro:.1f} µs" if size < 0.1 else f"{micro:.0f} µs"
    if size < 1000:
        return format_ms(value)
    if size < 60_000:
        return f"{value / 1000:.2f} s"
    return format_seconds(value / 1000)


def format_percent(share: float | None) -> str:
    """Format a share (0..1) as a percentage.

    Args:
        share: The share; None when undefined (for example no checks).

    Returns:
        The text, for example `0.42 %`.
    """
    if share is None:
        return PLACEHOLDER
    percent = share * 100
    return f"{percent:.2f} %" if percent < 10 else f"{percent:.1f} %"


def format_bytes_rate(bytes_per_s: float | None) -> str:
    """Format a data rate with decimal units (as k6 reports them).

    Args:
        bytes_per_s: Bytes per second; None when unknown.

    Returns:
        The text, for example `1.2 MB/s`.
    """
    if bytes_per_s is None:
        return PLACEHOLDER
    value = float(bytes_per_s)
    unit = _DECIMAL_BYTES[0]
    for unit in _DECIMAL_BYTES:
        if abs(value) < 1000 or unit == _DECIMAL_BYTES[-1]:
            break
        value /= 1000
    if unit == "B":
        return f"{value:.0f} B/s"
    return f"{value:.1f} {unit}/s"


def format_bytes(value: float | None) -> str:
    """A byte count with decimal units: `512 B`, `12.3 MB`.

    Args:
        value: Bytes; None when unknown.

    Returns:
        The text.
    """
    return format_bytes_rate(value).removesuffix("/s")


def format_gauge_value(value: float | None, unit: str) -> str:
    """Format a gauge value with its unit.

    Args:
        value: The value; None when unknown.
        unit: Its unit (a gauge's: %, ratio, seconds, bytes, count).

    Returns:
        The text, for example `85.0 %`, `31.5 MB`, `120 ms` or `1,234`.
    """
    if value is None or not math.isfinite(value):
        return PLACEHOLDER
    if unit == "%":
        return f"{value:.1f} %"
    if unit == "ratio":
        return f"{value:.3f}"
    if unit == "seconds":
        return f"{value * 1000:.0f} ms" if abs(value) < 1 else f"{value:.2f} s"
    if unit == "bytes":
        return format_bytes(value)
    return f"{value:,.0f}" if value == int(value) or abs(value) >= 100 else f"{value:,.2f}"


def format_vus(vus: float | None, vus_max: float | None) -> str:
    """Format the virtual users now and at most, as `now/max`.

    Args:
        vus: Virtual users now.
        vus_max: Most virtual users the run may use.

    Returns:
        The text, for example `50/100`, or `50` when the maximum is unknown.
    """
    now = PLACEHOLDER if vus is None else f"{round(vus)}"
    if vus_max is None:
        return now
    return f"{now}/{round(vus_max)}"


def format_number(value: float) -> str:
    """A number rounded for reading: `1,234`, `12.3`, `0.25`, `0.00123`."""
    if not math.isfinite(value):
        return str(value)
    size = abs(value)
    if size >= 100 or value == int(value):
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 0.1:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


def format_exact(value: float) -> str:
    """A number with every significant digit (thresholds): `1,234.5678`."""
    return format(value, ",.10g") if math.isfinite(value) else str(value)


def format_value(path: str, value: float | None, *, exact: bool = False) -> str:
    """Format a value with the unit its metric path implies.

    Args:
        path: The metric path or glob (`k6.p95_ms`, `container.*.mem_bytes`, `gauge.cpu`).
        value: The value; None when there is no data.
        exact: Keep every significant digit (for thresholds); else round for reading.

    Returns:
        For example `612 ms`, `1.5 %`, `1.2 GiB`, `830/s`, or `no data`.
    """
    if value is None:
        return "no data"
    number = format_exact if exact else format_number
    suffix = path.rsplit(".", 1)[-1]
    if path.startswith("gauge.") and path.split(".")[1].rstrip("*?") in PERCENT_GAUGES:
        return f"{number(value)} %"
    if suffix.endswith("_ms"):
        return f"{number(value)} ms"
    if suffix.endswith("_pct"):
        return f"{number(value)} %"
    if suffix.endswith("_mb"):
        return f"{number(value)} MB"
    if suffix == "rps" or suffix.endswith("_per_s"):
        return f"{number(value)}/s"
    if suffix.endswith("_bytes"):
        size, unit = float(value), 0
        while abs(size) >= 1024 and unit < len(_BINARY_BYTES) - 1:
            size /= 1024
            unit += 1
        return f"{number(size)} {_BINARY_BYTES[unit]}"
    return number(value)


def format_seconds(seconds: float) -> str:
    """Format a duration compactly: `0s`, `10s`, `1m30s`, `2h5m`.

    Args:
        seconds: The duration in seconds.

    Returns:
        The text.
    """
    if 0 < seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m{secs}s" if secs else f"{minutes}m"
    return f"{secs}s"


def format_unit_value(v: Any, unit: str = "") -> str:
    """A value with its unit: `519.98 ms`, `3.57 %`, `217.3 req/s`, `12,168`; a dash when missing."""
    if v is None or isinstance(v, bool) or not isinstance(v, int | float):
        return "–" if v is None else str(v)
    if unit == "ms":
        return f"{v:.3g} ms" if abs(v) < 10 else f"{v:,.1f} ms"
    if unit == "ratio":
        return f"{100.0 * v:.2f} %"
    if unit == "%":
        return f"{v:.2f} %"
    if unit == "req/s":
        return f"{v:,.1f} req/s"
    if unit == "s":
        return f"{v:,.1f} s"
    if unit == "bytes":
        return f"{v / 1e6:,.2f} MB"
    if unit == "MB":
        return f"{v:,.1f} MB"
    text = f"{v:,.0f}" if float(v).is_integer() else f"{v:,.3g}" if abs(v) < 100 else f"{v:,.1f}"
    return f"{text} {unit}".strip()


def format_wall(t: Any) -> str:
    """A unix time as local date and time with its zone."""
    if not isinstance(t, int | float):
        return "–"
    return time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(t))


def format_elapsed(v: Any) -> str:
    """Seconds since the start as m:ss; a dash when missing."""
    return format_clock(float(v), short=True) if isinstance(v, int | float) else "–"

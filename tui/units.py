"""Human formatting of the numbers the panes show: clocks, rates, byte rates, latencies, shares."""

from __future__ import annotations

import math

PLACEHOLDER = "—"
"""Shown where a value is unknown (no samples yet)."""

_BYTE_UNITS = ("B", "kB", "MB", "GB", "TB")


def format_clock(seconds: float | None) -> str:
    """Format a duration as `mm:ss`, or `h:mm:ss` from one hour on.

    Args:
        seconds: The duration; None when unknown.

    Returns:
        The clock text, `--:--` when the duration is unknown.
    """
    if seconds is None:
        return "--:--"
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes:02d}:{secs:02d}"


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
    unit = _BYTE_UNITS[0]
    for unit in _BYTE_UNITS:
        if abs(value) < 1000 or unit == _BYTE_UNITS[-1]:
            break
        value /= 1000
    if unit == "B":
        return f"{value:.0f} B/s"
    return f"{value:.1f} {unit}/s"


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

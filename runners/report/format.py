"""How the report prints numbers, times and verdicts, the same in Markdown and HTML."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from runners.report.svg import fmt_time

__all__ = [
    "GAUGE_UNIT",
    "Cell",
    "Section",
    "Table",
    "cell",
    "fmt_diff",
    "fmt_time",
    "fmt_value",
    "fmt_wall",
    "safe_id",
]

GAUGE_UNIT = {"%": "%", "ratio": "ratio", "seconds": "s", "bytes": "bytes", "count": ""}
"""A gauge's configured unit as the report prints it."""


@dataclass(frozen=True, slots=True)
class Cell:
    """A table cell: its text and a class (pass, fail, warn, better, same, worse, num, muted, or empty)."""

    text: str
    cls: str = ""


@dataclass(frozen=True, slots=True)
class Table:
    """A table with a header row; `caption` is a short heading shown above it."""

    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    caption: str = ""


@dataclass(frozen=True, slots=True)
class Section:
    """One part of the report: notes (text, level), tables, and whether the charts go here."""

    id: str
    title: str
    notes: tuple[tuple[str, str], ...] = ()  # (text, level: "", "info", "warn", "fail")
    tables: tuple[Table, ...] = ()
    charts: bool = False


def cell(value: Any, unit: str = "", cls: str = "num") -> Cell:
    """A numeric cell, formatted for its unit."""
    return Cell(fmt_value(value, unit), cls if value is not None else "muted")


def fmt_value(v: Any, unit: str = "") -> str:
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


def fmt_diff(row: dict[str, Any]) -> str:
    """A comparison's difference: `-10.2 %` of the baseline, or `+0.35 pt` for rates in %."""
    if row.get("diff") is None:
        return "–"
    if row.get("band") == "points" or row.get("unit") == "%":
        return f"{row['diff']:+.2f} pt"
    if row.get("diff_pct") is None:
        return f"{row['diff']:+g}"
    return f"{row['diff_pct']:+.1f} %"


def fmt_wall(t: Any) -> str:
    """A unix time as local date and time with its zone."""
    if not isinstance(t, int | float):
        return "–"
    return time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(t))


def fmt_elapsed(v: Any) -> str:
    """Seconds since the start as m:ss; a dash when missing."""
    return fmt_time(float(v)) if isinstance(v, int | float) else "–"


def safe_id(text: str) -> str:
    """A string usable as a file name and an HTML id."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "chart"

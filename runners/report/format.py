"""The report's building blocks (cells, tables, sections) and its comparison text; numbers come from
runners.model.units, as on the screen."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from runners.model.units import format_unit_value

__all__ = [
    "GAUGE_UNIT",
    "Cell",
    "Section",
    "Table",
    "cell",
    "fmt_diff",
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
    return Cell(format_unit_value(value, unit), cls if value is not None else "muted")


def fmt_diff(row: dict[str, Any]) -> str:
    """A comparison's difference: `-10.2 %` of the baseline, or `+0.35 pt` for rates in %."""
    if row.get("diff") is None:
        return "–"
    if row.get("band") == "points" or row.get("unit") == "%":
        return f"{row['diff']:+.2f} pt"
    if row.get("diff_pct") is None:
        return f"{row['diff']:+g}"
    return f"{row['diff_pct']:+.1f} %"


def safe_id(text: str) -> str:
    """A string usable as a file name and an HTML id."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "chart"

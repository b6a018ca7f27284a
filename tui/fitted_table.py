"""A table that fits a width by dropping its least needed columns, never its rows, and never wraps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich.table import Table
from rich.text import Text

Cell = str | Text
GAP = 2
"""Spaces between two columns."""


@dataclass(frozen=True, slots=True)
class Column:
    """A column: its header, how it aligns and when it gives way.

    `priority` 0 is always kept; among the others the highest number goes first. The flexible column (the
    names) is always kept: it takes what the kept columns leave and is shortened with an ellipsis.
    """

    header: Cell
    priority: int = 0
    justify: Literal["left", "right", "center"] = "right"
    flex: bool = False


def _width(cell: Cell) -> int:
    return cell.cell_len if isinstance(cell, Text) else Text(cell).cell_len


def fitted_table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    width: int,
    *,
    flex_min: int = 14,
    flex_width: int = 0,
) -> Table:
    """Build a table of `rows` no wider than `width`, keeping the columns that matter most.

    Args:
        columns: The columns, in display order.
        rows: One cell per column each.
        width: The room, in cells.
        flex_min: The flexible column keeps at least this many cells (or its whole width when less).
        flex_width: The flexible column's width when there is room (tables one above the other align).

    Returns:
        The table (the kept columns in their order).
    """
    widths = [max([_width(c.header), *(_width(r[i]) for r in rows)]) for i, c in enumerate(columns)]
    flex = next((i for i, c in enumerate(columns) if c.flex), None)
    if flex is not None:
        widths[flex] = max(widths[flex], flex_width)
    kept = {i for i, c in enumerate(columns) if c.priority == 0 and not c.flex}
    used = sum(widths[i] + GAP for i in kept)
    room = width - (min(widths[flex], flex_min) if flex is not None else -GAP)
    for i in sorted((i for i, c in enumerate(columns) if c.priority > 0), key=lambda i: columns[i].priority):
        if used + widths[i] + GAP > room:
            break  # lower priorities would not fit either, or would leave a gap in the order of need
        kept.add(i)
        used += widths[i] + GAP
    if flex is not None:
        kept.add(flex)
        widths[flex] = max(1, min(widths[flex], width - used))
    table = Table(box=None, padding=(0, GAP // 2), pad_edge=False, show_edge=False, expand=False,
                  header_style="bold", show_header=True)  # fmt: skip
    order = sorted(kept)
    for i in order:
        c = columns[i]
        table.add_column(c.header, justify=c.justify, no_wrap=True, overflow="ellipsis", width=widths[i],
                         min_width=widths[i])  # fmt: skip
    for r in rows:
        table.add_row(*(r[i] for i in order))
    return table

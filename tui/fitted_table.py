"""Tables as lines of text that fit a width by dropping their least needed columns, never their rows.

Lines, not Rich tables: the Metrics tab redraws about a hundred rows twice a second, and laying out a
Rich table costs milliseconds per table where padding a cell costs microseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich.cells import cell_len
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
    justify: Literal["left", "right"] = "right"
    flex: bool = False


def _width(cell: Cell) -> int:
    return cell.cell_len if isinstance(cell, Text) else cell_len(cell)


def _append(line: Text, cell: Cell, width: int, justify: str) -> None:
    """Append a cell padded (or shortened with an ellipsis) to `width`."""
    size = _width(cell)
    if size > width:
        cell = cell.copy() if isinstance(cell, Text) else Text(cell)
        cell.truncate(width, overflow="ellipsis")
        size = cell.cell_len
    pad = " " * (width - size)
    if justify == "right":
        line.append(pad)
    if isinstance(cell, Text):
        line.append_text(cell)
    else:
        line.append(cell)
    if justify != "right":
        line.append(pad)


def fitted_lines(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    width: int,
    *,
    flex_min: int = 14,
    flex_width: int = 0,
) -> list[Text]:
    """Lay out a header and `rows` in columns no wider than `width`, keeping the columns that matter most.

    Args:
        columns: The columns, in display order.
        rows: One cell per column each.
        width: The room, in cells.
        flex_min: The flexible column keeps at least this many cells (or its whole width when less).
        flex_width: The flexible column's width when there is room (tables one above the other align).

    Returns:
        The header line, then one line per row (the kept columns in their order).
    """
    header = [c.header if isinstance(c.header, Text) else Text(c.header, style="bold") for c in columns]
    widths = [max([_width(header[i]), *(_width(r[i]) for r in rows)]) for i in range(len(columns))]
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
    order = sorted(kept)
    lines = []
    for cells in (header, *rows):
        line = Text()
        for n, i in enumerate(order):
            if n:
                line.append(" " * GAP)
            _append(line, cells[i], widths[i], columns[i].justify)
        line.rstrip()
        lines.append(line)
    return lines

"""The per-endpoint table: diffed by endpoint, sortable by any column from the keyboard, worst first."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.widgets import DataTable

from runners.model.frames import EndpointRow
from runners.model.units import format_count, format_ms, format_rate

# column key, label (units in the label, so a narrow cell never loses them), sort key (bigger is "worse" and
# comes first by default), width, and priority: the narrower the table, the fewer columns, lowest dropped first.
_COLUMNS: tuple[tuple[str, str, Callable[[EndpointRow], float | str], int, int], ...] = (
    ("name", "endpoint", lambda r: r.name, 0, 0),
    ("requests", "reqs", lambda r: r.requests, 8, 6),
    ("rps", "req/s", lambda r: r.rps, 7, 3),
    ("p50", "p50 ms", lambda r: r.p50 or 0.0, 7, 7),
    ("p95", "p95 ms", lambda r: r.p95 or 0.0, 7, 1),
    ("p99", "p99 ms", lambda r: r.p99 or 0.0, 7, 5),
    ("errors", "err %", lambda r: r.error_pct, 6, 2),
    ("codes", "status", lambda r: ",".join(c for c, _ in r.statuses), 16, 4),
)
SORT_KEYS = tuple(c[0] for c in _COLUMNS)
NAME_MIN_WIDTH = 18
"""The endpoint column keeps at least this many cells; other columns go first."""


def visible_columns(width: int) -> tuple[str, ...]:
    """The columns that fit a table this wide, in display order, by priority.

    Args:
        width: The table's width in cells.

    Returns:
        The column keys to show.
    """
    keep = {"name"}
    room = width - NAME_MIN_WIDTH - 2
    for key, _, _, w, _ in sorted(_COLUMNS[1:], key=lambda c: c[4]):
        if w + 2 > room:
            break
        keep.add(key)
        room -= w + 2
    return tuple(c[0] for c in _COLUMNS if c[0] in keep)


def _codes(row: EndpointRow) -> str:
    return " ".join(f"{code or '0'}:{format_count(n)}" for code, n in row.statuses[:4])


def _ms(value: float | None) -> str:
    # The unit is in the column label; the cell keeps the number only.
    return format_ms(value).removesuffix(" ms")


def _error_cell(pct: float) -> Text:
    style = "bold red" if pct >= 1.0 else ("yellow" if pct > 0 else "")
    return Text(f"{pct:.2f}", style=style, justify="right")


class EndpointsTable(DataTable[object]):
    """Rows keyed by endpoint; cells updated in place. `o` sorts by the next column, `r` reverses."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "sort_next", "Sort by next column", id="endpoints-sort"),
        Binding("r", "sort_reverse", "Reverse sort", id="endpoints-reverse"),
    ]

    sort_column: reactive[str] = reactive("p95")
    """The column rows are ordered by (worst first unless reversed)."""
    sort_reverse: reactive[bool] = reactive(False)
    """True to put the smallest first."""

    def __init__(self, *, id: str | None = None) -> None:
        """Create the table.

        Args:
            id: The widget id.
        """
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._rows: dict[str, EndpointRow] = {}
        self.shown_columns: tuple[str, ...] = ()
        """The columns shown at the current width."""
        self._remeasure = False

    def on_mount(self) -> None:
        """Create the columns that fit."""
        self._set_columns(visible_columns(max(self.size.width, 60)))

    def on_resize(self) -> None:
        """Drop or bring back columns by priority when the width changes."""
        if self.size.width:
            self._set_columns(visible_columns(self.size.width))

    def on_idle(self) -> None:
        """Redraw once the DataTable has measured new rows or columns.

        A DataTable sizes its auto-width columns when idle, after this handler runs, and keeps the cells it
        already drew at the old width; on a busy box that left endpoint names cut to the label's width until
        the next frame (for good, in a paused replay). One re-sort after the measuring redraws them.
        """
        if self._remeasure:
            self._remeasure = False
            self.call_later(self._sort)

    def _set_columns(self, keys: tuple[str, ...]) -> None:
        if keys == self.shown_columns:
            return
        self.shown_columns = keys
        self._remeasure = True
        self.clear(columns=True)
        for key, label, _, width, _ in _COLUMNS:
            if key in keys:
                self.add_column(label, key=key, width=None if key in ("name", "codes") else width)
        rows = list(self._rows.values())
        self._rows = {}
        self.show_rows(tuple(rows))
        self._update_labels()

    def show_rows(self, rows: tuple[EndpointRow, ...]) -> None:
        """Diff the table against the frame's rows: update cells, add and remove rows, re-sort.

        Args:
            rows: The frame's endpoint rows.
        """
        seen = set()
        for r in rows:
            seen.add(r.name)
            every = {
                "name": Text(r.name, style="italic" if r.name == "other" else ""),
                "requests": Text(format_count(r.requests), justify="right"),
                "rps": Text(format_rate(r.rps), justify="right"),
                "p50": Text(_ms(r.p50), justify="right"),
                "p95": Text(_ms(r.p95), justify="right"),
                "p99": Text(_ms(r.p99), justify="right"),
                "errors": _error_cell(r.error_pct),
                "codes": Text(_codes(r)),
            }
            cells = {key: every[key] for key in self.shown_columns}
            if r.name in self._rows:
                for key, cell in cells.items():
                    self.update_cell(r.name, key, cell)
            else:
                self.add_row(*cells.values(), key=r.name)
                self._remeasure = True
            self._rows[r.name] = r
        for name in [n for n in self._rows if n not in seen]:
            self.remove_row(name)
            del self._rows[name]
        self._sort()

    def _sort(self) -> None:
        if not self._rows:
            return
        getter = {c[0]: c[2] for c in _COLUMNS}[self.sort_column]
        if "name" not in self.columns:
            return
        descending = self.sort_column not in ("name", "codes")  # numbers: worst (largest) first
        if self.sort_reverse:
            descending = not descending
        named = sorted((r for r in self._rows.values() if r.name != "other"), key=getter, reverse=descending)
        order = {r.name: i for i, r in enumerate(named)}
        last = len(order)  # "other" always goes last

        def position(cell: object) -> int:
            name = cell.plain if isinstance(cell, Text) else str(cell)
            return order.get(name, last)

        self.sort("name", key=position)

    def _update_labels(self) -> None:
        arrow = "▲" if self.sort_reverse != (self.sort_column in ("name", "codes")) else "▼"
        for key, label, *_ in _COLUMNS:
            column = self.columns.get(key)  # type: ignore[call-overload]
            if column is not None:
                column.label = Text(f"{label} {arrow}" if key == self.sort_column else label)
        self.refresh()

    def action_sort_next(self) -> None:
        """Order rows by the next column."""
        i = SORT_KEYS.index(self.sort_column)
        self.sort_column = SORT_KEYS[(i + 1) % len(SORT_KEYS)]

    def action_sort_reverse(self) -> None:
        """Flip the order."""
        self.sort_reverse = not self.sort_reverse

    def watch_sort_column(self) -> None:
        """Re-sort when the column changes."""
        self._update_labels()
        self._sort()

    def watch_sort_reverse(self) -> None:
        """Re-sort when the direction changes."""
        self._update_labels()
        self._sort()

    def order(self) -> list[str]:
        """The endpoint names in display order (for tests and snapshots)."""
        return [str(row.key.value) for row in self.ordered_rows]

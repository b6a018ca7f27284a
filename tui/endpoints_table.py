"""The per-endpoint table: diffed by endpoint, sortable by any column from the keyboard, worst first."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.widgets import DataTable

from runners.model.frames import EndpointRow
from tui.units import format_count, format_ms, format_rate

# column key, label, sort key (bigger is "worse" and comes first by default)
_COLUMNS: tuple[tuple[str, str, Callable[[EndpointRow], float | str]], ...] = (
    ("name", "endpoint", lambda r: r.name),
    ("requests", "reqs", lambda r: r.requests),
    ("rps", "req/s", lambda r: r.rps),
    ("p50", "p50", lambda r: r.p50 or 0.0),
    ("p95", "p95", lambda r: r.p95 or 0.0),
    ("p99", "p99", lambda r: r.p99 or 0.0),
    ("errors", "err %", lambda r: r.error_pct),
    ("codes", "status codes", lambda r: ",".join(c for c, _ in r.statuses)),
)
SORT_KEYS = tuple(c[0] for c in _COLUMNS)


def _codes(row: EndpointRow) -> str:
    return " ".join(f"{code or '0'}:{format_count(n)}" for code, n in row.statuses[:4])


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

    def on_mount(self) -> None:
        """Create the columns."""
        for key, label, _ in _COLUMNS:
            self.add_column(label, key=key, width=None if key in ("name", "codes") else 9)
        self._update_labels()

    def show_rows(self, rows: tuple[EndpointRow, ...]) -> None:
        """Diff the table against the frame's rows: update cells, add and remove rows, re-sort.

        Args:
            rows: The frame's endpoint rows.
        """
        seen = set()
        for r in rows:
            seen.add(r.name)
            cells = (
                Text(r.name, style="italic" if r.name == "other" else ""),
                Text(format_count(r.requests), justify="right"),
                Text(format_rate(r.rps), justify="right"),
                Text(format_ms(r.p50), justify="right"),
                Text(format_ms(r.p95), justify="right"),
                Text(format_ms(r.p99), justify="right"),
                _error_cell(r.error_pct),
                Text(_codes(r)),
            )
            if r.name in self._rows:
                for (key, _, _), cell in zip(_COLUMNS, cells, strict=True):
                    self.update_cell(r.name, key, cell)
            else:
                self.add_row(*cells, key=r.name)
            self._rows[r.name] = r
        for name in [n for n in self._rows if n not in seen]:
            self.remove_row(name)
            del self._rows[name]
        self._sort()

    def _sort(self) -> None:
        if not self._rows:
            return
        getter = {c[0]: c[2] for c in _COLUMNS}[self.sort_column]
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
        for key, label, _ in _COLUMNS:
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

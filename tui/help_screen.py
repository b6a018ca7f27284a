"""Every key and what it does, from the bindings themselves (so a remapped key shows as remapped)."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class HelpScreen(ModalScreen[None]):
    """A table of keys; any of escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="help-close"),
    ]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        """Create the help.

        Args:
            rows: (key, action, what it does) for every binding.
        """
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        """Lay out the table.

        Returns:
            The help dialog.
        """
        table = Table(box=None, padding=(0, 2), show_header=True, header_style="bold")
        table.add_column("key")
        table.add_column("does")
        for key, description, tooltip in self.rows:
            table.add_row(key, f"{description}: {tooltip}" if tooltip else description)
        with VerticalScroll(id="help-dialog"):
            yield Label("[b]loadwatch keys[/b]")
            yield Static("esc closes · every action is also in the command palette (ctrl+p)", classes="dim")
            yield Static(table)

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)

"""A one-line note for a mark: Enter saves it (to disk, before the dialog closes), Escape cancels."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from runners.model.frames import Mark


class MarkDialog(ModalScreen[Mark | None]):
    """Asks for a note; `save` writes the mark and its result closes the dialog."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="mark-cancel"),
    ]

    def __init__(self, elapsed: str, save: Callable[[str], Mark]) -> None:
        """Create the dialog.

        Args:
            elapsed: The run time the mark will carry, shown in the prompt.
            save: Records the mark durably and returns it (called on Enter).
        """
        super().__init__()
        self.elapsed = elapsed
        self.save = save

    def compose(self) -> ComposeResult:
        """Lay out the dialog.

        Returns:
            The prompt, the input and the keys.
        """
        with Vertical(id="mark-dialog"):
            yield Label(f"Mark at {self.elapsed}: a note (may be empty)", id="mark-prompt")
            yield Input(placeholder="e.g. scaled api to 4 replicas", max_length=500, id="mark-input")
            yield Label("[b]enter[/b] save    [b]esc[/b] cancel", id="mark-keys")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Save the mark, then close: it is on disk before the dialog goes away."""
        try:
            mark = self.save(event.value)
        except (RuntimeError, OSError) as exc:
            self.notify(f"mark not saved: {exc}", severity="error")
            self.dismiss(None)
            return
        self.dismiss(mark)

    def action_cancel(self) -> None:
        """Close without a mark."""
        self.dismiss(None)

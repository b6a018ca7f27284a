"""A yes/no question over the current screen, answered with `y`, `n` or Escape."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label


class ConfirmScreen(ModalScreen[bool]):
    """Asks one question; dismisses with True for yes and False for no."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm-yes"),
        Binding("n", "answer(False)", "No", id="confirm-no"),
        Binding("escape", "answer(False)", "No", show=False, id="confirm-escape"),
    ]

    def __init__(self, question: str, *, detail: str = "") -> None:
        """Create the question.

        Args:
            question: The question, phrased so that `y` is the action.
            detail: One more line on what happens next.
        """
        super().__init__()
        self.question = question
        self.detail = detail

    def compose(self) -> ComposeResult:
        """Lay out the dialog.

        Returns:
            The dialog's widgets.
        """
        with Vertical(id="confirm-dialog"):
            yield Label(self.question, id="confirm-question")
            if self.detail:
                yield Label(self.detail, id="confirm-detail")
            yield Label("[b]y[/b] yes    [b]n[/b] / [b]esc[/b] no", id="confirm-keys")

    def action_answer(self, yes: bool) -> None:
        """Close the dialog with the answer.

        Args:
            yes: The answer.
        """
        self.dismiss(yes)

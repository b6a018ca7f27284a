"""A one-line banner that stays while the run record cannot be written (a full disk); hidden otherwise."""

from __future__ import annotations

from textual.widgets import Static


class RecordBanner(Static):
    """Visible while writes fail; the app calls `show_problem` from each frame."""

    DEFAULT_CSS = """
    RecordBanner {
        display: none;
        width: 1fr;
        height: 1;
        padding: 0 1;
        background: $warning;
        color: $text;
        text-style: bold;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    RecordBanner.-shown {
        display: block;
    }
    """

    def show_problem(self, problem: str) -> None:
        """Show `RECORD NOT SAVED: ...` while `problem` is set; hide when it is empty.

        Args:
            problem: Why the record is not being written ("" while it is).
        """
        self.set_class(bool(problem), "-shown")
        if problem:
            self.update(f"RUN RECORD NOT SAVED: {problem}; the run goes on")

"""The Metrics tab: k6's end-of-test summary, live, scrollable, its columns fitted to the width."""

from __future__ import annotations

from rich.console import Group
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.events import Resize
from textual.widgets import Static

from runners.model.frames import Frame, MetricsView, ThresholdRow
from tui.metrics_sections import summary


class MetricsPane(VerticalScroll):
    """Every k6 metric as k6 v1's summary prints it: redrawn only when the figures or the width change."""

    def __init__(self, *, id: str | None = None) -> None:
        """Create the pane.

        Args:
            id: The widget id.
        """
        super().__init__(id=id)
        self._drawn: tuple[MetricsView | None, tuple[ThresholdRow, ...], bool, int] | None = None
        self._latest: tuple[MetricsView | None, tuple[ThresholdRow, ...], bool] = (None, (), False)

    def compose(self) -> ComposeResult:
        """The one body the summary is drawn into.

        Returns:
            The children.
        """
        yield Static("waiting for k6's first samples…", id="metrics-body")

    def show_frame(self, frame: Frame) -> None:
        """Draw a frame's Metrics view (frames without one, from older records, say so).

        Args:
            frame: The latest frame.
        """
        self._latest = (frame.metrics, frame.thresholds, not frame.state.is_active)
        self._draw()

    def on_resize(self, _event: Resize) -> None:
        """Columns follow the width."""
        self._draw()

    @property
    def text_width(self) -> int:
        """The cells a line may take (the pane's width less its padding and scrollbar)."""
        return max(20, self.scrollable_content_region.width)

    def _draw(self) -> None:
        view, thresholds, ended = self._latest
        key = (view, thresholds, ended, self.text_width)
        if key == self._drawn:  # frozen values: equal figures draw the same picture
            return
        self._drawn = key
        body = self.query_one("#metrics-body", Static)
        if view is None:  # before the first tick, or a record made before frames carried the view
            body.update(
                "waiting for k6's first samples…" if not ended else "this run's record has no Metrics view"
            )
            return
        body.update(Group(*summary(view, thresholds, self.text_width, ended=ended)))

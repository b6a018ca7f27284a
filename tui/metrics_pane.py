"""The Metrics tab: k6's end-of-test summary, live, scrollable, its columns fitted to the width.

A line-API view: each frame lays the summary out as lines of text (cheap), and only the visible rows are
turned into strips, so a long summary costs no more to show than a short one.
"""

from __future__ import annotations

from rich.text import Text
from textual.cache import LRUCache
from textual.events import Resize
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from runners.model.frames import Frame, MetricsView, ThresholdRow
from tui.metrics_sections import summary

WAITING = "waiting for k6's first samples…"


class MetricsPane(ScrollView, can_focus=True):
    """Every k6 metric as k6 v1's summary prints it: laid out again only when the figures or the width change."""

    def __init__(self, *, id: str | None = None) -> None:
        """Create the pane.

        Args:
            id: The widget id.
        """
        super().__init__(id=id)
        self.lines: list[Text] = [Text(WAITING, style="dim")]
        """The summary as laid out now, one per row."""
        self._drawn: tuple[MetricsView | None, tuple[ThresholdRow, ...], bool, int] | None = None
        self._latest: tuple[MetricsView | None, tuple[ThresholdRow, ...], bool] = (None, (), False)
        self._strips: LRUCache[int, Strip] = LRUCache(256)

    def show_frame(self, frame: Frame) -> None:
        """Lay out a frame's Metrics view (frames without one, from older records, say so).

        Args:
            frame: The latest frame.
        """
        self._latest = (frame.metrics, frame.thresholds, not frame.state.is_active)
        self._layout()

    def on_resize(self, _event: Resize) -> None:
        """Columns follow the width."""
        self._layout()

    @property
    def text_width(self) -> int:
        """The cells a line may take (the pane's width less its padding and scrollbar)."""
        return max(20, self.scrollable_content_region.width)

    def line_of(self, text: str) -> int:
        """The first row that holds `text` (0 when none), to scroll to a section.

        Args:
            text: What to find, for example `█ CUSTOM`.

        Returns:
            The row's index.
        """
        return next((i for i, line in enumerate(self.lines) if text in line.plain), 0)

    def _layout(self) -> None:
        view, thresholds, ended = self._latest
        width = self.text_width
        key = (view, thresholds, ended, width)
        if key == self._drawn:  # frozen values: equal figures lay out the same lines
            return
        self._drawn = key
        if view is None:  # before the first tick, or a record made before frames carried the view
            self.lines = [
                Text(WAITING if not ended else "this run's record has no Metrics view", style="dim")
            ]
        else:
            self.lines = summary(view, thresholds, width, ended=ended)
        self._strips.clear()
        self.virtual_size = Size(max((line.cell_len for line in self.lines), default=0), len(self.lines))
        self.refresh()

    def render_line(self, y: int) -> Strip:
        """One visible row.

        Args:
            y: The row on screen.

        Returns:
            Its strip, cropped to the view.
        """
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        style = self.rich_style
        if index >= len(self.lines):
            return Strip.blank(width, style)
        strip = self._strips.get(index)
        if strip is None:
            line = self.lines[index]
            strip = Strip(line.render(self.app.console), line.cell_len).apply_style(style)
            self._strips[index] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, style).apply_offsets(scroll_x, index)

"""Line charts of k6 values over time, on an axis of seconds since the run started."""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

from plotext._utility import colors_to_ansi
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import RenderResult
from textual.color import Color
from textual.content import Content
from textual.strip import Strip
from textual.timer import Timer
from textual_plotext import PlotextPlot

from runners.model.units import format_clock

# A y-axis label plus the plot frame take about this many columns; the rest is drawable.
_Y_AXIS_COLUMNS = 8


@dataclass(frozen=True, slots=True)
class Line:
    """One series to draw: its values (None for a gap), legend label, theme colour variable and line style.

    A "solid" line is drawn with plotext's `hd` quadrant blocks at two samples per column; a "dotted" one as
    single quadrants every other column, so two series stay apart by shape where colours are few or absent
    (16 colours, NO_COLOR). Braille would give 2x4 dots per cell, but the usual monospaced fonts (and so
    the SVG screenshots) lack braille and draw it at the wrong width; quadrant blocks are in all of them.
    """

    values: Sequence[float | None]
    label: str
    color_variable: str
    style: str = "solid"


@dataclass(frozen=True, slots=True)
class Rule:
    """A labelled line across the chart: a threshold (horizontal), a mark or a breach start (vertical)."""

    at: float
    label: str


LEGEND_GLYPH = {"solid": "▄▄▄", "dotted": "▖ ▖"}
"""How each line style looks in the legend, matching the plot."""
MARKER = "hd"
"""plotext's half-block marker: two samples per column and two rows per cell."""
PAINT_WAIT_S = 0.6
"""How long a plotted chart waits for the next frame's paint before it paints alone (frames come every
0.5 s while a run is live)."""

_WAITING: weakref.WeakSet[SeriesChart] = weakref.WeakSet()


def paint_waiting_charts() -> None:
    """Paint every chart whose new picture waits, now (the app calls this while it shows a frame, so the
    charts are painted in the frame's compositor pass)."""
    for chart in list(_WAITING):
        chart._paint()


_CellColors = tuple[object, object, object]
_CELL_STYLES: dict[_CellColors, Style] = {}


def _cell_style(colors: _CellColors) -> Style:
    """The Rich style of a plotext cell's (foreground, style, background), as its ANSI codes read."""
    got = _CELL_STYLES.get(colors)
    if got is None:
        spans = Text.from_ansi(colors_to_ansi(*colors) + "x").spans
        got = spans[0].style if spans and isinstance(spans[0].style, Style) else Style.null()
        if len(_CELL_STYLES) < 4096:  # a theme has a handful; the bound guards a palette that keeps changing
            _CELL_STYLES[colors] = got
    return got


def _hashable(color: object) -> object:
    return tuple(color) if isinstance(color, list) else color


def matrix_strips(matrix: Any, base: Style) -> list[Strip]:
    """The rows of a built plotext matrix (top row first) as strips, one segment per run of equal colours.

    Plotext would join the cells into ANSI text that Rich then parses back into styled segments, and the
    screen would then render that text again: a chart of 40x15 cells cost milliseconds each time it
    changed. Read from the matrix, the same cells and colours are segments at once.
    """
    strips: list[Strip] = []
    cols = matrix.cols
    for row in reversed(matrix.Rows):
        markers, fgs, sts, bgs = (
            matrix.marker[row],
            matrix.fullground[row],
            matrix.style[row],
            matrix.background[row],
        )
        segments: list[Segment] = []
        start = 0
        for col in range(1, cols + 1):
            if col == cols or fgs[col] != fgs[start] or sts[col] != sts[start] or bgs[col] != bgs[start]:
                colors = (_hashable(fgs[start]), _hashable(sts[start]), _hashable(bgs[start]))
                segments.append(Segment("".join(markers[start:col]), base + _cell_style(colors)))
                start = col
        strips.append(Strip(segments, cols))
    return strips


def downsample(
    xs: Sequence[int], ys: Sequence[float | None], max_points: int
) -> tuple[list[int], list[float]]:
    """Drop gaps and keep at most `max_points` points, each bucket represented by its highest value.

    The maximum keeps spikes visible, which is what an engineer scans a load chart for.

    Args:
        xs: Seconds since the run started, ascending.
        ys: Values, None where there was no sample.
        max_points: The most points the chart can show (two per column with half-block markers).

    Returns:
        The x and y values to plot.
    """
    pairs = [(x, y) for x, y in zip(xs, ys, strict=True) if y is not None]
    if len(pairs) <= max_points or max_points < 1:
        return [x for x, _ in pairs], [y for _, y in pairs]
    size = -(-len(pairs) // max_points)  # ceiling division
    out_x: list[int] = []
    out_y: list[float] = []
    for start in range(0, len(pairs), size):
        bucket = pairs[start : start + size]
        out_x.append(bucket[-1][0])
        out_y.append(max(y for _, y in bucket))
    return out_x, out_y


def time_ticks(first: int, last: int, columns: int) -> tuple[list[int], list[str]]:
    """Choose x-axis ticks on round second steps, labelled as run clock times.

    Args:
        first: The first second shown.
        last: The last second shown.
        columns: The width of the drawable area.

    Returns:
        The tick positions and their `mm:ss` labels.
    """
    span = max(1, last - first)
    wanted = max(3, columns // 9)
    step = next((s for s in (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600) if span / s <= wanted), 7200)
    ticks = list(range(first - first % step + step if first % step else first, last + 1, step))
    return ticks, [format_clock(t) for t in ticks]


def value_ticks(top: float, rows: int) -> tuple[list[float], list[str]]:
    """Choose y-axis ticks from zero on a 1-2-2.5-5 step, so the labels are round numbers.

    Args:
        top: The highest value to show.
        rows: The height of the drawable area.

    Returns:
        The tick positions (the last one is the top of the axis) and their labels.
    """
    wanted = max(2, min(5, rows // 2))
    raw = top / wanted if top > 0 else 1.0
    magnitude = 10.0 ** math.floor(math.log10(raw))
    mantissa = next(m for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * magnitude >= raw * 0.999)
    step = mantissa * magnitude
    ticks = [step * i for i in range(math.ceil(top / step - 1e-9) + 1 if top > 0 else 2)]
    if ticks[-1] >= 10_000:
        return ticks, [f"{t / 1000:g}k" if t else "0" for t in ticks]
    decimals = max(0, -math.floor(math.log10(step)) + (1 if mantissa == 2.5 else 0))
    return ticks, [f"{t:.{decimals}f}" for t in ticks]


class SeriesChart(PlotextPlot):
    """A plotext chart redrawn from whole series, with its title and legend on a line above the plot."""

    PLOT_IN_THREAD: ClassVar[bool] = True
    """Plot in a worker thread once a first picture exists (snapshot tests turn it off for fixed pictures)."""

    def __init__(self, title: str, *, percent: bool = False, id: str | None = None) -> None:
        """Create an empty chart.

        Args:
            title: Shown on top of the chart, with the unit.
            percent: Whether values are percentages (the y axis then ends at 100 at most).
            id: The widget id.
        """
        super().__init__(id=id)
        self.chart_title = title
        self.percent = percent
        self.hint = ""
        """Shown after the title (the chart selector's key on small screens)."""
        self._xs: Sequence[int] = ()
        self._lines: Sequence[Line] = ()
        self._marks: Sequence[Rule] = ()
        self._breaches: Sequence[Rule] = ()
        self._limits: Sequence[Rule] = ()
        self._version = 0
        self._cache: tuple[tuple[object, ...], list[Strip]] | None = None
        self._pending: tuple[object, ...] | None = None
        self._paint_timer: Timer | None = None  # set while a plotted picture waits for the next frame's paint
        self._plot_lock = threading.Lock()

    @property
    def shown_xs(self) -> Sequence[int]:
        """The seconds (since the run started) of the series last given to `draw`."""
        return self._xs

    def draw(
        self,
        xs: Sequence[int],
        lines: Sequence[Line],
        marks: Sequence[Rule] = (),
        breaches: Sequence[Rule] = (),
        limits: Sequence[Rule] = (),
    ) -> None:
        """Replace what the chart shows; it is plotted on the next render (one per refresh).

        Args:
            xs: Seconds since the run started, one per value in each line.
            lines: The series to draw.
            marks: The engineer's marks (seconds, label), drawn as labelled vertical lines.
            breaches: When a rule started firing on this chart's metric (seconds, rule name).
            limits: k6 thresholds on this chart's metric (value, expression), drawn as horizontal lines.
        """
        self._xs = xs
        self._lines = lines
        self._marks = marks
        self._breaches = breaches
        self._limits = limits
        self._version += 1
        if self.PLOT_IN_THREAD and self._cache is not None and xs and self.display:
            # The picture on screen stays until the new one is plotted; refreshing now would only paint the
            # old one again (a whole chart's worth of rendering, every second, for nothing).
            self._plot_later(self._key())
        else:
            self.refresh()

    def _key(self) -> tuple[object, ...]:
        """What the picture depends on: the data's version, the size, the hint and the theme."""
        return (self._version, self.size, self.hint, self.app.theme)

    def _plot_later(self, key: tuple[object, ...]) -> None:
        """Plot in a worker thread (one at a time per chart); the chart refreshes when the picture is ready."""
        if self._pending != key:
            self._pending = key
            self.run_worker(partial(self._plot_in_thread, key), thread=True, exclusive=True,
                            group=f"plot-{self.id}", description="plot a chart", exit_on_error=False)  # fmt: skip

    def legend(self) -> Text:
        """The line above the plot: title, one glyph and label per series, the threshold, mark and breach keys.

        Parts that do not fit the width are left out whole, least needed first, never cut in the middle.

        Returns:
            The legend.
        """
        parts: list[Text] = []
        if len(self._lines) > 1:
            for line in self._lines:
                glyph = Text(LEGEND_GLYPH[line.style], style=Style(color=self._color(line.color_variable)))
                parts.append(Text("  ") + glyph + Text(f" {line.label}"))
        for limit in self._limits:
            parts.append(
                Text("  ── ", style=Style(color=self._color("warning"))) + Text(limit.label, style="dim")
            )
        if self.hint:
            parts.append(Text(f"  {self.hint}", style="dim"))
        if self._marks:
            parts.append(Text("  │", style=Style(color=self._color("accent"))) + Text("M mark", style="dim"))
        if self._breaches:
            parts.append(
                Text("  │", style=Style(color=self._color("error"))) + Text("!rule breach", style="dim")
            )
        text = Text(self.chart_title, style="bold")
        for part in parts:
            if text.cell_len + part.cell_len <= self.size.width:
                text.append_text(part)
        text.no_wrap = True
        return text

    def render(self) -> RenderResult:
        """What the chart waits for while it has no series (a plotted chart draws its lines in `render_line`).

        Returns:
            The title and a note.
        """
        # Plotext draws an empty frame with no axes; say what the chart is waiting for instead.
        return Content.assemble((self.chart_title, "bold"), "\n", ("waiting for k6 samples…", "dim"))

    def render_line(self, y: int) -> Strip:
        """One line of the chart's last picture; a new one is plotted off the UI thread when data, size or
        theme changed.

        Plotext builds a chart in milliseconds: done here it would hold every key press for that long
        (4 charts at 200x60 cost a few hundred ms on a busy box). The worker thread shares the interpreter,
        but the UI thread gets it back within the switch interval (5 ms). The picture is kept as strips, so
        painting it again costs the screen nothing but the copy.

        Args:
            y: The line, from the top (the legend).

        Returns:
            The line (the previous picture's, cropped, until the new one is ready).
        """
        if not self._xs:
            return super().render_line(y)
        key = self._key()
        if self._cache is None or (self._cache[0] != key and not self.PLOT_IN_THREAD):
            self._cache = (key, self._plot_locked())
        elif self._cache[0] != key:
            self._plot_later(key)
        strips = self._cache[1]
        if y < len(strips):
            return strips[y]
        return Strip.blank(self.size.width, self.visual_style.rich_style)

    def _plot_in_thread(self, key: tuple[object, ...]) -> None:
        result = self._plot_locked()
        self.app.call_from_thread(self._plotted, key, result)

    def _plotted(self, key: tuple[object, ...], result: list[Strip]) -> None:
        self._cache = (key, result)
        if self._pending == key:
            self._pending = None
        # Each paint is a compositor pass over every widget the screen holds, and a frame brings one already
        # (its numbers): the new picture waits for it (PAINT_WAIT_S at most) and is painted in the same pass.
        if self._paint_timer is None:
            _WAITING.add(self)
            self._paint_timer = self.set_timer(PAINT_WAIT_S, self._paint)

    def _paint(self) -> None:
        _WAITING.discard(self)
        if self._paint_timer is not None:
            self._paint_timer.stop()
            self._paint_timer = None
            self.refresh()

    def _plot_locked(self) -> list[Strip]:
        # One figure per chart: a worker still running when the next starts must not interleave with it.
        with self._plot_lock:
            return self._plot_now()

    def _plot_now(self) -> list[Strip]:
        xs = self._xs
        plt = self.plt
        plt.clear_data()  # also resets the limits and ticks, so they are set again below
        columns = max(1, self.size.width - _Y_AXIS_COLUMNS)
        top = max((limit.at for limit in self._limits), default=0.0)
        # Dotted lines first, so a solid line is drawn over them where they meet.
        for line in sorted(self._lines, key=lambda ln: ln.style != "dotted"):
            if line.style == "dotted":
                px, py = downsample(xs, line.values, max(1, columns // 2))
                if px:
                    plt.scatter(px, py, color=self._rgb(line.color_variable), marker=MARKER)
            else:
                px, py = downsample(xs, line.values, columns * 2)
                if px:
                    plt.plot(px, py, color=self._rgb(line.color_variable), marker=MARKER)
            if px:
                top = max(top, *py)
        first = xs[0]
        last = max(xs[-1], first + 10)
        y_ticks, y_labels = value_ticks(min(top, 100.0) if self.percent else top, self.size.height - 5)
        label_y = y_ticks[-1]
        for limit in self._limits:
            plt.hline(limit.at, color=self._rgb("warning"))
        for items, color in ((self._marks, "accent"), (self._breaches, "error")):
            for item in items:
                if first <= item.at <= last:
                    plt.vline(item.at, color=self._rgb(color))
                    plt.text(item.label, item.at, label_y, color=self._rgb(color), alignment="left")
        plt.xlim(first, last)
        ticks, labels = time_ticks(first, last, columns)
        plt.xticks([float(t) for t in ticks], labels)
        plt.ylim(0, y_ticks[-1])
        plt.yticks(y_ticks, y_labels)
        height = max(3, self.size.height - 1)  # a row for the legend
        plt.plotsize(self.size.width, height)
        plt._set_size(self.size.width, height)  # textual-plotext issue 5: plotsize alone is not always kept
        plt.theme(self._get_plotext_theme_name(self.app.theme))
        figure: Any = plt  # plotext's own steps of build(), which mypy's view of the wrapper leaves out
        figure._set_sizes()  # what build() does, less joining the cells into ANSI text
        figure._build_matrix()
        base = self.visual_style.rich_style
        app = self.app
        width = self.size.width
        options = app.console_options.update(width=width, highlight=False)
        legend = Segment.apply_style(app.console.render(self.legend(), options), base)
        head = next(iter(Segment.split_and_crop_lines(legend, width, include_new_lines=False)), [])
        return [Strip(head, width), *matrix_strips(figure.monitor.matrix, base)]

    def _color(self, variable: str) -> str:
        return self.app.theme_variables.get(variable) or self.app.theme_variables["foreground"]

    def _rgb(self, variable: str) -> tuple[int, int, int]:
        # Plotext wants RGB; taking it from the app theme keeps the charts in the theme's palette.
        return Color.parse(self._color(variable)).rgb

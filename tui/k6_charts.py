"""Line charts of k6 values over time, on an axis of seconds since the run started."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from textual.app import RenderResult
from textual.color import Color
from textual.content import Content
from textual_plotext import PlotextPlot

from tui.units import format_clock

# A y-axis label plus the plot frame take about this many columns; the rest is drawable.
_Y_AXIS_COLUMNS = 8


@dataclass(frozen=True, slots=True)
class Line:
    """One series to draw: its values (None for a gap), legend label and theme colour variable."""

    values: Sequence[float | None]
    label: str
    color_variable: str


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
    wanted = max(2, columns // 12)
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
    wanted = max(2, min(5, rows // 3))
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
    """A plotext chart redrawn from whole series; it never keeps data of its own beyond the last draw."""

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
        self._xs: Sequence[int] = ()
        self._lines: Sequence[Line] = ()
        self._marks: Sequence[float] = ()
        self._breaches: Sequence[float] = ()

    @property
    def shown_xs(self) -> Sequence[int]:
        """The seconds (since the run started) of the series last given to `draw`."""
        return self._xs

    def draw(
        self,
        xs: Sequence[int],
        lines: Sequence[Line],
        marks: Sequence[float] = (),
        breaches: Sequence[float] = (),
    ) -> None:
        """Replace what the chart shows; it is plotted on the next render (one per refresh).

        Args:
            xs: Seconds since the run started, one per value in each line.
            lines: The series to draw.
            marks: Seconds (same axis) of the engineer's marks, drawn as vertical lines.
            breaches: Seconds when a rule started firing on this chart's metric.
        """
        self._xs = xs
        self._lines = lines
        self._marks = marks
        self._breaches = breaches
        self.refresh()

    def render(self) -> RenderResult:
        """Plot the stored series at the current size (so a resize never shows stale decimation).

        Returns:
            The plot.
        """
        xs = self._xs
        if not xs:
            # Plotext draws an empty frame with no axes; say what the chart is waiting for instead.
            return Content.assemble((self.chart_title, "bold"), "\n", ("waiting for k6 samples…", "dim"))
        plt = self.plt
        plt.clear_data()  # also resets the limits and ticks, so they are set again below
        plt.title(self.chart_title)
        columns = max(1, self.size.width - _Y_AXIS_COLUMNS)
        top = 0.0
        for line in self._lines:
            px, py = downsample(xs, line.values, columns * 2)
            if px:
                # A single series is named by the title; a legend would only hide data.
                label = line.label if len(self._lines) > 1 else None
                plt.plot(px, py, label=label, color=self._rgb(line.color_variable), marker="hd")
                top = max(top, *py)
        first = xs[0]
        last = max(xs[-1], first + 10)
        for m in self._marks:
            if first <= m <= last:
                plt.vline(m, color=self._rgb("accent"))
        for b in self._breaches:
            if first <= b <= last:
                plt.vline(b, color=self._rgb("error"))
        plt.xlim(first, last)
        ticks, labels = time_ticks(first, last, columns)
        plt.xticks([float(t) for t in ticks], labels)
        y_ticks, y_labels = value_ticks(min(top, 100.0) if self.percent else top, self.size.height - 4)
        plt.ylim(0, y_ticks[-1])
        plt.yticks(y_ticks, y_labels)
        return super().render()

    def _rgb(self, variable: str) -> tuple[int, int, int]:
        # Plotext wants RGB; taking it from the app theme keeps the charts in the theme's palette.
        value = self.app.theme_variables.get(variable) or self.app.theme_variables["foreground"]
        return Color.parse(value).rgb

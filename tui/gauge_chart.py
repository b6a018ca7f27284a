"""A chart of one chosen gauge over time, on the k6 charts' axis: seconds since the run started."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual.app import RenderResult
from textual.content import Content

from tui.k6_charts import Line, Rule, SeriesChart

_COLORS = ("primary", "warning", "success", "accent", "secondary", "error")
MAX_LINES = len(_COLORS)
"""Series drawn at most (the first ones, in series order)."""
_SCALE = {"bytes": (1e6, "MB"), "seconds": (1e-3, "ms")}


def gauge_lines(
    points_by_series: Mapping[str, Sequence[tuple[float, float]]], origin_t: float, divisor: float = 1.0
) -> tuple[list[int], list[Line]]:
    """Put each series' `(t, value)` points on one axis of whole seconds since `origin_t`.

    Args:
        points_by_series: Series name to points, oldest first.
        origin_t: Unix time of the run start (the k6 charts' zero).
        divisor: Values are divided by it (bytes to MB).

    Returns:
        The seconds, and one line per series with None where that series has no point.
    """
    names = sorted(points_by_series)[:MAX_LINES]
    by_second: dict[str, dict[int, float]] = {
        name: {round(t - origin_t): v / divisor for t, v in points_by_series[name] if t >= origin_t}
        for name in names
    }
    xs = sorted({x for values in by_second.values() for x in values})
    lines = [
        Line([by_second[name].get(x) for x in xs], name or "value", _COLORS[i % len(_COLORS)])
        for i, name in enumerate(names)
    ]
    return xs, lines


class GaugeChart(SeriesChart):
    """One gauge (every series of it) as lines; redraw it no more often than the k6 charts (≤ 1 Hz)."""

    def __init__(self, *, id: str | None = None) -> None:
        """Create an empty chart.

        Args:
            id: The widget id.
        """
        super().__init__("gauge", id=id)
        self.gauge_name: str | None = None

    def show_gauge(
        self,
        name: str,
        unit: str,
        history: Mapping[tuple[str, str], Sequence[tuple[float, float]]],
        origin_t: float,
        marks: Sequence[float] = (),
        breaches: Sequence[float] = (),
    ) -> None:
        """Draw the chosen gauge.

        Args:
            name: The gauge.
            unit: Its unit (bytes are shown in MB, seconds in ms).
            history: The collector's history, every gauge; only `name` is drawn.
            origin_t: Unix time of the run start, shared with the k6 charts.
            marks: Seconds since the start of the engineer's marks.
            breaches: Seconds since the start when a rule on this gauge started firing.
        """
        divisor, shown_unit = _SCALE.get(unit, (1.0, unit))
        points = {series: pts for (gauge, series), pts in history.items() if gauge == name}
        xs, lines = gauge_lines(points, origin_t, divisor)
        self.gauge_name = name
        self.chart_title = f"{name} ({shown_unit})"
        values = [v for line in lines for v in line.values if v is not None]
        self.percent = unit == "%" and all(v <= 100 for v in values)
        self.draw(
            xs, lines, [Rule(m, f"M{i}") for i, m in enumerate(marks, 1)], [Rule(b, "!") for b in breaches]
        )

    def render(self) -> RenderResult:
        """Plot the gauge, or say what the chart is waiting for.

        Returns:
            The plot.
        """
        if not self.shown_xs:
            what = "choose a gauge" if self.gauge_name is None else "waiting for gauge samples…"
            return Content.assemble((self.chart_title, "bold"), "\n", (what, "dim"))
        return super().render()

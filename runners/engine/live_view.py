"""The live engine's side of the run view: the parts of the tick in progress and the history it recorded."""

from __future__ import annotations

from collections.abc import Callable

from runners.engine.frame_assembly import gauge_history_of
from runners.engine.sources import RunSources
from runners.model.frames import GaugeHistory, SecondPoint
from runners.model.run_view import FrameParts


class LiveView:
    """Implements runners.model.run_view.RunView for a run in progress; the engine sets each tick's parts."""

    def __init__(
        self, run_name: str, started_at: Callable[[], float], run_dir: str, sources: RunSources
    ) -> None:
        """Create the view.

        Args:
            run_name: The run's name.
            started_at: The run's start time, once it has started.
            run_dir: The run's record folder.
            sources: The run's other sources (their recorded gauge values are the history).
        """
        self._name = run_name
        self._started_at = started_at
        self._run_dir = run_dir
        self._sources = sources
        self._parts: FrameParts | None = None
        self._series: tuple[SecondPoint, ...] = ()

    @property
    def run_name(self) -> str:
        """The run's name."""
        return self._name

    @property
    def started_at(self) -> float:
        """Wall time the run started."""
        return self._started_at()

    @property
    def run_dir(self) -> str:
        """The run's record folder."""
        return self._run_dir

    def set_tick(self, parts: FrameParts, series: tuple[SecondPoint, ...]) -> None:
        """The parts and chart series the engine computed (and recorded) for the tick in progress.

        Args:
            parts: Every figure of the tick.
            series: The closed k6 seconds the charts show, ending at `parts.series_end`.
        """
        self._parts, self._series = parts, series

    def parts(self, now: float) -> FrameParts:
        """The tick's parts (the engine computes them at `now` before assembling the frame)."""
        if self._parts is None:
            raise RuntimeError("no tick yet")
        return self._parts

    def series(self, parts: FrameParts) -> tuple[SecondPoint, ...]:
        """The tick's chart series."""
        return self._series

    def gauge_history(self, now: float) -> GaugeHistory:
        """The gauge values recorded up to now."""
        return gauge_history_of(self._sources.gauge_rows, now)

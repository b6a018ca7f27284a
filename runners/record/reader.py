"""The one reader of run records: every query that reads `run.sqlite`, returning the schema's typed rows.

Replay, `loadwatch runs`, `loadwatch show` and the report all read through it. It works on a record that
is still being written (WAL) and on one cut short by a crash.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from runners.model.frames import OutputLine, SecondPoint
from runners.record import codec
from runners.record.schema import (
    DB_NAME,
    ContainerValuesRow,
    EventKind,
    EventRow,
    GaugeValuesRow,
    HistogramRow,
    RunMeta,
    SeriesKind,
)
from runners.record.ticks import TickTimeline


class RecordReadError(RuntimeError):
    """The record cannot be read (not a run folder, a damaged database)."""


def is_run_folder(folder: Path) -> bool:
    """True when the folder holds a run record."""
    return (folder / DB_NAME).is_file()


class RecordReader:
    """Reads one run record. Use as a context manager, or call close()."""

    def __init__(self, run_dir: Path) -> None:
        """Open the record read-only.

        Args:
            run_dir: The run's folder.

        Raises:
            RecordReadError: when it holds no readable record.
        """
        self.run_dir = run_dir
        if not is_run_folder(run_dir):
            raise RecordReadError(f"{run_dir} is not a run folder (no {DB_NAME})")
        try:
            self._db = sqlite3.connect(f"file:{run_dir / DB_NAME}?mode=ro", uri=True)
        except sqlite3.Error as exc:
            raise RecordReadError(f"cannot open the run record in {run_dir}: {exc}") from exc

    def __enter__(self) -> RecordReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
        try:
            yield from self._db.execute(sql, args)
        except sqlite3.Error as exc:
            raise RecordReadError(f"cannot read the run record in {self.run_dir}: {exc}") from exc

    def _series(self, kind: SeriesKind) -> Iterator[tuple[int, str]]:
        for t, d in self._query("SELECT t, data FROM series WHERE source = ? ORDER BY t", (kind.value,)):
            yield int(t), str(d)

    def meta(self) -> RunMeta:
        """The run's metadata."""
        return RunMeta({k: json.loads(v) for k, v in self._query("SELECT key, value FROM meta")})

    def seconds(self) -> list[SecondPoint]:
        """k6's seconds in time order."""
        return [codec.decode_point(d) for _, d in self._series(SeriesKind.K6)]

    def count_seconds(self) -> int:
        """How many k6 seconds are recorded."""
        rows = self._query("SELECT COUNT(*) FROM series WHERE source = ?", (SeriesKind.K6.value,))
        return int(next(rows)[0])

    def histograms(self) -> list[HistogramRow]:
        """The per-second latency histograms in time order."""
        return [codec.decode_histogram(t, d) for t, d in self._series(SeriesKind.K6_HIST)]

    def merged_histogram(self) -> dict[int, int]:
        """The whole run's latency histogram (bucket index -> count)."""
        merged: dict[int, int] = {}
        for row in self.histograms():
            for k, v in row.counts.items():
                merged[k] = merged.get(k, 0) + v
        return merged

    def gauge_values(self) -> list[GaugeValuesRow]:
        """The gauges' per-second values in time order."""
        return [codec.decode_gauge_values(t, d) for t, d in self._series(SeriesKind.GAUGES)]

    def container_values(self) -> list[ContainerValuesRow]:
        """The containers' per-second figures in time order."""
        return [codec.decode_container_values(t, d) for t, d in self._series(SeriesKind.CONTAINERS)]

    def ticks(self) -> TickTimeline:
        """What the screen showed at every engine tick (empty for records made before ticks were kept)."""
        rows = self._query("SELECT t, data FROM series WHERE source = ? ORDER BY t", (SeriesKind.TICK.value,))
        return TickTimeline([(int(t), bytes(d)) for t, d in rows])

    def events(self, kind: EventKind | None = None) -> list[EventRow]:
        """Events in the order they were recorded, optionally of one kind."""
        if kind is None:
            rows = self._query("SELECT t, kind, data FROM events ORDER BY id")
        else:
            rows = self._query("SELECT t, kind, data FROM events WHERE kind = ? ORDER BY id", (kind.value,))
        return [codec.decode_event(t, k, d) for t, k, d in rows]

    def output(self) -> list[OutputLine]:
        """The recorded k6 output lines (and loadwatch's own notes among them)."""
        return [
            OutputLine(t, s, x) for t, s, x in self._query("SELECT t, stream, text FROM output ORDER BY id")
        ]

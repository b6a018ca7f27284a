"""The one reader of run records: every query that reads `run.sqlite`, returning the schema's typed rows.

Replay, `loadwatch runs`, `loadwatch show` and the report all read through it. It works on a record that
is still being written (WAL) and on one cut short by a crash.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from runners.model.frames import OutputLine, SecondPoint
from runners.record import codec
from runners.record.liveness import derive_status
from runners.record.schema import (
    DB_NAME,
    ContainerValuesRow,
    EventKind,
    EventRow,
    GaugeValuesRow,
    HistogramRow,
    MetricSecondRow,
    RunMeta,
    SeriesKind,
)
from runners.record.ticks import TickTimeline
from runners.record.wal_check import check_wal


class RecordReadError(RuntimeError):
    """The record cannot be read (not a run folder, a damaged database)."""


def is_run_folder(folder: Path) -> bool:
    """True when the folder holds a run record."""
    return (folder / DB_NAME).is_file()


class RecordReader:
    """Reads one run record. Use as a context manager, or call close()."""

    def __init__(self, run_dir: Path) -> None:
        """Open the record read-only, on read-only media too.

        Args:
            run_dir: The run's folder.

        Raises:
            RecordReadError: when it holds no readable record.
        """
        self.run_dir = run_dir
        self.damage: list[str] = []  # what could not be read; the rest is returned
        self._copy: tempfile.TemporaryDirectory[str] | None = None
        if not is_run_folder(run_dir):
            raise RecordReadError(f"{run_dir} is not a run folder (no {DB_NAME})")
        self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        path = self.run_dir / DB_NAME
        try:
            return _connect(f"file:{path}?mode=ro")
        except sqlite3.DatabaseError as exc:
            first = exc
        # A WAL record needs its `-shm` beside it, which read-only media cannot hold. Without a log to
        # replay the file is complete (immutable); with one, a private copy is read instead.
        wal = path.with_name(path.name + "-wal")
        try:
            if not (wal.is_file() and wal.stat().st_size):
                return _connect(f"file:{path}?immutable=1")
            self._copy = tempfile.TemporaryDirectory(prefix="loadwatch-read-")
            for src in (path, wal):
                shutil.copyfile(src, Path(self._copy.name) / src.name)
            return _connect(f"file:{Path(self._copy.name) / path.name}")
        except (OSError, sqlite3.DatabaseError) as exc:
            self._drop_copy()
            raise RecordReadError(
                f"cannot read the run record in {self.run_dir}: {first}"
                + ("" if str(exc) == str(first) else f" (read-only fallback: {exc})")
            ) from exc

    def check(self) -> list[str]:
        """Look for damage (the database's pages, the write-ahead log); adds to and returns `damage`."""
        rows = [str(r[0]) for r in self._query("PRAGMA quick_check(5)", (), "integrity check")]
        if rows and rows != ["ok"]:
            self.damage.append("the database is damaged: " + "; ".join(rows))
        wal = check_wal(self.run_dir / (DB_NAME + "-wal"))
        if wal is not None and wal.damaged:
            self.damage.append(
                f"{wal.lost} of {wal.frames} frames of the write-ahead log are unreadable: what was written "
                "after the damaged frame is missing from the record"
            )
        return self.damage

    def _drop_copy(self) -> None:
        if self._copy is not None:
            self._copy.cleanup()
            self._copy = None

    def __enter__(self) -> RecordReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the database."""
        self._db.close()
        self._drop_copy()

    def _query(self, sql: str, args: tuple[Any, ...] = (), what: str = "") -> Iterator[tuple[Any, ...]]:
        """Rows until the end or the first damaged page: what comes before is kept, the damage is noted."""
        try:
            yield from self._db.execute(sql, args)
        except sqlite3.DatabaseError as exc:
            self.damage.append(f"{what or sql.rsplit(' FROM ', maxsplit=1)[-1].split(maxsplit=1)[0]}: {exc}")

    def _series(self, kind: SeriesKind) -> Iterator[tuple[int, str]]:
        for t, d in self._query("SELECT t, data FROM series WHERE source = ? ORDER BY t", (kind.value,)):
            yield int(t), str(d)

    def meta(self) -> RunMeta:
        """The run's metadata."""
        raw = {k: json.loads(v) for k, v in self._query("SELECT key, value FROM meta")}
        return RunMeta(derive_status(raw))  # a run whose writer is gone reads as crashed

    def seconds(self) -> list[SecondPoint]:
        """k6's seconds in time order."""
        return [codec.decode_point(d) for _, d in self._series(SeriesKind.K6)]

    def count_seconds(self) -> int:
        """How many k6 seconds are recorded."""
        rows = self._query("SELECT COUNT(*) FROM series WHERE source = ?", (SeriesKind.K6.value,))
        return int(next(rows, (0,))[0])

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

    def metric_seconds(self) -> list[MetricSecondRow]:
        """k6's metric series second by second, in time order (empty for records made before they were kept)."""
        rows = self._query(
            "SELECT t, data FROM series WHERE source = ? ORDER BY t", (SeriesKind.METRICS.value,)
        )
        return [codec.decode_metric_second(int(t), d) for t, d in rows]

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


def _connect(uri: str) -> sqlite3.Connection:
    db = sqlite3.connect(uri, uri=True)
    try:
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # opening is lazy: read once now
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db

"""The run record on disk: one folder per run with a SQLite database in WAL mode.

Every second the engine writes the closed seconds and events and commits; a crash or `kill -9` of
loadwatch therefore loses at most the second in progress. WAL keeps readers (`loadwatch runs`, replay)
working while a run is being written.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from runners.model.frames import OutputLine, SecondPoint
from runners.model.run_view import FrameParts
from runners.record import codec
from runners.record.schema import DB_NAME, ContainerValues, EventKind, SeriesKind
from runners.record.ticks import TickEncoder, tick_ms

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS series (source TEXT NOT NULL, t INTEGER NOT NULL, data TEXT NOT NULL,
                                   PRIMARY KEY (source, t));
CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, t REAL NOT NULL, kind TEXT NOT NULL,
                                   data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS output (id INTEGER PRIMARY KEY, t REAL NOT NULL, stream TEXT NOT NULL,
                                   text TEXT NOT NULL);
"""


def default_runs_dir() -> Path:
    """`$XDG_DATA_HOME/loadwatch/runs`, or `~/.local/share/loadwatch/runs`."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "loadwatch" / "runs"


def new_run_dir(runs_dir: Path, name: str) -> Path:
    """Create a fresh folder `YYYYmmdd-HHMMSS-name` (suffixed if taken)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime())
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name)[:40] or "run"
    runs_dir.mkdir(parents=True, exist_ok=True)
    for i in range(1000):
        d = runs_dir / (f"{stamp}-{safe}" + (f"-{i}" if i else ""))
        try:
            d.mkdir()
        except FileExistsError:
            continue
        return d
    raise RuntimeError(f"no free run folder name under {runs_dir}")


class RecordStartError(OSError):
    """The run record cannot be created (disk full, no permission): nothing was started."""


MAX_PENDING_BYTES = 32 << 20  # what a full disk may hold back in memory (about 30 min at the disk budget)


class RunRecorder:
    """Writes one run. Used under the journal's lock; a write error is kept, not raised.

    Rows wait in memory until commit(), which writes them in one transaction. When that fails (a full
    disk), they stay and the next commit tries again, so nothing measured is lost when space returns.
    What waits is bounded: past MAX_PENDING_BYTES the oldest output lines go first, then the oldest
    seconds; marks, events and metadata are kept.
    """

    def __init__(self, run_dir: Path) -> None:
        """Create the record.

        Raises:
            RecordStartError: naming the folder and the cause (a full disk, no permission).
        """
        self.run_dir = run_dir
        path = run_dir / DB_NAME
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))  # SQLite's -wal and -shm copy its mode
            self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise RecordStartError(f"cannot create the run record in {run_dir}: {_cause(exc)}") from exc
        self._meta: dict[str, str] = {}
        self._series: dict[tuple[str, int], str | bytes] = {}
        self._events: list[tuple[float, str, str]] = []
        self._output: list[tuple[float, str, str]] = []
        self._pending_bytes = 0
        self.error: str | None = None  # why the last commit failed; None once one succeeds
        self.failing_since: float | None = None  # wall time of the first failed commit in a row
        self.lost_rows = 0  # rows dropped from memory while the disk stayed full
        self.commits = 0
        self._ticks = TickEncoder()

    @property
    def pending_rows(self) -> int:
        """Rows waiting in memory to be written."""
        return len(self._meta) + len(self._series) + len(self._events) + len(self._output)

    def set_meta(self, **values: Any) -> None:
        """Store metadata keys (JSON values)."""
        for k, v in values.items():
            self._meta[k] = json.dumps(v, default=str)
            self._pending_bytes += len(self._meta[k])

    def _add_series(self, kind: SeriesKind, rows: Iterable[tuple[int, str | bytes]]) -> None:
        for t, d in rows:
            self._series[(kind.value, t)] = d  # a second written again replaces the one waiting
            self._pending_bytes += len(d)
        self._bound()

    def add_seconds(self, points: Iterable[SecondPoint]) -> None:
        """Store k6 seconds (a second still open is stored again, whole, once it closes)."""
        self._add_series(SeriesKind.K6, [(p.t, codec.encode_point(p)) for p in points])

    def add_histograms(self, hists: Iterable[tuple[int, Mapping[int, int]]]) -> None:
        """Store per-second latency histograms (bucket index -> count) so replay and reports can merge them."""
        self._add_series(SeriesKind.K6_HIST, [(t, codec.encode_histogram(h)) for t, h in hists])

    def add_metric_seconds(
        self, rows: Iterable[tuple[int, Mapping[str, Mapping[str, float | None]]]]
    ) -> None:
        """Store seconds of k6's metric series (runners.k6.metric_seconds), one row per closed second."""
        self._add_series(SeriesKind.METRICS, [(t, codec.encode_metric_second(s)) for t, s in rows])

    def add_gauge_values(self, t: int, values: Mapping[tuple[str, str], float]) -> None:
        """Store one second of the gauges' ok values, keyed (gauge, series)."""
        self._add_series(SeriesKind.GAUGES, [(t, codec.encode_gauge_values(values))])

    def add_container_values(self, t: int, per: Mapping[str, ContainerValues]) -> None:
        """Store one second of the followed containers' figures."""
        self._add_series(SeriesKind.CONTAINERS, [(t, codec.encode_container_values(per))])

    def add_tick(self, t: float, parts: FrameParts) -> None:
        """Store what the screen shows at the tick at wall time `t` (the fields that changed since the last)."""
        self._add_series(SeriesKind.TICK, [(tick_ms(t), self._ticks.encode(parts))])

    def add_event(self, kind: EventKind, data: Mapping[str, Any], t: float | None = None) -> None:
        """Store an event (state change, mark, breach...)."""
        row = (time.time() if t is None else t, kind.value, codec.encode_event(data))
        self._events.append(row)
        self._pending_bytes += len(row[2])

    def add_output(self, lines: Iterable[OutputLine]) -> None:
        """Store lines k6 printed."""
        rows = codec.output_rows(lines)
        self._output.extend(rows)
        self._pending_bytes += sum(len(r[2]) for r in rows)
        self._bound()

    def _bound(self) -> None:
        if self._pending_bytes <= MAX_PENDING_BYTES:
            return
        while self._output and self._pending_bytes > MAX_PENDING_BYTES * 3 // 4:
            self._pending_bytes -= len(self._output.pop(0)[2])
            self.lost_rows += 1
        while self._series and self._pending_bytes > MAX_PENDING_BYTES * 3 // 4:
            key = next(iter(self._series))
            self._pending_bytes -= len(self._series.pop(key))
            self.lost_rows += 1
            if key[0] == SeriesKind.TICK.value:
                self._ticks.forget()  # tick rows hold changes: the next one must hold every field again

    def commit(self) -> bool:
        """Write everything waiting in one transaction; True when it is on disk.

        On failure everything stays in memory for the next call, and `error` says why.
        """
        if not self.pending_rows:
            return self.error is None
        try:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", self._meta.items())
            self.db.executemany(
                "INSERT OR REPLACE INTO series(source, t, data) VALUES (?, ?, ?)",
                [(src, t, d) for (src, t), d in self._series.items()],
            )
            self.db.executemany("INSERT INTO events(t, kind, data) VALUES (?, ?, ?)", self._events)
            self.db.executemany("INSERT INTO output(t, stream, text) VALUES (?, ?, ?)", self._output)
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:  # disk full and friends: keep it all, report, keep the run going
            if self.db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self.db.execute("ROLLBACK")
            self.error = f"run record not saved: {_cause(exc)}"
            self.failing_since = self.failing_since or time.time()
            return False
        self._meta, self._series, self._events, self._output = {}, {}, [], []
        self._pending_bytes = 0
        self.error = None
        self.failing_since = None
        self.commits += 1
        return True

    def write_json(self, name: str, data: Any) -> Path:
        """Write a JSON file into the run folder atomically (owner-only).

        Raises:
            OSError: when it cannot be written (the partial file is removed).
        """
        path = self.run_dir / name
        tmp = path.with_suffix(path.suffix + ".tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(json.dumps(data, indent=2, default=str) + "\n")
            tmp.replace(path)
        except OSError:
            tmp.unlink(missing_ok=True)
            raise
        return path

    def close(self) -> bool:
        """Write what waits and close the database; True when everything reached the disk."""
        saved = self.commit()
        try:
            self.db.close()
        except sqlite3.Error as exc:
            self.error = f"run record close failed: {_cause(exc)}"
            return False
        return saved


def _cause(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc)
    return "disk full" if "disk is full" in text else text

"""The run record on disk: one folder per run with a SQLite database in WAL mode.

Every second the engine writes the closed seconds and events and commits; a crash or `kill -9` of
loadwatch therefore loses at most the second in progress. WAL keeps readers (`loadwatch runs`, replay)
working while a run is being written.
"""

from __future__ import annotations

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


class RunRecorder:
    """Writes one run. Used from the engine's thread only; a write error is kept, not raised."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.db = sqlite3.connect(run_dir / DB_NAME, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self.db.execute("BEGIN")
        self.error: str | None = None
        self._ticks = TickEncoder()

    def _run(self, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
        if self.error is not None:
            return
        try:
            self.db.executemany(sql, rows)
        except sqlite3.Error as exc:  # disk full and friends: report, keep the run going
            self.error = f"run record write failed: {exc}"

    def set_meta(self, **values: Any) -> None:
        """Store metadata keys (JSON values)."""
        self._run(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
            [(k, json.dumps(v, default=str)) for k, v in values.items()],
        )

    def _series(self, kind: SeriesKind, rows: Iterable[tuple[int, str | bytes]]) -> None:
        self._run(
            "INSERT OR REPLACE INTO series(source, t, data) VALUES (?, ?, ?)",
            [(kind.value, t, d) for t, d in rows],
        )

    def add_seconds(self, points: Iterable[SecondPoint]) -> None:
        """Store k6 seconds (a second still open is stored again, whole, once it closes)."""
        self._series(SeriesKind.K6, [(p.t, codec.encode_point(p)) for p in points])

    def add_histograms(self, hists: Iterable[tuple[int, Mapping[int, int]]]) -> None:
        """Store per-second latency histograms (bucket index -> count) so replay and reports can merge them."""
        self._series(SeriesKind.K6_HIST, [(t, codec.encode_histogram(h)) for t, h in hists])

    def add_gauge_values(self, t: int, values: Mapping[tuple[str, str], float]) -> None:
        """Store one second of the gauges' ok values, keyed (gauge, series)."""
        self._series(SeriesKind.GAUGES, [(t, codec.encode_gauge_values(values))])

    def add_container_values(self, t: int, per: Mapping[str, ContainerValues]) -> None:
        """Store one second of the followed containers' figures."""
        self._series(SeriesKind.CONTAINERS, [(t, codec.encode_container_values(per))])

    def add_tick(self, t: float, parts: FrameParts) -> None:
        """Store what the screen shows at the tick at wall time `t` (the fields that changed since the last)."""
        self._series(SeriesKind.TICK, [(tick_ms(t), self._ticks.encode(parts))])

    def add_event(self, kind: EventKind, data: Mapping[str, Any], t: float | None = None) -> None:
        """Store an event (state change, mark, breach...)."""
        self._run(
            "INSERT INTO events(t, kind, data) VALUES (?, ?, ?)",
            [(time.time() if t is None else t, kind.value, codec.encode_event(data))],
        )

    def add_output(self, lines: Iterable[OutputLine]) -> None:
        """Store lines k6 printed."""
        self._run("INSERT INTO output(t, stream, text) VALUES (?, ?, ?)", codec.output_rows(lines))

    def commit(self) -> None:
        """Make everything written so far durable, and start the next transaction."""
        if self.error is not None:
            return
        try:
            self.db.execute("COMMIT")
            self.db.execute("BEGIN")
        except sqlite3.Error as exc:
            self.error = f"run record commit failed: {exc}"

    def write_json(self, name: str, data: Any) -> Path:
        """Write a JSON file into the run folder atomically."""
        path = self.run_dir / name
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
        tmp.replace(path)
        return path

    def close(self) -> None:
        """Commit and close the database."""
        try:
            if self.db.in_transaction:
                self.db.execute("COMMIT")
            self.db.close()
        except sqlite3.Error as exc:
            self.error = f"run record close failed: {exc}"

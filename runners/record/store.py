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
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from runners.model.frames import OutputLine, SecondPoint

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS series (source TEXT NOT NULL, t INTEGER NOT NULL, data TEXT NOT NULL,
                                   PRIMARY KEY (source, t));
CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, t REAL NOT NULL, kind TEXT NOT NULL,
                                   data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS output (id INTEGER PRIMARY KEY, t REAL NOT NULL, stream TEXT NOT NULL,
                                   text TEXT NOT NULL);
"""
DB_NAME = "run.sqlite"


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

    def add_seconds(self, source: str, points: Iterable[SecondPoint]) -> None:
        """Store closed per-second points of one source."""
        self._run(
            "INSERT OR REPLACE INTO series(source, t, data) VALUES (?, ?, ?)",
            [(source, p.t, json.dumps(asdict(p), separators=(",", ":"))) for p in points],
        )

    def add_histograms(self, source: str, hists: Iterable[tuple[int, dict[int, int]]]) -> None:
        """Store per-second latency histograms (bucket index -> count) so replay and reports can merge them."""
        self._run(
            "INSERT OR REPLACE INTO series(source, t, data) VALUES (?, ?, ?)",
            [(source, t, json.dumps(h, separators=(",", ":"))) for t, h in hists],
        )

    def add_json_series(self, source: str, t: int, data: dict[str, Any]) -> None:
        """Store one second of another source (gauges, containers) as JSON."""
        self._run(
            "INSERT OR REPLACE INTO series(source, t, data) VALUES (?, ?, ?)",
            [(source, t, json.dumps(data, separators=(",", ":"), default=str))],
        )

    def add_event(self, kind: str, data: dict[str, Any], t: float | None = None) -> None:
        """Store an event (state change, mark, breach...)."""
        self._run(
            "INSERT INTO events(t, kind, data) VALUES (?, ?, ?)",
            [(time.time() if t is None else t, kind, json.dumps(data, default=str))],
        )

    def add_output(self, lines: Iterable[OutputLine]) -> None:
        """Store lines k6 printed."""
        self._run(
            "INSERT INTO output(t, stream, text) VALUES (?, ?, ?)", [(x.t, x.stream, x.text) for x in lines]
        )

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


class RunReader:
    """Reads a run record, also while it is being written."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        uri = f"file:{run_dir / DB_NAME}?mode=ro"
        self.db = sqlite3.connect(uri, uri=True)

    def meta(self) -> dict[str, Any]:
        """All metadata keys."""
        return {k: json.loads(v) for k, v in self.db.execute("SELECT key, value FROM meta")}

    def seconds(self, source: str = "k6") -> Iterator[dict[str, Any]]:
        """The per-second points of a source in time order."""
        for (data,) in self.db.execute("SELECT data FROM series WHERE source = ? ORDER BY t", (source,)):
            yield json.loads(data)

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Events in time order, optionally of one kind."""
        sql = "SELECT t, kind, data FROM events" + (" WHERE kind = ?" if kind else "") + " ORDER BY id"  # noqa: S608 - fixed text
        rows = self.db.execute(sql, (kind,) if kind else ())
        # The row's time and kind win over same-named keys in the data (a breach's own `kind` is its
        # transition, also stored as `transition`).
        return [{**json.loads(d), "t": t, "kind": k} for t, k, d in rows]

    def output(self) -> list[tuple[float, str, str]]:
        """The recorded k6 output lines."""
        return list(self.db.execute("SELECT t, stream, text FROM output ORDER BY id"))

    def close(self) -> None:
        """Close the database."""
        self.db.close()

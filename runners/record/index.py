"""Lists run records and reads one whole, for `loadwatch runs` and `loadwatch show RUN --json`."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runners.record.store import DB_NAME, RunReader


class RunNotFoundError(LookupError):
    """No run matches what the user asked for."""


@dataclass(frozen=True, slots=True)
class RunListing:
    """One line of `loadwatch runs`."""

    name: str
    folder: Path
    started_at: float | None
    duration_s: float | None
    status: str
    peak_rps: float | None
    p95_ms: float | None
    breaches: int
    marks: int


def run_folders(runs_dir: Path) -> list[Path]:
    """Run folders under `runs_dir`, oldest first."""
    if not runs_dir.is_dir():
        return []
    return sorted(d for d in runs_dir.iterdir() if (d / DB_NAME).is_file())


def resolve_run(runs_dir: Path, which: str) -> Path:
    """A run folder from a path, a folder name, a unique prefix or suffix of one, or `last`.

    Raises:
        RunNotFoundError: naming what was looked for and where.
    """
    direct = Path(which).expanduser()
    if (direct / DB_NAME).is_file():
        return direct
    folders = run_folders(runs_dir)
    if which in ("last", "latest") and folders:
        return folders[-1]
    exact = [d for d in folders if d.name == which]
    if exact:
        return exact[0]
    matches = [d for d in folders if d.name.startswith(which) or d.name.endswith(which)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        names = ", ".join(d.name for d in matches[:5])
        raise RunNotFoundError(f"{which!r} matches {len(matches)} runs in {runs_dir}: {names}")
    raise RunNotFoundError(f"no run {which!r} in {runs_dir} (see `loadwatch runs`)")


BASELINE_FILE = "baseline"


def set_baseline(runs_dir: Path, folder: Path | None) -> Path | None:
    """Remember which run reports compare against by default (None forgets it)."""
    marker = runs_dir / BASELINE_FILE
    if folder is None:
        marker.unlink(missing_ok=True)
        return None
    runs_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text(str(folder.resolve()) + "\n")
    return folder


def get_baseline(runs_dir: Path) -> Path | None:
    """The baseline run set with `loadwatch runs --set-baseline`, if it still exists."""
    try:
        folder = Path((runs_dir / BASELINE_FILE).read_text().strip())
    except OSError:
        return None
    return folder if (folder / DB_NAME).is_file() else None


def listing(folder: Path) -> RunListing:
    """Read one run's line; a run still being written (or cut short by a crash) is listed too."""
    reader = RunReader(folder)
    try:
        meta = reader.meta()
        seconds = list(reader.seconds())
        events = reader.events()
    except sqlite3.Error:
        return RunListing(folder.name, folder, None, None, "unreadable", None, None, 0, 0)
    finally:
        reader.close()
    summary = read_summary(folder)
    started = meta.get("started_at")
    ended = meta.get("ended_at") or (seconds[-1]["t"] + 1 if seconds else None)
    p95 = (summary.get("latency_ms") or {}).get("p95") if summary else None
    if p95 is None and seconds:
        p95 = max((s["window"]["p95"] or 0.0) for s in seconds) or None
    return RunListing(
        name=str(meta.get("name", folder.name)),
        folder=folder,
        started_at=started,
        duration_s=(ended - started) if started and ended else None,
        status=str(meta.get("status", "unknown")),
        peak_rps=max((s["requests"] for s in seconds), default=None),
        p95_ms=p95,
        breaches=sum(1 for e in events if e["kind"] == "breach" and e.get("transition") in ("firing", None)),
        marks=sum(1 for e in events if e["kind"] == "mark"),
    )


def read_summary(folder: Path) -> dict[str, Any] | None:
    """The run's summary.json, if it was written."""
    try:
        data: dict[str, Any] = json.loads((folder / "summary.json").read_text())
    except (OSError, ValueError):
        return None
    return data


def show(folder: Path) -> dict[str, Any]:
    """One run's record for scripts: metadata, summary, marks, breaches, events, snapshots."""
    reader = RunReader(folder)
    try:
        meta = reader.meta()
        events = reader.events()
        n_seconds = sum(1 for _ in reader.seconds())
    finally:
        reader.close()
    snapshots = (
        sorted(str(p) for p in (folder / "snapshots").glob("*")) if (folder / "snapshots").is_dir() else []
    )
    return {
        "run_dir": str(folder),
        "meta": meta,
        "summary": read_summary(folder),
        "marks": [e for e in events if e["kind"] == "mark"],
        "breaches": [e for e in events if e["kind"] == "breach"],
        "events": events,
        "snapshots": snapshots,
        "seconds_recorded": n_seconds,
    }

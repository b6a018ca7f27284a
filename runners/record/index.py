"""Lists run records and reads one whole, for `loadwatch runs` and `loadwatch show RUN --json`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runners.record.reader import RecordReader, RecordReadError, is_run_folder
from runners.record.schema import EventKind


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
    return sorted(d for d in runs_dir.iterdir() if is_run_folder(d))


def resolve_run(runs_dir: Path, which: str) -> Path:
    """A run folder from a path, a folder name, a unique prefix or suffix of one, or `last`.

    Raises:
        RunNotFoundError: naming what was looked for and where.
    """
    direct = Path(which).expanduser()
    if is_run_folder(direct):
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
    return folder if is_run_folder(folder) else None


def listing(folder: Path) -> RunListing:
    """Read one run's line; a run still being written (or cut short by a crash) is listed too."""
    try:
        with RecordReader(folder) as reader:
            meta = reader.meta()
            seconds = reader.seconds()
            events = reader.events()
            damaged = bool(reader.damage)
    except RecordReadError:
        return RunListing(folder.name, folder, None, None, "unreadable", None, None, 0, 0)
    summary = read_summary(folder)
    started = meta.started_at
    ended = meta.ended_at or (seconds[-1].t + 1 if seconds else None)
    p95 = (summary.get("latency_ms") or {}).get("p95") if summary else None
    if p95 is None and seconds:
        p95 = max((s.window.p95 or 0.0) for s in seconds) or None
    return RunListing(
        name=meta.name or folder.name,
        folder=folder,
        started_at=started,
        duration_s=(ended - started) if started and ended else None,
        status=f"{meta.status} (damaged)" if damaged else meta.status,
        peak_rps=max((s.requests for s in seconds), default=None),
        p95_ms=p95,
        breaches=sum(1 for e in events if e.kind is EventKind.BREACH and e.transition in ("firing", "")),
        marks=sum(1 for e in events if e.kind is EventKind.MARK),
    )


def read_summary(folder: Path) -> dict[str, Any] | None:
    """The run's summary.json; for a run cut short, the summary so far kept in the record (`partial`)."""
    try:
        data: dict[str, Any] = json.loads((folder / "summary.json").read_text())
    except (OSError, ValueError):
        return _summary_so_far(folder)
    return data


def _summary_so_far(folder: Path) -> dict[str, Any] | None:
    try:
        with RecordReader(folder) as reader:
            meta = reader.meta()
    except RecordReadError:
        return None
    so_far = meta.get("summary_so_far")
    if not isinstance(so_far, dict) or not so_far:
        return None
    return {**so_far, "partial": True, "status": meta.status, "status_detail": meta.status_detail}


def show(folder: Path) -> dict[str, Any]:
    """One run's record for scripts: metadata, summary, marks, breaches, events, snapshots."""
    with RecordReader(folder) as reader:
        meta = reader.meta()
        events = reader.events()
        n_seconds = reader.count_seconds()
        damage = reader.check()
    snapshots = (
        sorted(str(p) for p in (folder / "snapshots").glob("*")) if (folder / "snapshots").is_dir() else []
    )
    return {
        "run_dir": str(folder),
        "meta": dict(meta.raw),
        "summary": read_summary(folder),
        "marks": [e.as_dict() for e in events if e.kind is EventKind.MARK],
        "breaches": [e.as_dict() for e in events if e.kind is EventKind.BREACH],
        "events": [e.as_dict() for e in events],
        "snapshots": snapshots,
        "seconds_recorded": n_seconds,
        "damage": damage,  # what could not be read: the rest above is what was salvaged
    }

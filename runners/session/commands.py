"""What the command line says about sessions: how to attach, which run to attach to, which runs are live."""

from __future__ import annotations

import time
from pathlib import Path

from runners.session.launch import HostReady
from runners.session.registry import SessionInfo, Sessions, scan


def detached_message(ready: HostReady) -> str:
    """The lines `--detach` prints: where the run records, and how to watch or stop it.

    Args:
        ready: The host's answer.

    Returns:
        The text.
    """
    folder = ready.run_dir.name
    return "\n".join([
        f"loadwatch: run {ready.run_name} is running detached (engine pid {ready.pid})",
        f"  record:  {ready.run_dir}",
        f"  watch:   loadwatch attach {folder}",
        f"           loadwatch attach {folder} --read-only",
        "  live:    loadwatch runs --live",
        "  stop:    attach and press a (or: kill -TERM " + str(ready.pid) + ")",
    ])  # fmt: skip


def _matches(info: SessionInfo, which: str) -> bool:
    folder = Path(info.run_dir).name
    return (
        which in (str(info.pid), info.run_name, folder, info.run_dir)
        or folder.startswith(which)
        or folder.endswith(which)
    )


def choose_session(runs_dir: Path, which: str | None) -> tuple[SessionInfo | None, str]:
    """The live run to attach to: the one named, or the only one (the only one in `runs_dir`, when several).

    Args:
        runs_dir: The runs folder in use.
        which: Run folder, name, prefix/suffix or engine pid; None for the only live run.

    Returns:
        The session, or None and why not.
    """
    found = scan(runs_dir)
    crashed = [c for c in found.crashed if which is None or _matches(c, which)]
    candidates = list(found.live) if which is None else [s for s in found.live if _matches(s, which)]
    here = [c for c in candidates if Path(c.run_dir).parent == runs_dir]
    if which is None and len(candidates) > 1 and len(here) == 1:  # several: the one in this runs folder
        candidates = here
    if len(candidates) == 1:
        return candidates[0], ""
    if candidates:
        names = ", ".join(f"{Path(s.run_dir).name} (pid {s.pid})" for s in candidates)
        return None, f"{len(candidates)} live runs: name one of {names}"
    note = "".join(
        f"; run {Path(c.run_dir).name} crashed (engine pid {c.pid} is gone): `loadwatch replay {c.run_dir}` "
        "shows what was recorded"
        for c in crashed
    )
    what = "no live run" if which is None else f"no live run matches {which!r}"
    return None, f"{what} (see `loadwatch runs --live`){note}"


def live_table(found: Sessions) -> str:
    """`loadwatch runs --live`: each live run with its engine and how to attach.

    Args:
        found: A scan.

    Returns:
        The text.
    """
    lines = [f"{'run':<40} {'engine pid':>10} {'up':>8}  attach with"]
    now = time.time()
    for s in found.live:
        folder = Path(s.run_dir).name
        up = f"{now - s.started_at:.0f}s"
        lines.append(f"{folder:<40} {s.pid:>10} {up:>8}  loadwatch attach {folder}")
    if not found.live:
        lines.append("(no live runs)")
    for c in found.crashed:
        lines.append(f"{Path(c.run_dir).name:<40} {c.pid:>10} {'-':>8}  crashed: its engine is gone "
                     "(stale socket removed)")  # fmt: skip
    return "\n".join(lines)


def _engine_named_by(folder: Path) -> SessionInfo | None:
    """The engine process a record names (meta `engine_pid`), if it names one."""
    from runners.record.reader import (  # only `runs` needs it: attach starts faster
        RecordReader,
        RecordReadError,
    )

    try:
        with RecordReader(folder) as reader:
            meta = reader.meta().raw
    except (RecordReadError, OSError, ValueError):  # an unreadable record keeps the status it has
        return None
    if not meta.get("engine_pid"):
        return None
    return SessionInfo(
        int(meta["engine_pid"]), float(meta.get("engine_pid_started") or 0.0), "", str(folder), "", 0.0
    )


def live_status(status: str, folder: Path, found: Sessions) -> str:
    """The status `loadwatch runs` shows: the record's, marked live, or crashed when its engine is gone.

    Args:
        status: The status the record holds.
        folder: The run folder.
        found: A scan of live sessions.

    Returns:
        The status to show.
    """
    if status not in ("starting", "running", "stopping"):
        return status
    if any(Path(s.run_dir) == folder for s in found.live):
        return f"{status} (live)"
    if any(Path(c.run_dir) == folder for c in found.crashed):
        return "crashed"
    named = _engine_named_by(folder)
    if named is not None and not named.alive:
        return "crashed"
    return status

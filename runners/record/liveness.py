"""Tells a run that is still being written from one whose process is gone (a `kill -9`, a power cut).

The writer records its PID, the PID's start time and a heartbeat each tick. A record that never got its
final status, whose process no longer exists, reads as crashed at its last heartbeat.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Mapping
from typing import Any

import psutil

ACTIVE = ("starting", "running", "stopping")
CRASHED = "crashed"
STALE_S = 30.0  # a record from another host: its writer is presumed gone after this long without a beat


def process_start_time(pid: int) -> float | None:
    """When process `pid` started (wall time), None when there is no such process."""
    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.Error, OSError):
        return None


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def writer_alive(raw: Mapping[str, Any], now: float | None = None) -> bool:
    """Whether the process that writes this record still runs (on another host: a recent heartbeat)."""
    pid, started, beat = raw.get("pid"), _num(raw.get("pid_started")), _num(raw.get("heartbeat_t"))
    if not isinstance(pid, int) or started is None:
        return beat is None or (now or time.time()) - beat < STALE_S  # an older record: cannot tell
    if raw.get("host") not in (None, platform.node()):
        return beat is not None and (now or time.time()) - beat < STALE_S
    current = process_start_time(pid)
    return current is not None and abs(current - started) < 1.0  # the same process, not a reused PID


def derive_status(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The metadata with the status a reader should show: a run left active by a gone writer is crashed.

    Args:
        raw: The record's metadata as stored.

    Returns:
        The same keys; for a crashed run `status` is "crashed", `status_detail` says when, and
        `recorded_status` keeps what was stored.
    """
    status = raw.get("status")
    if status not in ACTIVE or raw.get("ended_at") is not None or writer_alive(raw):
        return dict(raw)
    last = _num(raw.get("heartbeat_t")) or _num(raw.get("started_at"))
    when = time.strftime("%H:%M:%S", time.localtime(last)) if last else "an unknown time"
    return {
        **raw,
        "status": CRASHED,
        "status_detail": f"crashed at {when}: loadwatch stopped without finishing the record (it was {status})",
        "recorded_status": status,
        "crashed_at": last,
    }

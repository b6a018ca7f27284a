"""The docker CLI's `docker stats` formulas over one stats-stream frame, for cgroup v1 and v2."""

from __future__ import annotations

import calendar
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ZERO_TIME_PREFIX = "0001-"
"""`read` of a frame for a container that is not running: the stream never ends by itself, so stop there."""


@dataclass(frozen=True, slots=True)
class FrameReading:
    """The numbers of one stats frame; counters are cumulative (rates come from two frames)."""

    read_ns: int | None
    cpu_pct: float | None
    mem_used: int | None
    mem_limit: int | None
    mem_pct: float | None
    net_rx: int | None
    net_tx: int | None
    blk_read: int
    blk_write: int
    pids: int | None


def parse_time_ns(text: str | None) -> int | None:
    """Unix nanoseconds of a daemon timestamp (`2026-11-22T09:56:56.824782225Z`); None for the zero time.

    Args:
        text: The RFC 3339 timestamp in UTC, as the daemon writes it.

    Returns:
        Nanoseconds since the epoch, or None when absent, zero (`0001-...`) or unreadable.
    """
    if not text or text.startswith(ZERO_TIME_PREFIX):
        return None
    body = text.rstrip("Z")
    whole, _, fraction = body.partition(".")
    try:
        seconds = calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S"))
        nanos = int((fraction[:9]).ljust(9, "0")) if fraction else 0
    except ValueError:
        return None
    return seconds * 1_000_000_000 + nanos


def cpu_percent(frame: Mapping[str, Any]) -> float | None:
    """CPU % of one core between the frame's `precpu_stats` and `cpu_stats` (`calculateCPUPercentUnix`).

    Args:
        frame: One decoded stats frame.

    Returns:
        The percent (up to cores x 100), or None when the frame has no previous reading (the first frame).
    """
    cpu = frame.get("cpu_stats") or {}
    pre = frame.get("precpu_stats") or {}
    usage = cpu.get("cpu_usage") or {}
    if not pre.get("system_cpu_usage") or not cpu.get("system_cpu_usage"):
        return None
    cpu_delta = usage.get("total_usage", 0) - (pre.get("cpu_usage") or {}).get("total_usage", 0)
    sys_delta = cpu["system_cpu_usage"] - pre["system_cpu_usage"]
    online = cpu.get("online_cpus") or len(usage.get("percpu_usage") or []) or 1
    if sys_delta <= 0 or cpu_delta <= 0:
        return 0.0
    return float(cpu_delta / sys_delta * online * 100.0)


def memory_used(memory: Mapping[str, Any]) -> int | None:
    """Memory in use without inactive file cache (`calculateMemUsageUnixNoCache`), cgroup v1 or v2.

    Args:
        memory: The frame's `memory_stats` (empty for a container that is not running).

    Returns:
        Bytes in use, or None when the frame has no memory reading.
    """
    if "usage" not in memory:
        return None
    usage = int(memory["usage"])
    detail = memory.get("stats") or {}
    if "total_inactive_file" in detail and detail["total_inactive_file"] < usage:  # cgroup v1
        return usage - int(detail["total_inactive_file"])
    if 0 < detail.get("inactive_file", 0) < usage:  # cgroup v2
        return usage - int(detail["inactive_file"])
    return usage


def _blkio(frame: Mapping[str, Any]) -> tuple[int, int]:
    entries = (frame.get("blkio_stats") or {}).get("io_service_bytes_recursive") or []
    read = write = 0
    for entry in entries:
        op = str(entry.get("op", "")).lower()  # "Read" on cgroup v1, "read" on v2
        if op == "read":
            read += int(entry.get("value", 0))
        elif op == "write":
            write += int(entry.get("value", 0))
    return read, write


def read_frame(frame: Mapping[str, Any]) -> FrameReading:
    """The numbers of one decoded stats frame.

    Args:
        frame: One frame of `GET /containers/{id}/stats?stream=1`.

    Returns:
        Its reading; `networks` is absent for `--network none` and `host`, so network counters are None then.
    """
    memory = frame.get("memory_stats") or {}
    used = memory_used(memory)
    limit = int(memory["limit"]) if memory.get("limit") else None
    networks = frame.get("networks")
    rx = tx = None
    if networks:
        rx = sum(int(n.get("rx_bytes", 0)) for n in networks.values())
        tx = sum(int(n.get("tx_bytes", 0)) for n in networks.values())
    blk_read, blk_write = _blkio(frame)
    pids = (frame.get("pids_stats") or {}).get("current")
    return FrameReading(
        read_ns=parse_time_ns(frame.get("read")),
        cpu_pct=cpu_percent(frame),
        mem_used=used,
        mem_limit=limit,
        mem_pct=used / limit * 100.0 if used is not None and limit else None,
        net_rx=rx,
        net_tx=tx,
        blk_read=blk_read,
        blk_write=blk_write,
        pids=int(pids) if pids is not None else None,
    )


def _rate(new: int | None, old: int | None, seconds: float) -> float | None:
    if new is None or old is None:
        return None
    return max(0, new - old) / seconds


def rates(previous: FrameReading | None, current: FrameReading) -> tuple[float | None, ...]:
    """Per-second network rx, tx and block read, write between two frames of the same stream.

    Args:
        previous: The frame before (None for the first).
        current: This frame.

    Returns:
        `(net_rx_bps, net_tx_bps, blk_read_bps, blk_write_bps)`, each None when unknown.
    """
    if previous is None or previous.read_ns is None or current.read_ns is None:
        return (None, None, None, None)
    seconds = (current.read_ns - previous.read_ns) / 1e9
    if seconds <= 0:
        return (None, None, None, None)
    return (
        _rate(current.net_rx, previous.net_rx, seconds),
        _rate(current.net_tx, previous.net_tx, seconds),
        _rate(current.blk_read, previous.blk_read, seconds),
        _rate(current.blk_write, previous.blk_write, seconds),
    )

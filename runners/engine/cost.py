"""loadwatch's own CPU, by thread: where the process's time goes during a run (Linux /proc)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _thread_cpu(tid: int) -> float | None:
    try:
        stat = Path(f"/proc/self/task/{tid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14 and 15 of stat)


class ThreadCpu:
    """Keeps the latest CPU seconds of each named thread; threads that ended keep their last reading."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def sample(self) -> None:
        """Read every live thread's CPU time (about 30 µs per thread)."""
        for t in threading.enumerate():
            if t.native_id is None:
                continue
            cpu = _thread_cpu(t.native_id)
            if cpu is not None:
                name = t.name.split(" ", 1)[0]
                key = name if name not in self.seconds or name == t.name else f"{name}#{t.native_id}"
                self.seconds[key] = cpu

    def top(self, n: int = 12) -> dict[str, float]:
        """The n busiest threads, rounded."""
        busiest = sorted(self.seconds.items(), key=lambda kv: -kv[1])[:n]
        return {k: round(v, 2) for k, v in busiest}

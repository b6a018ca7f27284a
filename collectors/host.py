"""The load generator's own health: CPU and memory of the runner box and of the k6 process (psutil)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import psutil


@dataclass(frozen=True, slots=True)
class HostSample:
    """One reading of the runner box and the k6 process. CPU of k6 is % of one core (can pass 100)."""

    t: float
    box_cpu_pct: float
    box_mem_pct: float
    cores: int
    k6_cpu_pct: float | None
    k6_rss_bytes: int | None
    loadwatch_cpu_pct: float
    loadwatch_rss_bytes: int
    error: str | None = None

    @property
    def k6_cpu_share_pct(self) -> float | None:
        """k6's CPU as a share of the whole box (0-100)."""
        return None if self.k6_cpu_pct is None else self.k6_cpu_pct / max(1, self.cores)


class HostCollector:
    """Reads psutil once per tick; keeps Process objects between ticks (cpu_percent needs its baseline)."""

    def __init__(self) -> None:
        self._k6: psutil.Process | None = None
        self._k6_pid: int | None = None
        self._me = psutil.Process()
        self._me.cpu_percent(None)
        psutil.cpu_percent(None)  # the first call only sets the baseline
        self.cores = psutil.cpu_count() or 1
        self.k6_peak_rss: int | None = None  # the largest k6 RSS any sample saw
        self.k6_cpu_s: float | None = None  # k6's CPU seconds at the last sample

    def own_cpu_s(self) -> float:
        """CPU seconds (user + system) this process has used, its children excluded."""
        t = self._me.cpu_times()
        return float(t.user + t.system)

    def watch_k6(self, pid: int | None) -> None:
        """Follow this k6 process from now on."""
        if pid == self._k6_pid:
            return
        self._k6_pid = pid
        self._k6 = None
        if pid is None:
            return
        try:
            self._k6 = psutil.Process(pid)
            self._k6.cpu_percent(None)
        except psutil.Error:
            self._k6 = None

    def sample(self) -> HostSample:
        """Read the box, loadwatch itself and k6 (about 0.2 ms)."""
        k6_cpu: float | None = None
        k6_rss: int | None = None
        error = None
        if self._k6 is not None:
            try:
                with self._k6.oneshot():
                    k6_cpu = self._k6.cpu_percent(None)
                    k6_rss = self._k6.memory_info().rss
                    times = self._k6.cpu_times()
                self.k6_cpu_s = float(times.user + times.system)
                self.k6_peak_rss = max(self.k6_peak_rss or 0, k6_rss)
            except (psutil.NoSuchProcess, psutil.ZombieProcess):
                self._k6 = None
            except psutil.Error as exc:
                error = f"k6 process: {exc}"
        with self._me.oneshot():
            me_cpu = self._me.cpu_percent(None)
            me_rss = self._me.memory_info().rss
        return HostSample(
            t=time.time(),
            box_cpu_pct=psutil.cpu_percent(None),
            box_mem_pct=psutil.virtual_memory().percent,
            cores=self.cores,
            k6_cpu_pct=k6_cpu,
            k6_rss_bytes=k6_rss,
            loadwatch_cpu_pct=me_cpu,
            loadwatch_rss_bytes=me_rss,
            error=error,
        )

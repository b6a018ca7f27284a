"""Warns when the load generator, not the target, is the bottleneck (CPU above a limit for a while)."""

from __future__ import annotations

from collectors.host import HostSample
from runners.model.frames import GeneratorView

LIMIT_PCT = 85.0
FOR_S = 10.0


class GeneratorWatch:
    """Feeds on host samples; saturated once the box or k6 stays above LIMIT_PCT for FOR_S seconds."""

    def __init__(self, limit_pct: float = LIMIT_PCT, for_s: float = FOR_S) -> None:
        self.limit_pct = limit_pct
        self.for_s = for_s
        self.above_since: float | None = None
        self.saturated = False
        self.saturated_s = 0.0
        self.episodes = 0
        self.peak_box_cpu = 0.0
        self.peak_k6_cpu = 0.0
        self.peak_k6_rss = 0
        self.peak_loadwatch_rss = 0
        self.last: HostSample | None = None
        self._last_t: float | None = None

    def feed(self, s: HostSample) -> str | None:
        """Take a sample; returns "saturated" or "recovered" when the state changes, else None."""
        self.peak_box_cpu = max(self.peak_box_cpu, s.box_cpu_pct)
        self.peak_k6_cpu = max(self.peak_k6_cpu, s.k6_cpu_pct or 0.0)
        self.peak_k6_rss = max(self.peak_k6_rss, s.k6_rss_bytes or 0)
        self.peak_loadwatch_rss = max(self.peak_loadwatch_rss, s.loadwatch_rss_bytes)
        if self.saturated and self._last_t is not None:
            self.saturated_s += s.t - self._last_t
        self._last_t = s.t
        self.last = s
        hot = s.box_cpu_pct >= self.limit_pct or (s.k6_cpu_share_pct or 0.0) >= self.limit_pct
        if not hot:
            self.above_since = None
            if self.saturated:
                self.saturated = False
                return "recovered"
            return None
        if self.above_since is None:
            self.above_since = s.t
        if not self.saturated and s.t - self.above_since >= self.for_s:
            self.saturated = True
            self.episodes += 1
            return "saturated"
        return None

    def warning(self) -> str:
        """The text shown while saturated (and remembered after)."""
        if self.saturated:
            return (f"load generator saturated: CPU >= {self.limit_pct:.0f}% for {self.for_s:.0f}s+; "
                    "latencies now measure the generator, not the target")  # fmt: skip
        if self.episodes:
            return (
                f"load generator was saturated for {self.saturated_s:.0f}s of this run: results are suspect"
            )
        return ""

    def view(self) -> GeneratorView | None:
        """The frame's generator view (None before the first sample)."""
        s = self.last
        if s is None:
            return None
        return GeneratorView(
            box_cpu_pct=s.box_cpu_pct,
            box_mem_pct=s.box_mem_pct,
            k6_cpu_pct=s.k6_cpu_pct,
            k6_rss_bytes=s.k6_rss_bytes,
            cores=s.cores,
            saturated=self.saturated,
            saturated_s=self.saturated_s,
            peak_box_cpu_pct=self.peak_box_cpu,
            peak_k6_cpu_pct=self.peak_k6_cpu,
            peak_k6_rss_bytes=self.peak_k6_rss,
            warning=self.warning(),
        )

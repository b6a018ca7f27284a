"""Cost of following containers: loadwatch's own CPU while the Docker collector streams stats of N containers.

Starts N sleeping busybox containers on a dockerd (one that answers, else a private one in its own network
namespace), follows them with `DockerCollector` while a loop reads it like the UI does (every 0.5 s:
`latest()`, `drain_events()`, `values_for_rules()`), and prints this process's CPU % of one core per second,
the CPU it spends per UI tick, how long the readers took, and the daemon's own CPU when it is private.
The containers are removed at the end. `--smoke` follows 5 containers for 3 s.
Budgets (exit status 1 when missed): loadwatch's CPU while following at most 3 % of one core (half the
0.06-core overhead budget) and the UI tick's reads at most 5 ms (median); --smoke: 10 % and 20 ms.

Usage: python -m benchmarks.docker_cost [--containers 50] [--seconds 20] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import psutil

from benchmarks.budget import Budget, check, exit_code
from collectors.docker_collector import DockerCollector
from collectors.docker_config import DockerConfig
from tests.docker_support import (
    Daemon,
    close_daemon,
    import_image,
    running_daemon,
    start_private_daemon,
    wait_for,
)

TICK_S = 0.5
"""The UI's refresh period."""


def cpu_seconds(process: psutil.Process, with_children: bool = False) -> float:
    """User plus system CPU seconds of a process (and, optionally, its children: containerd, shims)."""
    total = 0.0
    for p in [process, *(process.children(recursive=True) if with_children else [])]:
        try:
            times = p.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def start_containers(daemon: Daemon, count: int, label: str) -> None:
    """Start `count` sleeping containers, eight at a time."""

    def one(i: int) -> str:
        return daemon.run(["sleep", "3600"], "--label", label, name=f"lwbench-{i}-{uuid.uuid4().hex[:6]}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, range(count)))


def measure(collector: DockerCollector, seconds: float, dockerd: psutil.Process | None) -> dict[str, object]:
    """Read the collector like the UI for `seconds` and return the figures."""
    me = psutil.Process()
    per_second: list[float] = []
    reader_ms: list[float] = []
    start_wall = last_wall = time.monotonic()
    start_cpu = last_cpu = cpu_seconds(me)
    start_daemon = cpu_seconds(dockerd, True) if dockerd else 0.0
    ticks = 0
    next_tick = start_wall
    while time.monotonic() - start_wall < seconds:
        next_tick += TICK_S
        started = time.perf_counter()
        collector.latest()
        collector.drain_events()
        collector.values_for_rules()
        reader_ms.append((time.perf_counter() - started) * 1000)
        ticks += 1
        time.sleep(max(0.0, next_tick - time.monotonic()))
        now = time.monotonic()
        if now - last_wall >= 0.95:
            cpu = cpu_seconds(me)
            per_second.append((cpu - last_cpu) / (now - last_wall) * 100)
            last_wall, last_cpu = now, cpu
    wall = time.monotonic() - start_wall
    used = cpu_seconds(me) - start_cpu
    figures: dict[str, object] = {
        "seconds": round(wall, 1),
        "ticks": ticks,
        "loadwatch_cpu_pct_mean": round(used / wall * 100, 2),
        "loadwatch_cpu_pct_per_second": [round(v, 1) for v in per_second],
        "loadwatch_cpu_ms_per_tick": round(used / ticks * 1000, 2),
        "reader_ms_per_tick_median": round(statistics.median(reader_ms), 3),
        "reader_ms_per_tick_max": round(max(reader_ms), 3),
    }
    if dockerd is not None:
        figures["dockerd_cpu_pct_mean"] = round((cpu_seconds(dockerd, True) - start_daemon) / wall * 100, 2)
    return figures


CPU = Budget("loadwatch CPU while following", "% of a core", full=3.0, smoke=10.0)
READS = Budget("UI tick reads, median", "ms", full=5.0, smoke=20.0)


def main() -> int:
    """Start the containers, follow them, print the figures, clean up; 1 when a budget is missed."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--containers", type=int, default=50)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--smoke", action="store_true", help="5 containers for 3 s, for CI")
    a = p.parse_args()
    count, seconds = (5, 3.0) if a.smoke else (a.containers, a.seconds)
    host = running_daemon()
    daemon = Daemon(host=host) if host else start_private_daemon()
    label = f"loadwatch.bench={uuid.uuid4().hex[:8]}"
    collector: DockerCollector | None = None
    try:
        import_image(daemon)
        started = time.monotonic()
        start_containers(daemon, count, label)
        print(
            f"started {count} containers in {time.monotonic() - started:.1f} s on {daemon.host}", flush=True
        )
        idle = psutil.Process()
        before = cpu_seconds(idle)
        time.sleep(2.0)
        idle_pct = (cpu_seconds(idle) - before) / 2.0 * 100
        collector = DockerCollector(DockerConfig(host=daemon.host, labels=(label,)))
        collector.start()
        ready = collector
        wait_for(
            lambda: sum(c.cpu_pct is not None for c in ready.latest().containers) >= count,
            30 + count,
            f"stats of all {count} containers",
        )
        print(f"following all {count} after {time.monotonic() - started:.1f} s", flush=True)
        dockerd = psutil.Process(daemon.pid) if daemon.pid else None
        figures = measure(collector, seconds, dockerd)
        figures = {"containers": count, "idle_cpu_pct_before": round(idle_pct, 2), **figures}
        for key, value in figures.items():
            print(f"{key:32} {value}")
        print(json.dumps(figures))
        cpu, reads = figures["loadwatch_cpu_pct_mean"], figures["reader_ms_per_tick_median"]
        assert isinstance(cpu, float) and isinstance(reads, float)
        return exit_code([check(CPU, cpu, a.smoke), check(READS, reads, a.smoke)])
    finally:
        if collector is not None:
            collector.stop(5.0)
        close_daemon(daemon)


if __name__ == "__main__":
    sys.exit(main())

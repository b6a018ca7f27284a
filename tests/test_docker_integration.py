"""The Docker collector against a real dockerd and busybox containers: CPU like the CLI, OOM, exit codes, selection."""

from __future__ import annotations

import time
import uuid

import pytest

from collectors.docker_model import ContainerEvent, ContainerStats
from tests.docker_support import (
    CollectorFactory,
    Daemon,
    docker_containers,
    docker_daemon,
    make_collector,
    wait_for,
)

pytestmark = pytest.mark.integration
__all__ = ["docker_containers", "docker_daemon", "make_collector"]  # fixtures


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def events_of(collected: list[ContainerEvent], name: str, action: str) -> list[ContainerEvent]:
    return [e for e in collected if e.name == name and e.action == action]


def test_cpu_burner_reads_like_docker_stats(
    docker_containers: Daemon, make_collector: CollectorFactory
) -> None:
    name = unique("burner")
    docker_containers.run(["sh", "-c", "while :; do :; done"], "--cpus", "0.5", name=name)
    collector = make_collector(docker_containers.host, names=(name,))

    def reading() -> ContainerStats | None:
        c = collector.latest().by_name(name)
        return c if c is not None and c.cpu_pct is not None else None

    wait_for(reading, 15, "a CPU reading of the burner")
    # The reference is docker's own figure, taken now: a busy shared box gives the burner less than its
    # 0.5-core quota, so a fixed 40-60 % would fail there.
    first = reading()
    wait_for(
        lambda: (r := reading()) is not None and first is not None and r.t > first.t, 10, "a newer reading"
    )
    cli = float(docker_containers.cli("stats", "--no-stream", "--format", "{{.CPUPerc}}", name).rstrip("%"))
    ours = reading()
    assert ours is not None and ours.cpu_pct is not None
    assert 0 < ours.cpu_pct <= 65.0, ours
    assert abs(ours.cpu_pct - cli) <= 12.0, (ours.cpu_pct, cli)
    assert ours.cpu_limit == 0.5
    assert ours.cpu_level_pct == pytest.approx(ours.cpu_pct / 0.5, rel=0.01), "CPU as a share of its quota"
    assert ours.mem_used and ours.mem_limit and ours.mem_pct is not None
    assert ours.pids == 1  # the shell loop runs in one process
    assert (ours.state, ours.exit_code, ours.oom_killed) == ("running", None, False)
    summary = collector.summary()[name]
    assert summary["cpu_pct_peak"] >= summary["cpu_pct_mean"] > 0
    values = collector.values_for_rules()
    assert values[f"container.{name}.cpu_pct"] == pytest.approx(ours.cpu_pct, abs=15)
    assert values[f"container.{name}.restarts"] == 0.0


def test_container_over_its_memory_limit_is_oom_killed(
    docker_containers: Daemon, make_collector: CollectorFactory
) -> None:
    name = unique("oomer")
    collector = make_collector(docker_containers.host, names=(name,))
    wait_for(lambda: collector.latest().state == "ok", 10, "the collector to connect")
    docker_containers.run(["tail", "/dev/zero"], "-m", "16m", "--memory-swap", "16m", name=name)
    collected: list[ContainerEvent] = []

    def died() -> bool:
        collected.extend(collector.drain_events())
        return bool(events_of(collected, name, "die"))

    wait_for(died, 30, "the OOM container to die")
    (die,) = events_of(collected, name, "die")
    assert die.exit_code == 137
    assert events_of(collected, name, "oom"), [e.describe() for e in collected]
    c = wait_for(lambda: collector.latest().by_name(name), 5, "the container in the snapshot")
    assert (c.state, c.exit_code, c.oom_killed) == ("exited", 137, True)
    assert c.cpu_pct is None and c.mem_used is None  # dead: no live numbers, but the row stays
    summary = collector.summary()[name]
    assert summary["oom_kills"] == 1 and summary["exit_code"] == 137
    assert [e["action"] for e in summary["events"]][-2:] == ["oom", "die"]


def test_exit_code_of_a_container_that_exits(
    docker_containers: Daemon, make_collector: CollectorFactory
) -> None:
    name = unique("exit3")
    collector = make_collector(docker_containers.host, names=(name,))
    wait_for(lambda: collector.latest().state == "ok", 10, "the collector to connect")
    docker_containers.run(["sh", "-c", "exit 3"], name=name)
    collected: list[ContainerEvent] = []

    def died() -> bool:
        collected.extend(collector.drain_events())
        return bool(events_of(collected, name, "die"))

    wait_for(died, 20, "the container to exit")
    assert events_of(collected, name, "die")[0].exit_code == 3
    assert events_of(collected, name, "die")[0].describe() == f"{name} died (exit 3)"
    # A listing later the dead container is still there, with its code.
    wait_for(
        lambda: (c := collector.latest().by_name(name)) is not None and c.state == "exited", 10, "exited"
    )
    c = collector.latest().by_name(name)
    assert c is not None and (c.state, c.exit_code, c.oom_killed) == ("exited", 3, False)


def test_selection_by_name_pattern_label_and_compose_project(
    docker_containers: Daemon, make_collector: CollectorFactory
) -> None:
    run = uuid.uuid4().hex[:8]
    sleep = ["sleep", "600"]
    # One container exists before the collectors start (found by listing), the others join mid-run (events).
    docker_containers.run(sleep, "--label", "lw.team=red", "--label", f"lw.run={run}", name=f"lwsel-a-{run}")
    by_name = make_collector(docker_containers.host, names=(f"lwsel-*-{run}",))
    by_label = make_collector(docker_containers.host, labels=("lw.team=red", f"lw.run={run}"))
    by_project = make_collector(docker_containers.host, compose_project=f"shop{run}")
    wait_for(
        lambda: all(c.latest().state == "ok" for c in (by_name, by_label, by_project)), 10, "connections"
    )
    docker_containers.run(sleep, "--label", "lw.team=blue", "--label", f"lw.run={run}", name=f"lwsel-b-{run}")
    docker_containers.run(
        sleep,
        "--label", "lw.team=red",
        "--label", f"lw.run={run}",
        "--label", f"com.docker.compose.project=shop{run}",
        name=f"other-{run}",
    )  # fmt: skip

    def names(collector_index: int) -> set[str]:
        collector = (by_name, by_label, by_project)[collector_index]
        return {c.name for c in collector.latest().containers if c.state == "running"}

    wait_for(lambda: names(0) == {f"lwsel-a-{run}", f"lwsel-b-{run}"}, 10, "the name selection")
    wait_for(lambda: names(1) == {f"lwsel-a-{run}", f"other-{run}"}, 10, "the label selection")
    wait_for(lambda: names(2) == {f"other-{run}"}, 10, "the compose project selection")
    time.sleep(1.5)  # a check of absence: a second listing later, nothing else has leaked in
    assert names(0) == {f"lwsel-a-{run}", f"lwsel-b-{run}"}
    assert {c.name for c in by_name.latest().containers} == names(0)  # nothing else leaked in
    wait_for(lambda: all(c.mem_used for c in by_label.latest().containers), 10, "stats for every container")


def test_restarts_by_policy_and_by_hand_are_counted(
    docker_containers: Daemon, make_collector: CollectorFactory
) -> None:
    flaky, steady = unique("flaky"), unique("steady")
    collector = make_collector(docker_containers.host, names=(flaky, steady))
    wait_for(lambda: collector.latest().state == "ok", 10, "the collector to connect")
    docker_containers.run(["sh", "-c", "sleep 0.3; exit 1"], "--restart", "on-failure:2", name=flaky)
    docker_containers.run(["sleep", "600"], name=steady)
    collected: list[ContainerEvent] = []

    def dies(name: str, count: int) -> bool:
        collected.extend(collector.drain_events())
        return len(events_of(collected, name, "die")) >= count

    wait_for(lambda: dies(flaky, 3), 30, "three deaths of the flaky container")
    wait_for(lambda: collector.latest().by_name(steady) is not None, 10, "the steady container")
    docker_containers.cli("restart", "-t", "0", steady)
    wait_for(lambda: dies(steady, 1) and events_of(collected, steady, "restart"), 20, "the restart")
    assert [e.exit_code for e in events_of(collected, flaky, "die")] == [1, 1, 1]
    wait_for(lambda: collector.summary()[flaky]["restarts"] == 2, 10, "the last death's inspect")
    summary = collector.summary()
    assert summary[flaky]["restarts"] == 2 and summary[steady]["restarts"] == 1
    c = collector.latest().by_name(flaky)
    assert c is not None and (c.state, c.exit_code, c.restarts) == ("exited", 1, 2)
    assert collector.values_for_rules()[f"container.{steady}.restarts"] == 1.0


def test_health_status_changes_are_events(
    docker_containers: Daemon, make_collector: CollectorFactory
) -> None:
    name = unique("health")
    collector = make_collector(docker_containers.host, names=(name,))
    wait_for(lambda: collector.latest().state == "ok", 10, "the collector to connect")
    docker_containers.run(
        ["sh", "-c", "sleep 2.5; touch /tmp/ok; sleep 600"],
        "--health-cmd", "test -f /tmp/ok",
        "--health-interval", "1s",
        "--health-retries", "1",
        name=name,
    )  # fmt: skip
    collected: list[ContainerEvent] = []

    def healthy() -> bool:
        collected.extend(collector.drain_events())
        return any(e.detail == "healthy" for e in events_of(collected, name, "health_status"))

    wait_for(healthy, 20, "the container to turn healthy")
    details = [e.detail for e in events_of(collected, name, "health_status")]
    assert details[0] == "unhealthy" and details[-1] == "healthy", details
    c = collector.latest().by_name(name)
    assert c is not None and c.health == "healthy"

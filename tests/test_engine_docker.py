"""A real run with a real dockerd: containers in frames, their events in the record and the summary."""

from __future__ import annotations

import time
from pathlib import Path

import psutil
import pytest

from collectors.docker_config import DockerConfig
from runners.engine.live import RunEngine, RunSpec
from runners.model.frames import Frame
from runners.record.reader import RecordReader
from runners.record.schema import EventKind
from tests import k6_scripts
from tests.docker_support import Daemon, docker_containers, docker_daemon

__all__ = ["docker_containers", "docker_daemon"]
pytestmark = pytest.mark.integration


def burner_cpu(frames: list[Frame], name: str) -> list[float]:
    """The container's CPU % in every frame that has it."""
    return [c.cpu_pct for f in frames if f.containers for c in f.containers.containers
            if c.name == name and c.cpu_pct]  # fmt: skip


def test_containers_and_their_events_follow_the_run(
    tmp_path: Path, k6_bin: str, nginx_url: str, docker_containers: Daemon
) -> None:
    tag = f"lwrun{int(time.time() * 1000) % 100000}"
    burner = docker_containers.run(["sh", "-c", "while :; do :; done"], "--cpus", "0.5", "--label", f"lwtest={tag}",
                                   name=f"{tag}-burner")  # fmt: skip
    script = k6_scripts.write(tmp_path, "st.js", k6_scripts.STEADY)
    config = DockerConfig(host=docker_containers.host, labels=(f"lwtest={tag}",))
    frames: list[Frame] = []
    engine = RunEngine(RunSpec(script=script, k6_args=("-e", f"BASE={nginx_url}", "--duration", "9s"),
                               runs_dir=tmp_path / "runs", docker=config))  # fmt: skip
    engine.add_listener(frames.append)
    # The truth to compare with: the burner's own CPU time from /proc over the run (a busy box gives it
    # less than its 0.5-core limit, so a fixed expectation would fail there).
    shell = psutil.Process(int(docker_containers.cli("inspect", "-f", "{{.State.Pid}}", burner)))
    cpu0, t0 = sum(shell.cpu_times()[:2]), time.monotonic()
    engine.start()
    try:
        deadline = time.monotonic() + 30
        while not burner_cpu(frames, f"{tag}-burner") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert burner_cpu(frames, f"{tag}-burner"), "the burner's stats reach the frames"
        docker_containers.run(
            ["sh", "-c", "sleep 1; exit 3"], "--label", f"lwtest={tag}", name=f"{tag}-exit3"
        )
        assert engine.wait(60)
    finally:
        engine.request_stop(hard=True, reason="test cleanup")
    truth = (sum(shell.cpu_times()[:2]) - cpu0) / (time.monotonic() - t0) * 100
    snaps = [f.containers for f in frames if f.containers is not None]
    assert snaps and snaps[-1].state == "ok"
    names = {c.name for c in snaps[-1].containers}
    assert {f"{tag}-burner", f"{tag}-exit3"} <= names
    cpu = burner_cpu(frames, f"{tag}-burner")
    assert cpu and max(cpu) <= 65, "within the 0.5-core limit (plus sampling noise)"
    assert sum(cpu) / len(cpu) == pytest.approx(truth, abs=12), (truth, cpu[-5:])
    died = [e for f in frames for e in f.container_events if e.action == "die" and e.name == f"{tag}-exit3"]
    assert died and died[0].exit_code == 3
    reader = RecordReader(engine.run_dir)
    recorded = reader.events(EventKind.CONTAINER)
    assert any(e["action"] == "die" and e["exit_code"] == 3 for e in recorded)
    assert any(f"{tag}-burner" in row.containers for row in reader.container_values())
    summary = engine.summary["containers"]
    burned = summary[f"{tag}-burner"]
    assert burner.startswith(burned["id"]) and burned["state"] == "running"
    assert burned["cpu_pct_peak"] >= max(cpu) - 0.01, "the peak of every sample, frames show some"
    assert burned["cpu_limit_cores"] == pytest.approx(0.5)
    assert burned["cpu_pct_mean"] is not None and 0 < burned["cpu_pct_mean"] <= burned["cpu_pct_peak"]
    assert burned["mem_bytes_peak"] > 0
    exited = summary[f"{tag}-exit3"]
    assert exited["exit_code"] == 3 and exited["state"] == "exited"
    assert any(e["action"] == "die" and e["exit_code"] == 3 for e in exited["events"])

"""A real run with a real dockerd: containers in frames, their events in the record and the summary."""

from __future__ import annotations

import time
from pathlib import Path

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
    engine.start()
    time.sleep(4)
    docker_containers.run(["sh", "-c", "sleep 1; exit 3"], "--label", f"lwtest={tag}", name=f"{tag}-exit3")
    assert engine.wait(60)
    snaps = [f.containers for f in frames if f.containers is not None]
    assert snaps and snaps[-1].state == "ok"
    names = {c.name for c in snaps[-1].containers}
    assert {f"{tag}-burner", f"{tag}-exit3"} <= names
    cpu = [c.cpu_pct for s in snaps for c in s.containers if c.name == f"{tag}-burner" and c.cpu_pct]
    assert cpu and 35 <= max(cpu) <= 65, cpu[-5:]
    died = [e for f in frames for e in f.container_events if e.action == "die" and e.name == f"{tag}-exit3"]
    assert died and died[0].exit_code == 3
    reader = RecordReader(engine.run_dir)
    recorded = reader.events(EventKind.CONTAINER)
    assert any(e["action"] == "die" and e["exit_code"] == 3 for e in recorded)
    assert any(f"{tag}-burner" in row.containers for row in reader.container_values())
    summary = engine.summary["containers"]
    assert summary[f"{tag}-burner"]["cpu_pct_peak"] > 30
    assert burner

"""Docker faults: no socket, nothing listening, permission denied, daemon stopped mid-run and started again."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from collectors.docker_collector import DockerCollector
from collectors.docker_config import DockerConfig
from collectors.docker_model import DockerSnapshot
from tests.components import need_program
from tests.docker_support import RUN_LABEL, CollectorFactory, Daemon, make_collector, private_daemon, wait_for

__all__ = ["make_collector", "private_daemon"]  # fixtures
REPO = Path(__file__).resolve().parent.parent


def snapshot_when(collector: DockerCollector, states: tuple[str, ...], timeout: float) -> DockerSnapshot:
    """The first snapshot whose source state is one of `states`."""

    def check() -> DockerSnapshot | None:
        snapshot = collector.latest()
        return snapshot if snapshot.state in states else None

    return wait_for(check, timeout, f"a state in {states}")


@pytest.fixture
def dead_socket() -> Iterator[str]:
    """A unix socket file nobody accepts on (a daemon that crashed and left its socket): connect is refused."""
    folder = tempfile.mkdtemp(prefix="lw-dead-")
    path = os.path.join(folder, "docker.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    sock.close()  # the file stays, nothing listens
    yield f"unix://{path}"
    os.unlink(path)
    os.rmdir(folder)


def test_no_socket_says_so(make_collector: CollectorFactory, tmp_path: Path) -> None:
    host = f"unix://{tmp_path / 'nothing' / 'docker.sock'}"
    collector = make_collector(host)
    snapshot = snapshot_when(collector, ("socket_missing", "daemon_down", "permission_denied", "ok"), 5)
    assert snapshot.state == "socket_missing"
    assert str(tmp_path / "nothing" / "docker.sock") in snapshot.detail and "dockerd" in snapshot.detail
    assert snapshot.containers == ()
    assert collector.drain_events() == [] and collector.summary() == {} and collector.values_for_rules() == {}
    started = time.monotonic()
    for _ in range(1000):
        collector.latest()
    assert time.monotonic() - started < 0.5  # readers never wait on the reconnect loop


def test_nothing_listening_is_daemon_down(make_collector: CollectorFactory, dead_socket: str) -> None:
    collector = make_collector(dead_socket)
    snapshot = snapshot_when(collector, ("socket_missing", "daemon_down", "permission_denied", "ok"), 5)
    assert snapshot.state == "daemon_down" and "nothing answers" in snapshot.detail


def test_disabled_collector_does_nothing() -> None:
    collector = DockerCollector(DockerConfig(enabled=False))
    collector.start()
    assert collector.latest().state == "disabled"
    collector.stop(0.1)


def test_stop_is_bounded_while_reconnecting(dead_socket: str) -> None:
    collector = DockerCollector(DockerConfig(host=dead_socket))
    collector.start()
    time.sleep(0.3)
    started = time.monotonic()
    collector.stop(2.0)
    assert time.monotonic() - started < 2.1


def test_permission_denied_says_so(tmp_path: Path) -> None:
    folder = Path(tempfile.mkdtemp(prefix="lw-perm-"))
    path = folder / "docker.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    prefix: list[str] = []
    if os.geteuid() == 0:
        # Root opens any file; a child without the DAC capabilities cannot open a socket that is not its own.
        prefix = [need_program("setpriv"), "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search"]
        os.chown(path, 65534, 65534)
        path.chmod(0o600)
    else:
        path.chmod(0o000)
    code = (
        "import time\n"
        "from collectors.docker_collector import DockerCollector\n"
        "from collectors.docker_config import DockerConfig\n"
        f"c = DockerCollector(DockerConfig(host='unix://{path}'))\n"
        "c.start()\n"
        "for _ in range(100):\n"
        "    s = c.latest()\n"
        "    if s.state != 'connecting': break\n"
        "    time.sleep(0.05)\n"
        "print(s.state); print(s.detail); c.stop(1)\n"
    )
    try:
        done = subprocess.run(
            [*prefix, sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=30,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            check=False,
        )
    finally:
        server.close()
        path.unlink()
        folder.rmdir()
    assert done.returncode == 0, done.stderr
    state, detail = done.stdout.splitlines()[:2]
    assert state == "permission_denied"
    assert str(path) in detail and "docker group" in detail


@pytest.mark.integration
def test_daemon_stopped_mid_run_and_started_again(
    private_daemon: Daemon, make_collector: CollectorFactory
) -> None:
    daemon = private_daemon
    keeper = "keeper"
    daemon.run(["sleep", "3600"], "--restart", "always", name=keeper)
    collector = make_collector(daemon.host, labels=(RUN_LABEL,))

    def measured(name: str) -> bool:
        c = collector.latest().by_name(name)
        return c is not None and c.state == "running" and c.mem_used is not None

    wait_for(lambda: measured(keeper), 15, "stats of the container")
    assert collector.latest().state == "ok"

    daemon.stop()
    down = snapshot_when(collector, ("daemon_down",), 15)
    # Whichever notices first says why: the event stream ending as dockerd shuts down, or its socket
    # refusing or gone (the order is a race on a loaded box).
    assert any(why in down.detail for why in ("stopped", "nothing answers", "event stream ended")), (
        down.detail
    )
    kept = down.by_name(keeper)
    assert kept is not None and kept.mem_used is None  # the row stays, its numbers are unknown now
    started = time.monotonic()
    for _ in range(200):
        collector.latest()
    assert time.monotonic() - started < 0.5

    daemon.start()
    back = snapshot_when(collector, ("ok",), 20)
    assert "back after" in back.detail
    wait_for(lambda: measured(keeper), 20, "stats of the restarted container")  # same collector, no restart

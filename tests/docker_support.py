"""A real dockerd for tests (reused when one answers, else started in its own network namespace) and a busybox image."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from collectors.docker_collector import DockerCollector
from collectors.docker_config import DockerConfig
from tests.components import missing, need_program

T = TypeVar("T")
IMAGE = "loadwatch-bbx:test"
"""The busybox-static image the tests import (no registry here)."""
TEST_LABEL = "loadwatch.test"
RUN_ID = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
"""Every container this test run creates carries `loadwatch.test=RUN_ID`, so teardown removes exactly
those: not another run's on a shared daemon."""
RUN_LABEL = f"{TEST_LABEL}={RUN_ID}"
BUSYBOX = Path("/usr/bin/busybox")
DEFAULT_SOCKET = "unix:///var/run/docker.sock"


def ping(host: str, timeout: float = 1.0) -> bool:
    """Whether a Docker daemon answers `GET /_ping` with OK at `host` (unix:// or tcp://).

    Args:
        host: The daemon address.
        timeout: Seconds for the whole exchange.

    Returns:
        True when the daemon answered OK.
    """
    try:
        if host.startswith("unix://"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(host.removeprefix("unix://"))
        elif host.startswith("tcp://"):
            name, _, port = host.removeprefix("tcp://").rpartition(":")
            sock = socket.create_connection((name, int(port)), timeout=timeout)
        else:
            return False
        with sock:
            sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            reply = sock.recv(4096)
    except OSError:
        return False
    return reply.startswith(b"HTTP/1.") and reply.rstrip().endswith(b"OK")


@dataclass
class Daemon:
    """A Docker daemon the tests talk to; `root` is set only for one this process started."""

    host: str
    root: Path | None = None
    proc: subprocess.Popen[bytes] | None = None
    pid: int | None = None
    containers: list[str] = field(default_factory=list)

    @property
    def own(self) -> bool:
        """True when this process started the daemon (so it may stop it)."""
        return self.root is not None

    @property
    def socket_path(self) -> Path:
        """The unix socket's path."""
        return Path(self.host.removeprefix("unix://"))

    def cli(self, *args: str, timeout: float = 30.0, data: bytes | None = None) -> str:
        """Run the docker CLI against this daemon and return its stdout.

        Args:
            *args: The docker sub-command and its arguments.
            timeout: Seconds before the command is killed.
            data: Bytes for its stdin.

        Returns:
            Standard output, stripped.

        Raises:
            RuntimeError: the command failed.
        """
        command = [shutil.which("docker") or "docker", "--host", self.host, *args]
        done = subprocess.run(command, input=data, capture_output=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stderr.decode(errors='replace').strip()}")
        return done.stdout.decode().strip()

    def run(self, command: list[str], *options: str, name: str | None = None, image: str = IMAGE) -> str:
        """Start a detached, labelled test container with no network and return its id.

        Args:
            command: The command inside the container.
            *options: More `docker run` options (`--cpus`, `-m`, `--label`, ...).
            name: The container name; a unique one by default.
            image: The image.

        Returns:
            The container id.
        """
        name = name or f"lwt-{uuid.uuid4().hex[:8]}"
        base = ["run", "-d", "--network", "none", "--label", RUN_LABEL, "--name", name]
        cid = self.cli(*base, *options, image, *command)
        self.containers.append(cid)
        return cid

    def remove_test_containers(self) -> None:
        """Remove every container this test run created (its label value), and only those."""
        try:
            ids = self.cli("ps", "-aq", "--filter", f"label={RUN_LABEL}", timeout=15).split()
            if ids:
                self.cli("rm", "-f", *ids, timeout=60)
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        self.containers.clear()

    def start(self, timeout: float = 30.0) -> None:
        """Start (or start again) the private dockerd in its own network namespace and wait for `/_ping`.

        Args:
            timeout: Seconds to wait for the daemon to answer.

        Raises:
            RuntimeError: it did not answer in time.
        """
        assert self.root is not None, "only a daemon this process owns can be started"
        root = self.root
        dockerd = need_program("dockerd")
        # --bridge=none deletes the host's docker0, so the daemon gets a network namespace of its own.
        args = [
            dockerd,
            "--bridge=none",
            "--iptables=false",
            "--ip6tables=false",
            "--ip-forward=false",
            "--ip-masq=false",
            "--shutdown-timeout=1",
            f"--data-root={root / 'data'}",
            f"--exec-root={root / 'exec'}",
            f"--pidfile={root / 'docker.pid'}",
            f"-H={self.host}",
        ]
        log = (root / "dockerd.log").open("ab")
        self.proc = subprocess.Popen(
            ["unshare", "--net", "--fork", "sh", "-c", 'ip link set lo up; exec "$0" "$@"', *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dockerd exited {self.proc.returncode}: {self.log_tail()}")
            if ping(self.host, 0.5):
                self.pid = int((root / "docker.pid").read_text().strip())
                return
            time.sleep(0.05)
        raise RuntimeError(f"dockerd did not answer within {timeout} s: {self.log_tail()}")

    def stop(self, timeout: float = 20.0) -> None:
        """Stop the private dockerd by its PID (SIGTERM, then SIGKILL) and wait for it to exit.

        Args:
            timeout: Seconds to wait before SIGKILL.
        """
        assert self.root is not None, "never stop a daemon this process did not start"
        if self.proc is None:
            return
        if self.pid is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            if self.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None
        self.pid = None

    def log_tail(self, lines: int = 15) -> str:
        """The end of the private daemon's log, for error messages."""
        if self.root is None or not (self.root / "dockerd.log").exists():
            return ""
        return "\n".join((self.root / "dockerd.log").read_text(errors="replace").splitlines()[-lines:])


def wait_for(check: Callable[[], T | None], timeout: float, what: str, interval: float = 0.1) -> T:
    """Poll `check` until it returns something truthy, for at most `timeout` seconds.

    Args:
        check: Returns the awaited value, or None/False while not there yet.
        timeout: Seconds before giving up.
        what: What is awaited, for the failure message.
        interval: Seconds between polls.

    Returns:
        The first truthy value.

    Raises:
        AssertionError: it did not come in time.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def running_daemon() -> str | None:
    """The address of a daemon that already answers (DOCKER_HOST, else the default socket), if any."""
    host = os.environ.get("DOCKER_HOST") or DEFAULT_SOCKET
    return host if ping(host) else None


def start_private_daemon() -> Daemon:
    """Start a private dockerd under a new temporary folder (short path: unix sockets allow 108 bytes).

    Returns:
        The running daemon; call `stop()` and remove `root` when done.
    """
    root = Path(tempfile.mkdtemp(prefix="lw-dockerd-"))
    daemon = Daemon(host=f"unix://{root / 'docker.sock'}", root=root)
    try:
        daemon.start()
    except BaseException:
        if daemon.proc is not None:
            daemon.stop()
        shutil.rmtree(root, ignore_errors=True)
        raise
    return daemon


def close_daemon(daemon: Daemon) -> None:
    """Remove the test containers and, for a private daemon, stop it and remove its folder.

    Args:
        daemon: The daemon.
    """
    if daemon.proc is not None or not daemon.own:
        daemon.remove_test_containers()
    if daemon.own:
        daemon.stop()
        assert daemon.root is not None
        shutil.rmtree(daemon.root, ignore_errors=True)


def import_image(daemon: Daemon, tag: str = IMAGE) -> str:
    """Make the busybox image with `docker import` of a rootfs (busybox-static plus applet links), once.

    Args:
        daemon: The daemon.
        tag: The image's tag.

    Returns:
        The tag.
    """
    try:
        daemon.cli("image", "inspect", "--format", "{{.Id}}", tag, timeout=10)
        return tag
    except RuntimeError:
        pass
    applets = subprocess.run(
        [str(BUSYBOX), "--list"], capture_output=True, text=True, timeout=10, check=True
    ).stdout.split()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for folder in ("bin", "usr", "usr/bin", "etc", "tmp", "proc", "sys", "dev"):
            info = tarfile.TarInfo(folder)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if folder == "tmp" else 0o755
            tar.addfile(info)
        tar.add(str(BUSYBOX), arcname="usr/bin/busybox")
        for applet in applets:
            if applet == "busybox":
                continue
            for folder in ("bin", "usr/bin"):
                link = tarfile.TarInfo(f"{folder}/{applet}")
                link.type = tarfile.SYMTYPE
                link.linkname = "/usr/bin/busybox"
                tar.addfile(link)
    daemon.cli(
        "import",
        "-c",
        'CMD ["/bin/sh"]',
        "-c",
        "ENV PATH=/bin:/usr/bin",
        "-m",
        "busybox-static rootfs for loadwatch tests",
        "-",
        tag,
        data=buffer.getvalue(),
        timeout=60,
    )
    return tag


def need_private_daemon_support() -> None:
    """Skip (or fail under LOADWATCH_REQUIRE_ALL=1) unless this process can start its own dockerd."""
    need_program("dockerd")
    need_program("unshare")
    need_program("docker")
    if os.geteuid() != 0:
        missing("dockerd", "starting a private daemon needs root")
    if not BUSYBOX.is_file():
        missing("busybox-static", f"{BUSYBOX} is missing (scripts/setup installs busybox-static)")


@pytest.fixture(scope="session")
def docker_daemon() -> Iterator[Daemon]:
    """A daemon for the integration tests: one that already answers, else a private one."""
    need_program("docker")
    host = running_daemon()
    if host is not None:
        daemon = Daemon(host=host)
    else:
        need_private_daemon_support()
        daemon = start_private_daemon()
    try:
        import_image(daemon)
        yield daemon
    finally:
        close_daemon(daemon)


@pytest.fixture
def private_daemon() -> Iterator[Daemon]:
    """A dockerd of this test's own, which the test may stop and start again."""
    need_private_daemon_support()
    daemon = start_private_daemon()
    try:
        import_image(daemon)
        yield daemon
    finally:
        close_daemon(daemon)


@pytest.fixture
def docker_containers(docker_daemon: Daemon) -> Iterator[Daemon]:
    """The shared daemon, with this test's containers removed at teardown."""
    yield docker_daemon
    for cid in list(docker_daemon.containers):
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            docker_daemon.cli("rm", "-f", cid, timeout=30)
    docker_daemon.containers.clear()


CollectorFactory = Callable[..., DockerCollector]


@pytest.fixture
def make_collector() -> Iterator[CollectorFactory]:
    """Builds started collectors (`make_collector(host, names=..., labels=...)`) and stops them at teardown."""
    made: list[DockerCollector] = []

    def make(host: str, *, list_interval_s: float = 0.5, **selection: Any) -> DockerCollector:
        collector = DockerCollector(DockerConfig(host=host, **selection), list_interval_s=list_interval_s)
        collector.start()
        made.append(collector)
        return collector

    yield make
    for collector in made:
        collector.stop(5.0)

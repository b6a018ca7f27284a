"""Real Prometheus and node exporter on free 127.0.0.1 ports, a slow link to them, and their fixtures."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from benchmarks.listen import start_listening
from runners.demo.target import DemoTarget
from tests.components import need_program

SCRAPE_INTERVAL_S = 1.0
UP_TIMEOUT_S = 30.0  # the first scrape lands ~6 s after start (facts/collectors.md §2.1)


def _stop_process(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Stop one process we started, by its PID: SIGTERM, then SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


class NodeExporter:
    """Debian's prometheus-node-exporter on a free port."""

    def __init__(self, workdir: Path) -> None:
        """Start it.

        Args:
            workdir: Where its log goes.
        """
        binary = need_program("prometheus-node-exporter")
        self.log = workdir / "node_exporter.log"

        def launch(port: int) -> subprocess.Popen[bytes]:
            argv = [binary, f"--web.listen-address=127.0.0.1:{port}", "--no-collector.systemd"]
            with self.log.open("ab") as log:
                return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)

        self.port, self.proc = start_listening(launch)
        _wait_http(f"http://127.0.0.1:{self.port}/metrics", self.proc, self.log)

    @property
    def target(self) -> str:
        """`host:port` for a scrape config."""
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop it by its PID."""
        _stop_process(self.proc)


class PrometheusServer:
    """Debian's prometheus with its own config and storage, scraping the given targets every second."""

    def __init__(self, workdir: Path, targets: dict[str, str], port: int | None = None) -> None:
        """Write the config and start the server (see `start`).

        Args:
            workdir: Holds the config, the TSDB and the log.
            targets: Job name to `host:port`.
            port: Port to listen on (default: a free one).
        """
        self.binary = need_program("prometheus")
        self.workdir = workdir
        self.port = port or 0  # 0: the first start finds a free port and holds it
        self.targets = targets
        jobs = [
            {"job_name": job, "static_configs": [{"targets": [target]}]}
            for job, target in sorted(targets.items())
        ]
        config: dict[str, object] = {
            "global": {"scrape_interval": f"{SCRAPE_INTERVAL_S:g}s", "evaluation_interval": "5s"},
            "scrape_configs": jobs,
        }
        self.config_path = workdir / "prometheus.yml"
        self.config_path.write_text(json.dumps(config, indent=1))  # JSON is YAML
        self.log = workdir / "prometheus.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        """Base URL of the HTTP API."""
        return f"http://127.0.0.1:{self.port}"

    def _launch(self, port: int) -> subprocess.Popen[bytes]:
        argv = [
            self.binary,
            f"--config.file={self.config_path}",
            f"--storage.tsdb.path={self.workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=1d",
        ]
        with self.log.open("ab") as log:
            return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)

    def start(self) -> None:
        """Start (or restart after `kill`) on the same port and storage; waits until it is ready."""
        if self.port:
            self.proc = self._launch(self.port)
        else:
            self.port, self.proc = start_listening(self._launch, timeout_s=30.0)
        _wait_http(f"{self.url}/-/ready", self.proc, self.log)

    def wait_up(self, timeout: float = UP_TIMEOUT_S) -> None:
        """Wait until every target has been scraped successfully (`up == 1`), not just until ready."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            try:
                body = httpx.get(f"{self.url}/api/v1/query", params={"query": "up == 1"}, timeout=2).json()
                jobs = {r["metric"]["job"] for r in body["data"]["result"]}
                if jobs >= set(self.targets):
                    return
                last = f"up: {sorted(jobs)}"
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                last = repr(exc)
            time.sleep(0.25)
        raise AssertionError(f"Prometheus targets not up within {timeout} s ({last}); log: {self.log}")

    def kill(self) -> None:
        """Kill the server by its PID (SIGKILL: a crash, not a clean stop)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        """Stop the server by its PID."""
        if self.proc is not None:
            _stop_process(self.proc)


def _wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{proc.args!r} exited with {proc.returncode}: {log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.05)
    _stop_process(proc)
    raise AssertionError(f"{url} did not answer within {timeout} s; log: {log}")


class SlowServer:
    """A real Prometheus reached through a slow link: a proxy on 127.0.0.1 that holds each request back
    `delay_s` seconds, then forwards it to the real server and returns that server's own answer."""

    def __init__(
        self, upstream: str, delay_s: float, marker: str | None = None, down_answer: bytes | None = None
    ) -> None:
        """Start serving.

        Args:
            upstream: The real Prometheus's base URL.
            delay_s: Seconds to hold each request back (change it any time).
            marker: When set, only queries holding it are held back; the others pass at once.
            down_answer: A 502 body to answer with when the upstream cannot be reached (None: no answer).
        """
        self.upstream = upstream
        self.delay_s = delay_s
        self.requests = 0
        self.delayed = 0
        self._closing = threading.Event()
        self._client = httpx.Client(timeout=10)  # kept-alive connections: the link adds only the delay
        server = self

        class Handler(BaseHTTPRequestHandler):
            """Waits, then relays the real server's answer."""

            def do_GET(self) -> None:
                """Relay any GET."""
                server.requests += 1
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get("query", [""])[0]
                if marker is None or marker in query:
                    server.delayed += 1
                    if server._closing.wait(server.delay_s) and marker is None:  # ends early at shutdown
                        return
                try:
                    answer = server._client.get(server.upstream + self.path)
                    status, kind, body = (
                        answer.status_code,
                        answer.headers.get("content-type"),
                        answer.content,
                    )
                except httpx.HTTPError:
                    if down_answer is None:
                        return
                    status, kind, body = 502, None, down_answer
                with contextlib.suppress(OSError):  # the client may have given up already
                    self.send_response(status)
                    self.send_header("Content-Type", kind or "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """Base URL."""
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        """Stop serving; waiting requests are released at once."""
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)
        self._client.close()


class RampExporter(Collector):
    """A `/metrics` endpoint whose values are known functions of time, to compare the two sources exactly.

    `lw_ramp` grows 1 per second, `lw_ramp_max` is 1000, and the counter `lw_work_total` grows 10 per second.
    """

    def __init__(self) -> None:
        """Serve on a free 127.0.0.1 port."""
        self.t0 = time.time()
        registry = CollectorRegistry(auto_describe=False)
        registry.register(self)
        self._httpd, self._thread = start_http_server(0, addr="127.0.0.1", registry=registry)
        self.port = int(self._httpd.server_address[1])  # bound here: read back, no race

    def collect(self) -> Iterator[Metric]:
        """The three metrics, computed at scrape time."""
        elapsed = time.time() - self.t0
        yield GaugeMetricFamily("lw_ramp", "Seconds since start.", value=elapsed)
        yield GaugeMetricFamily("lw_ramp_max", "Top of the ramp.", value=1000.0)
        yield CounterMetricFamily("lw_work", "Work done, 10 per second.", value=10.0 * elapsed)

    @property
    def target(self) -> str:
        """`host:port` for a scrape config."""
        return f"127.0.0.1:{self.port}"

    def close(self) -> None:
        """Stop serving."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)


@pytest.fixture
def demo_target() -> Iterator[DemoTarget]:
    """The bundled demo target, in-process on 127.0.0.1."""
    target = DemoTarget()
    target.start()
    yield target
    target.stop()


@pytest.fixture
def node_exporter(tmp_path: Path) -> Iterator[NodeExporter]:
    """A running node exporter."""
    exporter = NodeExporter(tmp_path)
    yield exporter
    exporter.stop()


@pytest.fixture
def prometheus_stack(
    tmp_path: Path, demo_target: DemoTarget, node_exporter: NodeExporter
) -> Iterator[PrometheusServer]:
    """Prometheus scraping the demo target (job `demo`) and the node exporter (job `node`), both up."""
    prom = PrometheusServer(tmp_path, {"demo": f"127.0.0.1:{demo_target.port}", "node": node_exporter.target})
    try:
        prom.wait_up()
        yield prom
    finally:
        prom.stop()


@pytest.fixture
def slow_server(prometheus_stack: PrometheusServer) -> Iterator[SlowServer]:
    """The real Prometheus (scraping the demo target) behind a slow link: 3 s per answer until changed."""
    server = SlowServer(prometheus_stack.url, 3.0)
    try:
        yield server
    finally:
        server.close()


_HELD: list[socket.socket] = []


def no_server_url() -> str:
    """A 127.0.0.1 URL where nothing listens: a port this process keeps bound without listening, so no
    other process can take it and connections to it are refused for the rest of the test run."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    _HELD.append(sock)
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


def require_prometheus() -> None:
    """Skip (or fail under LOADWATCH_REQUIRE_ALL=1) when the Debian binaries are missing."""
    for program in ("prometheus", "prometheus-node-exporter"):
        need_program(program)

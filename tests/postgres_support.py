"""Real PostgreSQL (small max_connections), postgres_exporter, an app with one connection per request, a delaying proxy."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from runners.k6.command import free_port
from tests.components import missing, need_program
from tests.prometheus_support import SlowServer

PG_BIN = Path("/usr/lib/postgresql")


def _pg_program(name: str) -> str:
    found = sorted(PG_BIN.glob(f"*/bin/{name}"))
    if not found:
        missing("postgresql", f"no {name} under {PG_BIN} (scripts/setup installs Debian's postgresql)")
    return str(found[-1])


def _as_postgres() -> list[str]:
    """Run as the `postgres` user when we are root (PostgreSQL refuses to run as root)."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        missing("postgresql", "running as root and there is no postgres user to run the server as")
    return [need_program("runuser"), "-u", "postgres", "--"]


def _stop(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


class PostgresServer:
    """A throw-away cluster on a free 127.0.0.1 port, TCP only, trust auth, `max_connections` small."""

    def __init__(self, max_connections: int) -> None:
        """Create the cluster and start the server (waits until it accepts connections).

        Args:
            max_connections: The server's limit; no connections are reserved for superusers.
        """
        initdb, postgres = _pg_program("initdb"), _pg_program("postgres")
        runas = _as_postgres()
        self.dir = Path(tempfile.mkdtemp(prefix="lw-pg-"))
        if runas:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        self.port = free_port()
        self.max_connections = max_connections
        self.log = self.dir / "postgres.log"
        out = subprocess.run([*runas, initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust",
                              "--no-sync", "-E", "UTF8"], capture_output=True, text=True, check=False)  # fmt: skip
        if out.returncode != 0:
            raise AssertionError(f"initdb failed: {out.stderr[-2000:]}")
        argv = [*runas, postgres, "-D", str(self.data), "-c", f"port={self.port}", "-c", "listen_addresses=127.0.0.1",
                "-c", "unix_socket_directories=", "-c", f"max_connections={max_connections}",
                "-c", "superuser_reserved_connections=0", "-c", "fsync=off", "-c", "shared_buffers=16MB"]  # fmt: skip
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready()

    @property
    def dsn(self) -> str:
        """A libpq URL for the superuser."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres?sslmode=disable"

    def _wait_ready(self, timeout: float = 30.0) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"postgres exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}"
                )
            try:
                with psycopg.connect(self.dsn, connect_timeout=1):
                    return
            except psycopg.OperationalError:
                time.sleep(0.1)
        raise AssertionError(f"postgres not ready within {timeout} s: {self.log.read_text()[-2000:]}")

    def refused_lines(self) -> list[str]:
        """The server log's lines about refused connections."""
        return [
            line for line in self.log.read_text(errors="replace").splitlines() if "too many clients" in line
        ]

    def stop(self) -> None:
        """Stop the server by its PID (SIGTERM: smart shutdown; SIGKILL if it lingers), remove the cluster."""
        _stop(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


class PostgresExporter:
    """Debian's prometheus-postgres-exporter for one server, on a free port."""

    def __init__(self, server: PostgresServer, workdir: Path) -> None:
        """Start it and wait until it serves its metrics."""
        binary = need_program("prometheus-postgres-exporter")
        self.port = free_port()
        self.log = workdir / "postgres_exporter.log"
        env = {**os.environ, "DATA_SOURCE_NAME": server.dsn}
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [binary, f"--web.listen-address=127.0.0.1:{self.port}"],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (
                    "pg_settings_max_connections"
                    in httpx.get(f"http://{self.target}/metrics", timeout=2).text
                ):
                    return
            time.sleep(0.1)
        raise AssertionError(f"postgres_exporter did not serve pg metrics: {self.log.read_text()[-2000:]}")

    @property
    def target(self) -> str:
        """`host:port` for a scrape config."""
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop it by its PID."""
        _stop(self.proc)


class OneConnectionApp:
    """An HTTP API on 127.0.0.1 that opens a new PostgreSQL connection for every request (no pool).

    `GET /work` connects, holds the connection `hold_s` in a query, and closes it: 200; when the server
    refuses the connection (too many clients), 503 at once. `refused_at` is when that first happened.
    """

    def __init__(self, dsn: str, hold_s: float = 0.5) -> None:
        """Start serving on a free port."""
        import psycopg

        self.refused = 0
        self.served = 0
        self.refused_at: float | None = None
        app = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                status = 200
                try:
                    with psycopg.connect(dsn, connect_timeout=3) as conn:
                        conn.execute("SELECT pg_sleep(%s)", (hold_s,))
                    app.served += 1
                except psycopg.OperationalError:
                    status = 503
                    app.refused += 1
                    if app.refused_at is None:
                        app.refused_at = time.time()
                body = b"ok" if status == 200 else b"database refused the connection"
                with contextlib.suppress(OSError):
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._httpd.request_queue_size = 256
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """Base URL."""
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        """Stop serving."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)


class DelayProxy(SlowServer):
    """A Prometheus API proxy that delays the instant queries holding `marker` by `delay_s`; others pass at once."""

    def __init__(self, upstream: str, marker: str, delay_s: float) -> None:
        """Start serving on a free port; an unreachable upstream is answered with a 502."""
        super().__init__(
            upstream, delay_s, marker=marker, down_answer=b'{"status":"error","error":"upstream down"}'
        )


@pytest.fixture
def postgres_server() -> Iterator[PostgresServer]:
    """PostgreSQL with max_connections 40, no superuser reserve."""
    server = PostgresServer(max_connections=40)
    yield server
    server.stop()

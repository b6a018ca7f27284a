"""Shared fixtures: the real k6 binary, nginx and the demo target, each on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from runners.k6_binary import K6NotFoundError, find_k6
from runners.k6_command import free_port
from tests.components import missing, need_program

os.environ["K6_NO_USAGE_REPORT"] = "true"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def k6_bin() -> str:
    """The real k6 binary."""
    try:
        return find_k6()
    except K6NotFoundError as exc:
        missing("k6", str(exc))
        raise


NGINX_CONF = """
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp; fastcgi_temp_path {d}/tmp;
  uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;
  server {{
    listen 127.0.0.1:{port};
    location / {{ return 200 "hello world\\n"; }}
    location /missing {{ return 404 "nope\\n"; }}
  }}
}}
"""


@pytest.fixture(scope="session")
def nginx_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local nginx (one worker) answering 200 on every path but /missing (404)."""
    nginx = need_program("nginx")
    d = tmp_path_factory.mktemp("nginx")
    (d / "tmp").mkdir()
    port = free_port()
    (d / "nginx.conf").write_text(NGINX_CONF.format(d=d, port=port))
    proc = subprocess.Popen([nginx, "-c", str(d / "nginx.conf"), "-p", str(d), "-g", "daemon off;"])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=0.5)
            break
        except httpx.HTTPError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail(f"nginx did not answer on {url}: {(d / 'error.log').read_text()}")
    yield url
    proc.send_signal(signal.SIGQUIT)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)

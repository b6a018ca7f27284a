"""A throwaway nginx (one worker, its own config and folder) on a free 127.0.0.1 port it is seen to hold."""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from benchmarks.listen import start_listening

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


def nginx_binary() -> str | None:
    """nginx's path, or None when it is not installed."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")


@contextmanager
def local_nginx(folder: Path | None = None, own_session: bool = False) -> Iterator[str]:
    """Run nginx answering 200 everywhere but /missing (404); yields its base URL.

    Args:
        folder: where its config and logs go (default: a temporary folder).
        own_session: start it in a session of its own, as a target on another box would be: with the
            kernel's autogroup scheduling every session is a CPU group, so otherwise a k6 that shares the
            caller's session with nginx is favoured over one that does not (a loadwatch screen in tmux).

    Raises:
        RuntimeError: when nginx is missing or does not answer within 10 s.
    """
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed (scripts/setup installs nginx-light)")
    with tempfile.TemporaryDirectory(prefix="lw-nginx-") as tmp:
        d = folder or Path(tmp)
        (d / "tmp").mkdir(parents=True, exist_ok=True)

        def launch(port: int) -> subprocess.Popen[bytes]:
            (d / "nginx.conf").write_text(NGINX_CONF.format(d=d, port=port))
            return subprocess.Popen(
                [binary, "-c", str(d / "nginx.conf"), "-p", str(d), "-g", "daemon off;"],
                stderr=subprocess.DEVNULL,
                start_new_session=own_session,
            )

        port, proc = start_listening(launch)  # its master process holds the port: nobody else answers
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    httpx.get(url, timeout=0.5)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError(f"nginx did not answer on {url}") from None
                    time.sleep(0.05)
            yield url
        finally:
            proc.send_signal(signal.SIGQUIT)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

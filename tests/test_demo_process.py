"""Tests of the demo target as a process: the CLI, start_demo_process and death with the parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import psutil
import pytest

from runners.demo.process import read_first_line, start_demo_process


def test_cli_prints_one_line_and_exits_cleanly_on_sigint() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "runners.demo.target", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = read_first_line(proc.stdout, 10).decode()
        assert line.startswith("LISTENING http://127.0.0.1:")
        assert httpx.get(f"{line.split()[1]}/health", timeout=5).status_code == 200
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    assert proc.returncode == 0, err
    assert out == b""


def test_start_demo_process_starts_and_stops() -> None:
    demo = start_demo_process(pool_size=5)
    try:
        assert demo.url.startswith("http://127.0.0.1:")
        metrics = httpx.get(f"{demo.url}/metrics", timeout=5).text
        assert "demo_db_pool_connections_max 5.0" in metrics.splitlines()
        assert psutil.pid_exists(demo.pid)
    finally:
        status = demo.stop(timeout=5)
    assert status == 0
    assert not psutil.pid_exists(demo.pid)
    assert demo.stop() == 0  # idempotent


def test_start_demo_process_reports_stderr_on_failure() -> None:
    with pytest.raises(RuntimeError, match=r"(?s)exited with status 2 before listening.*--pool-size"):
        start_demo_process(pool_size=0, timeout_s=10)


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_demo_process_dies_with_its_parent() -> None:
    code = "from runners.demo.process import start_demo_process as s; import time; print(s().pid, flush=True); time.sleep(60)"
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert parent.stdout is not None
        child = int(read_first_line(parent.stdout, 15))
        assert psutil.pid_exists(child)
    finally:
        parent.kill()
        parent.wait(5)
    for _ in range(100):
        if _gone(child):
            break
        time.sleep(0.05)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail("the demo target outlived its parent")

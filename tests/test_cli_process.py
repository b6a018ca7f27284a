"""`loadwatch` as a process: --help, bad arguments, and k6 never outliving it (kill -9, SIGHUP, ctrl+c)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from runners.record.reader import RecordReader
from tests import k6_scripts

LOADWATCH = [sys.executable, "-m", "runners.cli"]


def test_help_and_version() -> None:
    out = subprocess.run([*LOADWATCH, "--help"], capture_output=True, text=True, timeout=30, check=True)
    assert "run" in out.stdout and "demo" in out.stdout
    out = subprocess.run([*LOADWATCH, "--version"], capture_output=True, text=True, timeout=30, check=True)
    assert out.stdout.startswith("loadwatch ")


def test_reserved_k6_flag_is_a_usage_error(tmp_path: Path) -> None:
    script = k6_scripts.write(tmp_path, "s.js", "export default function () {}\n")
    out = subprocess.run(
        [
            *LOADWATCH,
            "run",
            str(script),
            "--headless",
            "--runs-dir",
            str(tmp_path),
            "--",
            "--address",
            "0.0.0.0:1",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert out.returncode == 2
    assert "--address cannot be passed" in out.stderr
    assert not list(tmp_path.glob("*/run.sqlite")), "nothing was started"


def _is_k6_run(p: psutil.Process) -> bool:
    # loadwatch also runs short-lived `k6 version` and `k6 inspect`: only `k6 run` is the test's k6.
    try:
        return p.cmdline()[1:2] == ["run"] and "k6" in p.name()
    except psutil.Error:
        return False


def recorded_seconds(runs: Path) -> int:
    """Seconds in the (one) run record under `runs` so far; 0 before it exists."""
    folders = list(runs.iterdir()) if runs.is_dir() else []
    if not folders or not (folders[0] / "run.sqlite").is_file():
        return 0
    try:
        with RecordReader(folders[0]) as reader:
            return reader.count_seconds()
    except Exception:  # the writer may be creating it right now
        return 0


Headless = Callable[[], tuple[subprocess.Popen[str], psutil.Process]]


@pytest.fixture
def start_headless(tmp_path: Path, nginx_url: str) -> Iterator[Headless]:
    """Starts `loadwatch run --headless` (60 s of load) once it recorded 2 s; ends it and its k6 by PID."""
    started: list[psutil.Process] = []

    def start() -> tuple[subprocess.Popen[str], psutil.Process]:
        script = k6_scripts.write(tmp_path, "st.js", k6_scripts.STEADY)
        proc = subprocess.Popen(
            [*LOADWATCH, "run", str(script), "--headless", "--runs-dir", str(tmp_path / "runs"),
             "--json-summary", str(tmp_path / "summary.json"), "--progress-every", "1",
             "--", "-e", f"BASE={nginx_url}", "--duration", "60s"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=dict(os.environ, K6_NO_USAGE_REPORT="true"),
        )  # fmt: skip
        started.append(psutil.Process(proc.pid))
        deadline = time.monotonic() + 30
        k6 = None
        while time.monotonic() < deadline and k6 is None:
            k6 = next((c for c in psutil.Process(proc.pid).children() if _is_k6_run(c)), None)
            time.sleep(0.05)
        assert k6 is not None, "k6 was started"
        started.append(k6)
        deadline = time.monotonic() + 30
        while recorded_seconds(tmp_path / "runs") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert recorded_seconds(tmp_path / "runs") >= 2, "loadwatch records the run's seconds"
        return proc, k6

    yield start
    for p in started:  # whatever the test did or failed to do
        with contextlib.suppress(psutil.Error):
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                p.kill()
    psutil.wait_procs(started, timeout=10)


@pytest.mark.integration
def test_kill_9_of_loadwatch_takes_k6_down_and_leaves_a_readable_record(
    tmp_path: Path, k6_bin: str, start_headless: Headless
) -> None:
    proc, k6 = start_headless()
    killed_at = time.time()
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    _, alive = psutil.wait_procs([k6], timeout=5)
    assert not alive, "k6 did not outlive loadwatch"
    (run_dir,) = (tmp_path / "runs").iterdir()
    reader = RecordReader(run_dir)
    seconds = reader.seconds()
    assert seconds, "the series up to the kill is on disk"
    assert killed_at - (seconds[-1].t + 1) < 2.5  # last closed second ends within ~1 s + close delay
    meta = reader.meta()
    assert meta.status == "crashed" and meta["recorded_status"] == "running", meta


@pytest.mark.integration
@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGINT, signal.SIGTERM], ids=["hup", "int", "term"])
def test_signal_stops_k6_gracefully_and_completes_the_record(
    tmp_path: Path, k6_bin: str, start_headless: Headless, sig: signal.Signals
) -> None:
    proc, k6 = start_headless()
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, out
    assert not k6.is_running()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "aborted" and summary["k6_exit_code"] == 103
    assert summary["requests"] > 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    meta = RecordReader(run_dir).meta()
    assert meta["status"] == "aborted" and meta["ended_at"] > meta["started_at"]
    assert "rps=" in out

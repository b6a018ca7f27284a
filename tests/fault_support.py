"""Helpers for the fault tests: run `loadwatch` as a real process, find its k6, read what it left."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil

LOADWATCH = [sys.executable, "-m", "runners.cli"]
ENV = dict(os.environ, K6_NO_USAGE_REPORT="true")


def loadwatch_bin() -> str:
    """The installed `loadwatch` console script of this environment."""
    return str(Path(sys.executable).parent / "loadwatch")


def is_k6_run(p: psutil.Process) -> bool:
    """True for a `k6 run` (not the short-lived `k6 version` or `k6 inspect`)."""
    try:
        return p.cmdline()[1:2] == ["run"] and "k6" in p.name()
    except psutil.Error:
        return False


def k6_under(pid: int, timeout_s: float = 30.0) -> psutil.Process:
    """The `k6 run` child of process `pid` (any depth), waiting for it to appear."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            found = [c for c in psutil.Process(pid).children(recursive=True) if is_k6_run(c)]
        except psutil.NoSuchProcess:
            found = []
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError("k6 was not started")


def wait_until(pred: Callable[[], bool], timeout_s: float, what: str, step_s: float = 0.1) -> None:
    """Poll `pred` until it holds; fail naming `what` after the timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(step_s)
    raise AssertionError(f"timed out waiting for {what}")


def only_run_dir(runs: Path) -> Path:
    """The single run folder under `runs`."""
    dirs = [d for d in runs.iterdir() if d.is_dir()]
    assert len(dirs) == 1, dirs
    return dirs[0]


def headless(
    tmp_path: Path, script: Path, k6_args: list[str], *extra: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """Start `loadwatch run --headless` with progress every second, output captured."""
    return subprocess.Popen(
        [*LOADWATCH, "run", str(script), "--headless", "--runs-dir", str(tmp_path / "runs"),
         "--progress-every", "1", *extra, "--", *k6_args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**ENV, **(env or {})}, cwd=tmp_path,
    )  # fmt: skip


def files_holding(folder: Path, needles: list[str]) -> dict[str, list[str]]:
    """Every file under `folder` (binary too: SQLite pages, WAL) that holds any of `needles`."""
    found: dict[str, list[str]] = {}
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits = [n for n in needles if n.encode() in data]
            if hits:
                found[str(path.relative_to(folder))] = hits
    return found


def cpu_percent(pid: int, over_s: float = 2.0) -> float:
    """CPU use of a process (and its threads) over a short span, in % of one core."""
    p = psutil.Process(pid)
    p.cpu_percent(None)
    time.sleep(over_s)
    return p.cpu_percent(None)

"""End to end, as a user: `loadwatch demo` in an 80x24 tmux terminal, live numbers, q, y, nothing left."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import psutil
import pytest

from runners.run_record import RunReader
from tests.tmux_driver import Tmux

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def k6_processes_for(runs_dir: Path) -> list[psutil.Process]:
    """k6 processes whose command line points into this test's runs folder."""
    found = []
    for p in psutil.process_iter(["name", "cmdline"]):
        cmd = " ".join(p.info["cmdline"] or [])
        if "k6" in (p.info["name"] or "") and str(runs_dir) in cmd:
            found.append(p)
    return found


def test_demo_at_80x24_quit_with_confirmation(tmp_path: Path, k6_bin: str) -> None:
    runs = tmp_path / "runs"
    loadwatch = str(Path(sys.executable).parent / "loadwatch")
    term = Tmux([loadwatch, "demo", "--runs-dir", str(runs)], cwd=tmp_path, size=(80, 24),
                env={"K6_NO_USAGE_REPORT": "true", "TERM": "xterm-256color"})  # fmt: skip
    try:
        screen = term.wait_for(lambda s: "RUNNING" in s and re.search(r"run req\s+[1-9]", s) is not None, 40,
                               "live numbers")  # fmt: skip
        assert "demo" in screen and "req/s" in screen and "k6 output" in screen
        assert k6_processes_for(runs), "k6 runs under loadwatch"
        term.send("q")
        term.wait_for(lambda s: "Stop k6 gracefully and quit?" in s, 5, "the confirmation")
        term.send("y")
        screen = term.wait_for(lambda s: "EXIT=" in s, 60, "loadwatch to exit")
        assert "EXIT=130" in screen, screen
        deadline = time.monotonic() + 10
        while k6_processes_for(runs) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not k6_processes_for(runs), "no k6 is left running"
    finally:
        term.close()
    (run_dir,) = runs.iterdir()
    meta = RunReader(run_dir).meta()
    assert meta["status"] == "aborted" and meta["stopped_by"] == "quit"
    assert meta["k6_exit_code"] == 103

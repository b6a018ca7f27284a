"""End to end, as a user: `loadwatch demo` in an 80x24 tmux terminal, live numbers, q, y, nothing left."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from runners.record.reader import RecordReader
from runners.record.schema import EventKind
from tests.tmux_driver import Tmux

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
KILL_AFTER_CLOSE_S = 0.2


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
    meta = RecordReader(run_dir).meta()
    assert meta["status"] == "aborted" and meta["stopped_by"] == "quit"
    assert meta["k6_exit_code"] == 103


def start_demo(tmp_path: Path, size: tuple[int, int] = (80, 24)) -> tuple[Tmux, Path]:
    runs = tmp_path / "runs"
    loadwatch = str(Path(sys.executable).parent / "loadwatch")
    term = Tmux([loadwatch, "demo", "--runs-dir", str(runs)], cwd=tmp_path, size=size,
                env={"K6_NO_USAGE_REPORT": "true", "TERM": "xterm-256color"})  # fmt: skip
    try:
        term.wait_for(lambda s: re.search(r"run req\s+[1-9]", s) is not None, 40, "live numbers")
    except BaseException:
        term.close()  # ends loadwatch and k6 by PID too
        raise
    return term, runs


def loadwatch_pid(runs: Path) -> int:
    """The loadwatch process: the parent of the k6 that writes into `runs`."""
    (k6,) = k6_processes_for(runs)
    return k6.ppid()


def test_mark_snapshot_abort_at_80x24_then_show_json(tmp_path: Path, k6_bin: str) -> None:
    term, runs = start_demo(tmp_path)
    try:
        term.send("m")
        term.wait_for(lambda s: "a note" in s, 5, "the mark dialog")
        term.send("-l", "pool saturating")
        term.send("Enter")
        term.wait_for(lambda s: "saved: pool saturating" in s, 5, "the mark notice")
        term.send("s")
        term.wait_for(lambda s: "snapshot saved" in s, 10, "the snapshot notice")
        term.send("a")
        term.wait_for(lambda s: "Abort the run?" in s, 5, "the abort question")
        term.send("y")
        term.wait_for(lambda s: "ABORTED" in s, 60, "the aborted state")
        term.send("q")
        term.wait_for(lambda s: "EXIT=130" in s, 20, "loadwatch to exit")
    finally:
        term.close()
    shown = json.loads(subprocess.run([sys.executable, "-m", "runners.cli", "show", "last", "--json",
                                       "--runs-dir", str(runs)], capture_output=True, text=True, check=True,
                                      timeout=60).stdout)  # fmt: skip
    assert shown["meta"]["status"] == "aborted" and shown["meta"]["stopped_by"] == "abort key"
    assert [m["note"] for m in shown["marks"]] == ["pool saturating"]
    snaps = [Path(p) for p in shown["snapshots"]]
    assert any(p.suffix == ".svg" for p in snaps) and any(p.suffix == ".json" for p in snaps)
    assert all(p.is_file() for p in snaps)
    assert not k6_processes_for(runs)


def test_kill_9_right_after_enter_keeps_the_mark_and_the_series(tmp_path: Path, k6_bin: str) -> None:
    # README: "Enter saves it to disk before the dialog closes". The engine also commits every tick
    # (0.5 s), so the kill comes at most 200 ms after the dialog is seen closing (it closes 0.2-0.7 s after
    # Enter on a loaded 2-core box); a mark that Enter did not commit is then usually not on disk yet.
    term, runs = start_demo(tmp_path)
    try:
        pid = loadwatch_pid(runs)
        k6 = k6_processes_for(runs)
        term.send("m")
        term.wait_for(lambda s: "a note" in s, 10, "the mark dialog")
        term.send("-l", "right before the kill")
        sent = time.monotonic()
        term.send("Enter")
        term.wait_for(lambda s: "a note" not in s, 10, "the dialog to close")
        closed = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        killed_at = time.time()
        assert killed - closed <= KILL_AFTER_CLOSE_S
        _, alive = psutil.wait_procs(k6, timeout=5)
        assert not alive, "k6 went down with loadwatch"
    finally:
        term.close()
    (run_dir,) = runs.iterdir()
    reader = RecordReader(run_dir)
    assert [m.get("note") for m in reader.events(EventKind.MARK)] == ["right before the kill"], (
        f"dialog closed {closed - sent:.3f} s after Enter, killed {killed - closed:.3f} s later"
    )
    last = reader.seconds()[-1].t
    assert killed_at - (last + 1) <= 1.0  # the record also keeps the second in progress
    reader.close()


def test_sighup_when_the_terminal_goes_away(tmp_path: Path, k6_bin: str) -> None:
    term, runs = start_demo(tmp_path)
    loadwatch = psutil.Process(loadwatch_pid(runs))
    k6 = k6_processes_for(runs)
    killed = term.close(grace_s=60)  # the terminal goes away: the app gets SIGHUP
    assert killed == [], "the screen ended by itself"
    # The engine is its own process (not the terminal's): it stops the run and ends by itself.
    _, alive = psutil.wait_procs([loadwatch, *k6], timeout=60)
    assert not alive, "loadwatch's engine and k6 ended by themselves within 60 s"
    (run_dir,) = runs.iterdir()
    meta = RecordReader(run_dir).meta()
    # SIGHUP, or the hang-up seen on the terminal first (which one wins is a race on a loaded box); never
    # a bare "connection lost", which would mean the viewer left without saying why.
    assert meta["status"] == "aborted" and "terminal lost" in meta["stopped_by"], meta["stopped_by"]
    assert meta["ended_at"] > meta["started_at"]
    assert (run_dir / "summary.json").is_file()


def test_demo_to_its_end_shows_the_result_then_q_prints_the_closing_summary(
    tmp_path: Path, k6_bin: str
) -> None:
    runs = tmp_path / "runs"
    loadwatch = str(Path(sys.executable).parent / "loadwatch")
    # A pool of 4 connections saturates early whatever the box's speed: 503s and failed thresholds for sure.
    term = Tmux([loadwatch, "demo", "--speed", "4", "--pool-size", "4", "--runs-dir", str(runs)], cwd=tmp_path,
                size=(80, 24),
                env={"K6_NO_USAGE_REPORT": "true", "TERM": "xterm-256color"})  # fmt: skip
    try:
        screen = term.wait_for(lambda s: "THRESHOLDS (k6's verdict)" in s, 120, "the end-of-run result")
        assert re.search(r"^\s*FAIL\s+thresholds failed", screen, re.M), screen
        assert "whole run" in screen and "STATUS CODES (whole run)" in screen
        assert re.search(r"^\s*503\s+[\d,]+\s+\d", screen, re.M), "the run's 503s are counted"
        screen = term.wait_for(lambda s: "R Report" in s.splitlines()[-1], 5, "the footer of a finished run")
        footer = screen.splitlines()[-1]
        assert (
            "R Report" in footer and "P Replay" in footer and "Abort" not in footer and "Mark" not in footer
        )
        term.send("1")
        term.wait_for(lambda s: "WHOLE RUN (" in s and "req/s avg" in s, 5, "the whole-run numbers")
        term.send("R")
        term.wait_for(lambda s: "report written" in s, 60, "the report (R is enabled)")
        term.send("q")
        term.wait_for(lambda s: "EXIT=" in s, 30, "loadwatch to exit")
        screen = term.scrollback()
    finally:
        term.close()
    (run_dir,) = runs.iterdir()
    assert "EXIT=99" in screen, screen
    joined = screen.replace("\n", "")  # long paths wrap at 80 columns
    for wanted in ("FAIL  run demo", "thresholds", "http_req_failed rate<0.01", "breaches", "status codes:",
                   f"record: {run_dir}", f"report: {run_dir}/report"):  # fmt: skip
        assert wanted in joined, (wanted, screen)
    assert (run_dir / "report.html").is_file()

"""End to end in tmux: a run that outlives its terminal, several viewers, an engine killed under a viewer."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from runners.record.reader import RecordReader
from runners.record.schema import EventKind, EventRow, RunMeta
from tests.test_e2e_tmux import k6_processes_for, loadwatch_pid
from tests.tmux_driver import Tmux

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
LOADWATCH = str(Path(sys.executable).parent / "loadwatch")


def _env(tmp_path: Path) -> dict[str, str]:
    rt = tmp_path / "rt"
    rt.mkdir(mode=0o700, exist_ok=True)
    return {"K6_NO_USAGE_REPORT": "true", "TERM": "xterm-256color", "XDG_RUNTIME_DIR": str(rt)}


def _live(screen: str) -> bool:
    return "RUNNING" in screen and re.search(r"run req\s+[1-9]", screen) is not None


def _attach(tmp_path: Path, runs: Path, *extra: str) -> Tmux:
    return Tmux([LOADWATCH, "attach", "--runs-dir", str(runs), *extra], cwd=tmp_path, size=(120, 36),
                env=_env(tmp_path))  # fmt: skip


def _end_engines(runs: Path) -> None:
    """A failed test must not leave its detached run loading: SIGTERM its engine (found as k6's parent)."""
    engines: list[psutil.Process] = []
    for k6 in k6_processes_for(runs):
        with contextlib.suppress(psutil.Error):
            engines.append(psutil.Process(k6.ppid()))
    for p in engines:
        with contextlib.suppress(psutil.Error):
            p.terminate()
    _, alive = psutil.wait_procs(engines, timeout=30)
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.kill()


def _record(runs: Path) -> tuple[RunMeta, list[EventRow]]:
    (run_dir,) = runs.iterdir()
    with RecordReader(run_dir) as reader:
        return reader.meta(), reader.events()


def test_keep_running_on_sighup_then_attach_sees_it_from_the_start(tmp_path: Path, k6_bin: str) -> None:
    runs = tmp_path / "runs"
    first = Tmux([LOADWATCH, "demo", "--runs-dir", str(runs), "--on-hangup", "detach"], cwd=tmp_path,
                 size=(120, 36), env=_env(tmp_path))  # fmt: skip
    second: Tmux | None = None
    try:
        first.wait_for(_live, 40, "live numbers")
        first.send("M")
        first.wait_for(lambda s: "saved" in s, 5, "the first mark")
        engine = psutil.Process(loadwatch_pid(runs))
        first.close()  # the terminal goes away: its viewer gets SIGHUP
        time.sleep(3)
        assert engine.is_running() and k6_processes_for(runs), "the run goes on with no terminal"
        t0 = time.monotonic()
        second = _attach(tmp_path, runs)
        screen = second.wait_for(_live, 20, "the attached screen")
        assert time.monotonic() - t0 < 20  # the 1 s budget is benchmarks.session_cost's, on a quiet box
        assert "00:00" in screen, screen  # the charts' axis starts at the run's start
        elapsed = re.search(r"RUNNING\s+(\d\d):(\d\d)", screen)
        assert elapsed is not None and int(elapsed[1]) * 60 + int(elapsed[2]) >= 4
        second.send("6")
        second.wait_for(lambda s: "(instant)" in s or "mark" in s.lower(), 5, "the marks tab")
        second.send("M")
        second.wait_for(lambda s: "saved" in s, 5, "the second mark")
        second.send("a")
        second.wait_for(lambda s: "Abort the run?" in s, 5, "the abort question")
        second.send("y")
        second.wait_for(lambda s: "ABORTED" in s, 60, "the aborted state")
        _, alive = psutil.wait_procs([engine, *k6_processes_for(runs)], timeout=20)
        assert not alive, "the engine and k6 ended"
    finally:
        first.close()
        if second is not None:
            second.close()
        _end_engines(runs)
    meta, events = _record(runs)
    marks = [e for e in events if e.kind is EventKind.MARK]
    assert len(marks) == 2
    assert marks[0]["by"] != marks[1]["by"] and all(str(m["by"]).startswith("viewer ") for m in marks)
    lost = [e for e in events if e.kind is EventKind.VIEWER and e.get("action") == "lost"]
    assert lost and "SIGHUP" in str(lost[0]["reason"])
    assert meta.raw["status"] == "aborted" and meta.raw["stopped_by"] == "abort key"


def test_two_viewers_abort_from_one_ends_it_in_both(tmp_path: Path, k6_bin: str) -> None:
    runs = tmp_path / "runs"
    started = subprocess.run([LOADWATCH, "demo", "--detach", "--runs-dir", str(runs)], capture_output=True,
                             text=True, timeout=60, env={**_env(tmp_path), "PATH": "/usr/bin:/bin"}, check=True)  # fmt: skip
    assert "running detached" in started.stdout and "loadwatch attach" in started.stdout
    listed = subprocess.run([LOADWATCH, "runs", "--live", "--runs-dir", str(runs)], capture_output=True, text=True,
                            timeout=60, env=_env(tmp_path), check=True).stdout  # fmt: skip
    assert "demo" in listed and "loadwatch attach" in listed
    one = _attach(tmp_path, runs)
    two: Tmux | None = None
    try:
        one.wait_for(_live, 40, "viewer one live")
        two = _attach(tmp_path, runs)
        two.wait_for(_live, 10, "viewer two live")
        two.send("a")
        two.wait_for(lambda s: "Abort the run?" in s, 5, "the abort question")
        two.send("y")
        one.wait_for(lambda s: "ABORTED" in s, 60, "the end in viewer one")
        two.wait_for(lambda s: "ABORTED" in s, 10, "the end in viewer two")
        assert not k6_processes_for(runs) or psutil.wait_procs(k6_processes_for(runs), timeout=10)[1] == []
    finally:
        one.close()
        if two is not None:
            two.close()
        _end_engines(runs)
    meta, events = _record(runs)
    stops = [e for e in events if e.kind is EventKind.STOP_REQUESTED]
    assert meta.raw["status"] == "aborted" and stops and str(stops[0]["by"]).startswith("viewer 2 ")


def test_kill_9_of_the_engine_under_a_viewer(tmp_path: Path, k6_bin: str) -> None:
    runs = tmp_path / "runs"
    term = Tmux(
        [LOADWATCH, "demo", "--runs-dir", str(runs)], cwd=tmp_path, size=(120, 36), env=_env(tmp_path)
    )
    try:
        term.wait_for(_live, 40, "live numbers")
        term.send("M")
        term.wait_for(lambda s: "saved" in s, 5, "the mark")
        time.sleep(2)
        engine = psutil.Process(loadwatch_pid(runs))
        k6 = k6_processes_for(runs)
        killed_at = time.time()
        engine.kill()
        t0 = time.monotonic()
        term.wait_for(lambda s: "is gone" in s, 2.5, "the viewer to say the engine is gone")
        noticed = time.monotonic() - t0
        assert noticed <= 2.0, noticed
        _, alive = psutil.wait_procs(k6, timeout=5)
        assert not alive, "k6 went down with its engine"
        term.send("q")
        term.wait_for(lambda s: "EXIT=1" in s, 10, "the viewer to leave")
    finally:
        term.close()
        _end_engines(runs)
    (run_dir,) = runs.iterdir()
    with RecordReader(run_dir) as reader:
        assert len(reader.events(EventKind.MARK)) == 1
        last = reader.seconds()[-1].t
    assert killed_at - (last + 1) <= 1.0  # everything up to the last second is on disk
    listed = subprocess.run([LOADWATCH, "runs", "--runs-dir", str(runs)], capture_output=True, text=True,
                            timeout=60, env=_env(tmp_path), check=True).stdout  # fmt: skip
    assert "crashed" in listed, listed
    assert not list((tmp_path / "rt" / "loadwatch").glob("*.sock")), "the stale socket was cleaned"

"""Case 5: records stay readable on read-only media (finished, and crashed with its write-ahead log), and a
damaged record (garbage in the database, in its header, in the log) gives a clear message and what can be
salvaged, never a traceback or a silently shorter run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from runners.record.reader import RecordReader
from runners.record.schema import DB_NAME
from tests import k6_scripts
from tests.fault_support import ENV, LOADWATCH, SmallDisk, headless, k6_under, loadwatch_bin, only_run_dir
from tests.tmux_driver import Tmux

pytestmark = pytest.mark.integration


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LOADWATCH, *args], capture_output=True, text=True, timeout=120, env=ENV, check=False
    )


def _run(tmp_path: Path, nginx_url: str, name: str, *, kill_after: float | None = None) -> Path:
    """A real run: finished after 5 s, or killed with SIGKILL after `kill_after` s (its WAL left behind)."""
    script = k6_scripts.write(tmp_path, "mixed.js", k6_scripts.MIXED)
    work = tmp_path / name
    work.mkdir()
    proc = headless(
        work, script, ["-e", f"BASE={nginx_url}", "--duration", "5s" if kill_after is None else "60s"]
    )
    if kill_after is not None:
        k6_under(proc.pid)
        time.sleep(kill_after)
        proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=90)
    return only_run_dir(work / "runs")


def _replay_in_tmux(run_dir: Path, cwd: Path) -> str:
    term = Tmux([loadwatch_bin(), "replay", str(run_dir), "--speed", "50"], cwd=cwd, size=(100, 30),
                env={"K6_NO_USAGE_REPORT": "true"})  # fmt: skip
    try:
        term.wait_for(lambda s: "REPLAY" in s or "EXIT=" in s, 30, "the replay (or its message)")
        term.send("q")
        return term.wait_for(lambda s: "EXIT=" in s, 30, "replay to exit")
    finally:
        term.close()


def test_records_on_read_only_media_read_whole(tmp_path: Path, k6_bin: str, nginx_url: str) -> None:
    finished = _run(tmp_path, nginx_url, "a")
    crashed = _run(tmp_path, nginx_url, "b", kill_after=6)
    assert (crashed / (DB_NAME + "-wal")).stat().st_size > 0, "the crashed record kept its write-ahead log"
    with RecordReader(crashed) as reader:
        crashed_seconds = reader.count_seconds()
    disk = SmallDisk(tmp_path / "media", size="64m")
    try:
        copies = []
        for run_dir in (finished, crashed):
            copy = disk.path / run_dir.name
            shutil.copytree(run_dir, copy)
            copies.append(copy)
        disk.read_only()
        assert not os.access(disk.path, os.W_OK) or subprocess.run(["touch", str(disk.path / "x")],
                                                                   check=False).returncode != 0  # fmt: skip
        for copy in copies:
            shown = _cli("show", str(copy), "--json")
            assert shown.returncode == 0 and "Traceback" not in shown.stderr, shown.stderr
            data = json.loads(shown.stdout)
            assert data["seconds_recorded"] >= 4 and data["damage"] == [], data["seconds_recorded"]
            out = tmp_path / f"report-{copy.name}"
            report = _cli("report", str(copy), "--no-baseline", "--out", str(out))
            assert report.returncode == 0 and (out / "report.md").is_file(), report.stderr
            screen = _replay_in_tmux(copy, tmp_path)
            assert "EXIT=0" in screen and "Traceback" not in screen, screen
        # The crashed copy read whole: its log was replayed from a private copy, not ignored.
        assert (
            json.loads(_cli("show", str(copies[1]), "--json").stdout)["seconds_recorded"] == crashed_seconds
        )
    finally:
        disk.unmount()


def _garble(path: Path, offset: int, length: int) -> None:
    with path.open("r+b") as f:
        f.seek(offset)
        f.write(os.urandom(length))


def test_damaged_records_say_so_and_give_what_can_be_read(
    tmp_path: Path, k6_bin: str, nginx_url: str
) -> None:
    finished = _run(tmp_path, nginx_url, "a")
    crashed = _run(tmp_path, nginx_url, "b", kill_after=8)

    # Garbage in the database's pages: a message, and the parts that can still be read.
    pages = tmp_path / "pages"
    shutil.copytree(finished, pages)
    db = pages / DB_NAME
    _garble(db, db.stat().st_size // 2, 8192)
    shown = _cli("show", str(pages), "--json")
    assert shown.returncode == 1 and "Traceback" not in shown.stderr, shown.stderr
    assert "the run record is damaged" in shown.stderr, shown.stderr
    salvaged = json.loads(shown.stdout)
    assert salvaged["damage"] and salvaged["meta"]["status"] == "finished", salvaged["damage"]
    screen = _replay_in_tmux(pages, tmp_path)
    assert "damaged" in screen and "Traceback" not in screen, screen
    report = _cli("report", str(pages), "--no-baseline", "--out", str(tmp_path / "r-pages"))
    assert "Traceback" not in report.stderr, report.stderr

    # Garbage in its header: nothing can be read, and it says so plainly.
    header = tmp_path / "header"
    shutil.copytree(finished, header)
    _garble(header / DB_NAME, 0, 100)
    for command in (["show", str(header)], ["report", str(header), "--no-baseline"]):
        out = _cli(*command)
        assert out.returncode != 0 and "Traceback" not in out.stderr, out.stderr
        assert "cannot read the run record" in out.stderr or "not a database" in out.stderr, out.stderr
    listed = _cli("runs", "--runs-dir", str(tmp_path / "header"))
    assert "Traceback" not in listed.stderr

    # Garbage in the middle of the write-ahead log: SQLite would silently stop there; the record says so.
    wal_copy = tmp_path / "wal"
    shutil.copytree(crashed, wal_copy)
    (wal_copy / (DB_NAME + "-shm")).unlink(missing_ok=True)
    wal = wal_copy / (DB_NAME + "-wal")
    frame = 24 + 4096
    frames = (wal.stat().st_size - 32) // frame
    assert frames > 20, frames
    _garble(wal, 32 + (frames // 3) * frame + 24, 512)
    shown = _cli("show", str(wal_copy))
    print(f"figures: WAL {frames} frames, garbled frame {frames // 3}; {shown.stderr.strip()}")
    assert shown.returncode == 1 and "write-ahead log are unreadable" in shown.stderr, shown.stderr
    with RecordReader(crashed) as whole, RecordReader(wal_copy) as cut:
        assert cut.count_seconds() < whole.count_seconds()  # what the damage cost, now not silent

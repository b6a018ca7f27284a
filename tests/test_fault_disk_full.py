"""Case 1: recording on a small tmpfs that fills up mid-run. The screen keeps a banner and headless prints a
line every few seconds while writes fail; a mark says "not saved yet"; `s` answers with a message; what was
measured meanwhile is written when space returns; starting on a full disk is a clear error; a disk still
full at the end leaves a record that reads as cut short, never as a live run."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from runners.record.reader import RecordReader
from runners.record.schema import EventKind
from tests import k6_scripts
from tests.fault_support import ENV, LOADWATCH, SmallDisk, loadwatch_bin, only_run_dir, wait_until
from tests.tmux_driver import Tmux

pytestmark = [pytest.mark.integration]


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallDisk]:
    d = SmallDisk(tmp_path / "disk")
    try:
        yield d
    finally:
        d.unmount()


def _seconds_and_events(run_dir: Path) -> tuple[list[int], list[str], dict[str, object]]:
    with RecordReader(run_dir) as reader:
        seconds = [p.t for p in reader.seconds()]
        record_events = [str(e.get("transition")) for e in reader.events(EventKind.RECORD)]
        marks = reader.events(EventKind.MARK)
        meta = dict(reader.meta().raw)
    meta["marks"] = len(marks)
    return seconds, record_events, meta


def test_screen_keeps_saying_so_and_nothing_measured_is_lost(
    tmp_path: Path, disk: SmallDisk, k6_bin: str, nginx_url: str
) -> None:
    script = k6_scripts.write(tmp_path, "steady.js", k6_scripts.STEADY)
    runs = disk.path / "runs"
    term = Tmux([loadwatch_bin(), "run", str(script), "--runs-dir", str(runs), "--",
                 "-e", f"BASE={nginx_url}", "--duration", "30s"],
                cwd=tmp_path, size=(120, 36), env={"K6_NO_USAGE_REPORT": "true"})  # fmt: skip
    try:
        term.wait_for(lambda s: re.search(r"run req\s+[1-9]", s) is not None, 40, "live numbers")
        time.sleep(2)
        disk.fill()
        full_at = time.time()
        term.wait_for(lambda s: "RUN RECORD NOT SAVED" in s, 5, "the banner")
        term.send("M")
        term.wait_for(lambda s: "not saved yet" in s, 5, "the mark's warning")
        term.send("s")
        term.wait_for(
            lambda s: "snapshot not saved" in s or "values not saved" in s, 10, "the snapshot's message"
        )
        banners = []
        for _ in range(8):  # the banner stays as long as writes fail
            time.sleep(1)
            banners.append("RUN RECORD NOT SAVED" in term.screen())
        assert all(banners), banners
        disk.free()
        freed_at = time.time()
        term.wait_for(lambda s: "RUN RECORD NOT SAVED" not in s, 10, "the banner to go once space returns")
        term.wait_for(lambda s: "FINISHED" in s, 60, "the end of the run")
        term.send("q")
        term.wait_for(lambda s: "EXIT=" in s, 30, "loadwatch to exit")
    finally:
        term.close()
    run_dir = only_run_dir(runs)
    seconds, record_events, meta = _seconds_and_events(run_dir)
    # Every second of the run is there, those measured while the disk was full included.
    assert seconds == list(range(seconds[0], seconds[-1] + 1)), seconds
    assert seconds[0] < full_at - 1 and seconds[-1] > freed_at + 5 and len(seconds) >= 28, seconds
    assert record_events == ["failing", "saved"], record_events
    assert meta["marks"] == 1 and meta["status"] == "finished", meta
    full_s = freed_at - full_at
    print(
        f"figures: disk full {full_s:.0f} s; banner {sum(banners)}/{len(banners)} checks; seconds kept "
        f"{len(seconds)} of {seconds[-1] - seconds[0] + 1}"
    )
    assert (run_dir / "summary.json").is_file()


def test_headless_says_so_every_few_seconds_and_a_full_start_is_a_clear_error(
    tmp_path: Path, disk: SmallDisk, k6_bin: str, nginx_url: str
) -> None:
    script = k6_scripts.write(tmp_path, "steady.js", k6_scripts.STEADY)
    disk.fill()
    out = subprocess.run([*LOADWATCH, "run", str(script), "--headless", "--runs-dir", str(disk.path / "runs"),
                          "--", "-e", f"BASE={nginx_url}", "--duration", "5s"],
                         capture_output=True, text=True, timeout=60, env=ENV, check=False)  # fmt: skip
    assert out.returncode == 2, out.stdout + out.stderr
    assert "cannot create" in out.stderr and "Traceback" not in out.stderr, out.stderr
    assert not list((disk.path / "runs").glob("*/run.sqlite")), "no half-made record is left"
    disk.free()

    proc = subprocess.Popen([*LOADWATCH, "run", str(script), "--headless", "--runs-dir", str(disk.path / "runs"),
                             "--progress-every", "1", "--", "-e", f"BASE={nginx_url}", "--duration", "25s"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV)  # fmt: skip
    wait_until(lambda: bool(list(disk.path.glob("runs/*/run.sqlite"))), 30, "the record")
    time.sleep(5)
    disk.fill()
    time.sleep(12)
    disk.free()
    text, _ = proc.communicate(timeout=90)
    assert proc.returncode == 0, text
    said = [line for line in text.splitlines() if "RECORD NOT SAVED" in line]
    assert len(said) >= 3, text  # at least every 5 s over 12 s (progress lines carry it every second)
    print(f"figures: headless 'RECORD NOT SAVED' lines over 12 s full: {len(said)}")
    assert "run record saved again" in text, text
    seconds, record_events, meta = _seconds_and_events(only_run_dir(disk.path / "runs"))
    assert seconds == list(range(seconds[0], seconds[-1] + 1)) and len(seconds) >= 23, seconds
    assert record_events == ["failing", "saved"] and meta["status"] == "finished", (record_events, meta)


def test_a_disk_full_to_the_end_leaves_a_record_read_as_cut_short(
    tmp_path: Path, disk: SmallDisk, k6_bin: str, nginx_url: str
) -> None:
    script = k6_scripts.write(tmp_path, "steady.js", k6_scripts.STEADY)
    runs = disk.path / "runs"
    proc = subprocess.Popen([*LOADWATCH, "run", str(script), "--headless", "--runs-dir", str(runs),
                             "--", "-e", f"BASE={nginx_url}", "--duration", "6s"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)  # fmt: skip
    wait_until(lambda: bool(list(runs.glob("*/run.sqlite"))), 30, "the record")
    time.sleep(3)
    disk.fill()
    out, err = proc.communicate(timeout=120)
    assert "the run record could not be completed" in err, out + err
    disk.free()
    listed = subprocess.run([*LOADWATCH, "runs", "--runs-dir", str(runs)], capture_output=True, text=True,
                            timeout=60, env=ENV, check=True).stdout  # fmt: skip
    assert "crashed" in listed, listed
    shown = subprocess.run([*LOADWATCH, "show", "last", "--runs-dir", str(runs)], capture_output=True, text=True,
                           timeout=60, env=ENV, check=True).stdout  # fmt: skip
    assert re.search(r"crashed at \d\d:\d\d:\d\d", shown), shown

"""A detached run's record is the same as one watched from start to end: same files, metadata, series, events."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runners.record.reader import RecordReader
from runners.record.schema import EventKind
from tests.tmux_driver import Tmux

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
LOADWATCH = str(Path(sys.executable).parent / "loadwatch")
# Who watched, and what the box and Docker did meanwhile, differ between two runs; nothing else should.
MACHINE_EVENTS = frozenset({EventKind.VIEWER, EventKind.DOCKER_STATE, EventKind.BREACH, EventKind.CAPACITY_CEILING,
                            EventKind.GENERATOR_SATURATED, EventKind.GENERATOR_RECOVERED})  # fmt: skip
SCRIPT = """import { sleep } from 'k6';
export const options = { vus: 2, duration: '3s' };
export default function () { sleep(0.2); }
"""


def _shape(runs: Path) -> dict[str, object]:
    (run_dir,) = runs.iterdir()
    db = sqlite3.connect(f"file:{run_dir / 'run.sqlite'}?mode=ro", uri=True)
    try:
        sources = sorted(r[0] for r in db.execute("SELECT DISTINCT source FROM series"))
        streams = sorted(r[0] for r in db.execute("SELECT DISTINCT stream FROM output"))
    finally:
        db.close()
    with RecordReader(run_dir) as rec:
        meta = rec.meta().raw
        kinds = sorted({e.kind.value for e in rec.events() if e.kind not in MACHINE_EVENTS})
        seconds = len(rec.seconds())
    return {
        "files": sorted(p.name for p in run_dir.iterdir() if not p.name.startswith("run.sqlite-")),
        "meta": sorted(meta),
        "status": meta["status"],
        "sources": sources,
        "streams": streams,
        "events": kinds,
        "summary": sorted(json.loads((run_dir / "summary.json").read_text())),
        "seconds_ok": seconds >= 3,
    }


def test_detached_and_watched_runs_record_the_same(tmp_path: Path, k6_bin: str) -> None:
    script = tmp_path / "short.js"
    script.write_text(SCRIPT)
    rt = tmp_path / "rt"
    rt.mkdir(mode=0o700)
    env = {"K6_NO_USAGE_REPORT": "true", "TERM": "xterm-256color", "XDG_RUNTIME_DIR": str(rt)}
    detached = tmp_path / "detached"
    out = subprocess.run([LOADWATCH, "run", str(script), "--detach", "--runs-dir", str(detached)],
                         capture_output=True, text=True, timeout=60, env={**env, "PATH": "/usr/bin:/bin"}, check=True)  # fmt: skip
    assert "running detached" in out.stdout
    watched = tmp_path / "watched"
    term = Tmux(
        [LOADWATCH, "run", str(script), "--runs-dir", str(watched)], cwd=tmp_path, size=(120, 36), env=env
    )
    try:
        term.wait_for(lambda s: "FINISHED" in s, 60, "the watched run to finish")
        term.send("q")
        term.wait_for(lambda s: "EXIT=0" in s, 20, "the screen to leave")
    finally:
        term.close()
    deadline = time.monotonic() + 60
    while not list(detached.glob("*/summary.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)
    one, two = _shape(detached), _shape(watched)
    assert one["status"] == two["status"] == "finished"
    assert one == two

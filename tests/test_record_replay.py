"""The run record with real k6: marks durable at once, runs list, show --json, replay's final numbers."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from runners.engine.live import RunEngine, RunSpec
from runners.engine.replay import ReplayControl
from runners.model.frames import RunState
from runners.record.reader import RecordReader
from runners.record.schema import EventKind
from tests import k6_scripts
from tests.engine_wait import wait_for_requests

pytestmark = pytest.mark.integration
CLI = [sys.executable, "-m", "runners.cli"]


def test_marks_are_on_disk_when_add_mark_returns(tmp_path: Path, k6_bin: str, nginx_url: str) -> None:
    script = k6_scripts.write(tmp_path, "st.js", k6_scripts.STEADY)
    engine = RunEngine(RunSpec(script=script, k6_args=("-e", f"BASE={nginx_url}", "--duration", "30s"),
                               runs_dir=tmp_path / "runs"))  # fmt: skip
    engine.start()
    try:
        wait_for_requests(engine)
        engine.add_mark("scaled the api to 4 replicas")
        # Another connection sees it at once: it was committed before add_mark returned.
        reader = RecordReader(engine.run_dir)
        marks = reader.events(EventKind.MARK)
        reader.close()
        assert [m["note"] for m in marks] == ["scaled the api to 4 replicas"]
        engine.add_mark("")
        svg = engine.snapshot_dir() / "screen.svg"
        svg.write_text("<svg/>")
        snap = engine.save_snapshot(svg)
        body = json.loads(snap.read_text())
        assert body["frame"]["run_name"] == "st" and body["svg"] == str(svg)
    finally:
        engine.request_stop(reason="test")
        assert engine.wait(30)
    with pytest.raises(RuntimeError, match="closed"):
        engine.add_mark("too late")


def test_runs_show_and_replay_agree_with_the_live_run(tmp_path: Path, k6_bin: str, nginx_url: str) -> None:
    script = k6_scripts.write(tmp_path, "mixed.js", k6_scripts.MIXED)
    runs = tmp_path / "runs"
    engine = RunEngine(RunSpec(script=script, k6_args=("-e", f"BASE={nginx_url}", "--vus", "3", "--duration", "4s"),
                               runs_dir=runs))  # fmt: skip
    engine.start()
    wait_for_requests(engine)
    engine.add_mark("half way")
    assert engine.wait(60) and engine.state == RunState.FINISHED
    live = engine.last_frame
    assert live is not None

    out = subprocess.run(
        [*CLI, "runs", "--runs-dir", str(runs)], capture_output=True, text=True, check=True, timeout=60
    )
    assert engine.run_dir.name in out.stdout and "finished" in out.stdout
    shown = json.loads(subprocess.run([*CLI, "show", "last", "--json", "--runs-dir", str(runs)], capture_output=True,
                                      text=True, check=True, timeout=60).stdout)  # fmt: skip
    assert shown["meta"]["status"] == "finished"
    assert [m["note"] for m in shown["marks"]] == ["half way"]
    assert shown["summary"]["requests"] == live.totals.requests

    replay = ReplayControl(engine.run_dir, autoplay=False)
    start = replay.frame_at(replay.t0)
    assert start.totals.requests == 0 and start.state == RunState.RUNNING
    end = replay.frame_at(replay.t_end)
    assert end.state == RunState.FINISHED
    assert end.totals.requests == live.totals.requests
    assert end.totals.failed == live.totals.failed
    assert end.totals.latency.p95 == pytest.approx(live.totals.latency.p95, abs=0.001)
    assert end.totals.latency.p99 == pytest.approx(live.totals.latency.p99, abs=0.001)
    assert [m.note for m in end.marks] == ["half way"]
    mid = replay.frame_at(replay.t0 + 3)
    assert 0 < mid.totals.requests < live.totals.requests
    # Whole-run figures at 3 s are those of the seconds recorded up to then: the requests add up to a prefix
    # of the series, and p95 (rebuilt from the per-second histograms) lies within their per-second p95s.
    with RecordReader(engine.run_dir) as reader:
        seconds = sorted(reader.seconds(), key=lambda p: p.t)
    # (the second in progress at 3 s may count in part, as it did live).
    prefix = [0, *itertools.accumulate(p.requests for p in seconds)]
    k = next(i for i in range(1, len(prefix)) if mid.totals.requests <= prefix[i])
    assert prefix[k - 1] <= mid.totals.requests <= prefix[k]
    upto = seconds[:k]
    p95s = [p.latency.p95 for p in upto if p.requests and p.latency.p95 is not None]
    lat = mid.totals.latency
    assert p95s and None not in (lat.p50, lat.p90, lat.p95, lat.p99, lat.max)
    assert 0 < lat.p50 <= lat.p90 <= lat.p95 <= lat.p99 <= lat.max <= live.totals.latency.max  # type: ignore[operator]
    # The second in progress counts as it was then, so p95 is only bracketed loosely by the seconds' own.
    assert min(p95s) * 0.5 <= lat.p95 <= max(p95s) * 2  # type: ignore[operator]
    assert sum(p.failed for p in upto[:-1]) <= mid.totals.failed <= sum(p.failed for p in upto)


def test_unknown_run_is_a_clear_error(tmp_path: Path) -> None:
    out = subprocess.run([*CLI, "show", "nope", "--runs-dir", str(tmp_path)], capture_output=True, text=True,
                         timeout=60, check=False)  # fmt: skip
    assert out.returncode == 2 and "no run 'nope'" in out.stderr

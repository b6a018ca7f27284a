"""The engine with the real k6 binary: correctness against k6's own summary, bad input, stops."""

from __future__ import annotations

import json
import time
from pathlib import Path

import psutil
import pytest

from runners.engine.live import RunEngine, RunSpec
from runners.model.frames import Frame, RunState
from runners.record.reader import RecordReader
from tests import k6_scripts
from tests.engine_wait import wait_for_requests

pytestmark = pytest.mark.integration
TREND_STATS = ["--summary-trend-stats", "avg,min,med,max,p(90),p(95),p(99)"]


def run(tmp_path: Path, script: Path, args: list[str], timeout: float = 120) -> RunEngine:
    engine = RunEngine(RunSpec(script=script, k6_args=tuple(args), runs_dir=tmp_path / "runs"))
    engine.start()
    assert engine.wait(timeout), "the run did not end in time"
    return engine


def test_totals_match_k6_summary_export(tmp_path: Path, k6_bin: str, nginx_url: str) -> None:
    script = k6_scripts.write(tmp_path, "mixed.js", k6_scripts.MIXED)
    args = ["-e", f"BASE={nginx_url}", "--vus", "4", "--iterations", "4000", *TREND_STATS]
    engine = run(tmp_path, script, args)
    s = engine.summary
    k6 = json.loads(engine.summary_export.read_text())["metrics"]
    assert s["status"] == "finished" and s["k6_exit_code"] == 0
    assert s["requests"] == k6["http_reqs"]["count"] > 4000
    assert abs(s["failed_rate"] - k6["http_req_failed"]["value"]) < 0.001
    for ours, theirs in (("p95", "p(95)"), ("p99", "p(99)"), ("p90", "p(90)"), ("p50", "med")):
        assert s["latency_ms"][ours] == pytest.approx(k6["http_req_duration"][theirs], rel=0.05), ours
    assert s["checks_rate"] == pytest.approx(k6["checks"]["value"])
    assert s["iterations"] == k6["iterations"]["count"] == 4000
    assert s["parse_errors"] == 0
    # The record holds the metadata, every second of the run and k6's output.
    reader = RecordReader(engine.run_dir)
    meta = reader.meta()
    assert meta["k6_version"].startswith("k6 v") and len(meta["script_sha256"]) == 64
    assert meta["k6_args"][:2] == ["-e", "BASE=***"]
    seconds = reader.seconds()
    assert sum(p.requests for p in seconds) == s["requests"]
    assert any("http_reqs" in line.text for line in reader.output())


@pytest.mark.parametrize(
    ("body", "args", "code", "message"),
    [
        ("export default function () { let x = ; }\n", [], 107, "Unexpected token"),
        (None, [], 255, "couldn't be found on local disk"),
        ("export default function () {}\n", ["--vus", "abc"], 255, "invalid argument"),
    ],
    ids=["syntax-error", "missing-script", "bad-flag"],
)
def test_bad_input_ends_at_once_with_k6s_message(
    tmp_path: Path, k6_bin: str, body: str | None, args: list[str], code: int, message: str
) -> None:
    script = tmp_path / "s.js"
    if body is not None:
        script.write_text(body)
    frames: list[Frame] = []
    engine = RunEngine(RunSpec(script=script, k6_args=tuple(args), runs_dir=tmp_path / "runs"))
    engine.add_listener(frames.append)
    t0 = time.monotonic()
    engine.start()
    assert engine.wait(20)
    assert time.monotonic() - t0 < 10
    assert engine.state == RunState.FAILED
    assert engine.summary["k6_exit_code"] == code
    assert message in engine.summary["status_detail"]
    shown = [line.text for f in frames for line in f.new_output]
    assert any(message in text for text in shown), "k6's message reaches the screen"
    recorded = [line.text for line in RecordReader(engine.run_dir).output()]
    assert any(message in text for text in recorded), "and the record"
    assert RecordReader(engine.run_dir).meta().status == "failed"


def test_graceful_stop_runs_teardown_and_writes_k6_summary(
    tmp_path: Path, k6_bin: str, nginx_url: str
) -> None:
    script = k6_scripts.write(tmp_path, "td.js", k6_scripts.TEARDOWN_MARK)
    engine = RunEngine(
        RunSpec(script=script, k6_args=("-e", f"BASE={nginx_url}", "--duration", "60s"), runs_dir=tmp_path)
    )
    engine.start()
    wait_for_requests(engine)
    pid = engine.k6.pid
    engine.request_stop(reason="test")
    assert engine.wait(30)
    assert engine.state == RunState.ABORTED and engine.k6.exit_code == 103
    assert "aborted by test" in engine.summary["status_detail"]
    assert engine.summary_export.is_file(), "k6 wrote its summary"
    assert any("teardown ran" in line.text for line in RecordReader(engine.run_dir).output())
    assert pid is not None and not psutil.pid_exists(pid)


def test_hard_stop_ends_k6_at_once(tmp_path: Path, k6_bin: str, nginx_url: str) -> None:
    script = k6_scripts.write(tmp_path, "st.js", k6_scripts.STEADY)
    engine = RunEngine(
        RunSpec(script=script, k6_args=("-e", f"BASE={nginx_url}", "--duration", "60s"), runs_dir=tmp_path)
    )
    engine.start()
    wait_for_requests(engine)
    t0 = time.monotonic()
    engine.request_stop(reason="test")
    engine.request_stop(hard=True, reason="test")
    assert engine.wait(10)
    assert time.monotonic() - t0 < 5
    assert engine.state == RunState.ABORTED
    assert engine.k6.pid is not None and not psutil.pid_exists(engine.k6.pid)

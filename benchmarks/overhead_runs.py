"""One measured k6 run for the overhead benchmark: k6 alone, k6 with a path's output and no reader, or
k6 under loadwatch (headless or with its screen in tmux), with the figures each run yields."""

from __future__ import annotations

import json
import shlex
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from runners.k6.binary import find_k6
from runners.k6.command import k6_env, transport_env
from runners.k6.histogram import Histogram
from runners.k6.push_receiver import PushReceiver

SCRIPT = """import http from 'k6/http';
import { check } from 'k6';
export default function () {
  const res = http.get(__ENV.BASE + '/');
  check(res, { 'status is 200': (r) => r.status === 200 });
}
"""
_K6_OUTPUT = {"rw": "experimental-prometheus-rw", "otlp": "experimental-opentelemetry"}


@dataclass(frozen=True, slots=True)
class RunResult:
    """What one run measured."""

    rate: float  # k6's requests/s (its own summary)
    k6_requests: int
    k6_peak_rss: int | None
    lw_cpu_s: float | None = None  # loadwatch's CPU after start-up
    run_s: float | None = None  # k6's run time as loadwatch saw it
    lw_requests: int | None = None
    pct_error: dict[str, float] | None = None  # quantile -> relative error against k6's summary
    checks: tuple[int, int] | None = None  # (k6's passes+fails, loadwatch's)
    stages: dict[str, float] | None = None
    screen_startup_cpu_s: float | None = (
        None  # the screen's CPU after the engine started, before it showed the run
    )


class RssWatch:
    """Samples the peak RSS of a process (found later by a callable) every 0.25 s in a thread."""

    def __init__(self, find: Any) -> None:
        self._find = find
        self.peak: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        proc: psutil.Process | None = None
        while not self._stop.wait(0.25):
            try:
                proc = proc or self._find()
                if proc is not None:
                    self.peak = max(self.peak or 0, proc.memory_info().rss)
            except psutil.Error:
                proc = None

    def stop(self) -> int | None:
        """Stop sampling; the peak seen."""
        self._stop.set()
        self._thread.join(2)
        return self.peak


def _k6_child(pid: int) -> psutil.Process | None:
    for c in psutil.Process(pid).children(recursive=True):
        if c.name() == "k6":
            return c
    return None


def _k6_with_arg(marker: str) -> psutil.Process | None:
    for p in psutil.process_iter(["name", "cmdline"]):
        if p.info["name"] == "k6" and any(marker in a for a in p.info["cmdline"] or ()):
            return p
    return None


def run_k6(path: str | None, base: str, work: Path, load: list[str], timeout: float) -> RunResult:
    """k6 without loadwatch: alone (path None) or with a path's output going nowhere useful."""
    script = work / "load.js"
    script.write_text(SCRIPT)
    export = work / f"k6-{uuid.uuid4().hex[:8]}.json"
    env = k6_env()
    out: list[str] = []
    sink: PushReceiver | None = None
    if path == "json":
        out = ["--out", f"json={work / 'out.json'}"]
    elif path in _K6_OUTPUT:
        sink = PushReceiver(lambda _body, _enc, _now: [])  # accepts and drops: k6's own cost only
        sink.start()
        env.update(transport_env(path, sink.port))
        out = ["--out", _K6_OUTPUT[path]]
    cmd = [find_k6(), "run", "--summary-export", str(export), *out, *load, str(script)]
    try:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        watch = RssWatch(lambda: psutil.Process(proc.pid))
        proc.wait(timeout)
        peak = watch.stop()
    finally:
        if sink is not None:
            sink.stop()
        (work / "out.json").unlink(missing_ok=True)
    m = json.loads(export.read_text())["metrics"]
    return RunResult(rate=m["http_reqs"]["rate"], k6_requests=int(m["http_reqs"]["count"]), k6_peak_rss=peak)


def run_loadwatch(
    path: str, screen: bool, base: str, work: Path, load: list[str], timeout: float
) -> RunResult:
    """k6 under `loadwatch run --transport PATH`, headless or with the screen in a 120x36 tmux."""
    script = work / "load.js"
    script.write_text(SCRIPT)
    runs = work / f"runs-{uuid.uuid4().hex[:8]}"
    loadwatch = str(Path(sys.executable).parent / "loadwatch")
    args = [loadwatch, "run", str(script), "--runs-dir", str(runs), "--transport", path]
    if not screen:
        cmd = [*args, "--headless", "--progress-every", "60", "--", *load]
        proc = subprocess.Popen(cmd, env=k6_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        watch = RssWatch(lambda: _k6_child(proc.pid))
        proc.wait(timeout)
        watch.stop()
        viewer: ViewerCpu | None = None
    else:
        viewer = _tui_run([*args, "--", *load], runs, timeout)
    run_dir = max(runs.iterdir(), key=lambda d: d.stat().st_mtime)
    return read_run(run_dir, viewer)


def _viewer(runs: Path) -> psutil.Process | None:
    """The screen's process (the engine runs in a process of its own, marked --engine-host)."""
    for p in psutil.process_iter(["cmdline"]):
        cmd = p.info["cmdline"] or []
        if str(runs) in cmd and "--engine-host" not in cmd and any(a.endswith("loadwatch") for a in cmd[:2]):
            return p
    return None


@dataclass(frozen=True, slots=True)
class ViewerCpu:
    """The screen process's CPU seconds over time, and when its screen first showed the run running."""

    samples: list[tuple[float, float]]
    shown_t: float | None


def _tui_run(cmd: list[str], runs: Path, timeout: float) -> ViewerCpu:
    """Run the screen in tmux until the run is recorded; the screen process's CPU seconds over time."""
    tmux = shutil.which("tmux")
    if tmux is None:
        raise RuntimeError("tmux is not installed")
    sock = f"lw-overhead-{uuid.uuid4().hex[:8]}"
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in k6_env({}).items())
    subprocess.run([tmux, "-L", sock, "new-session", "-d", "-x", "120", "-y", "36",
                    f"env {env} {shlex.join(cmd)}; sleep 600"], check=True, timeout=10)  # fmt: skip
    samples: list[tuple[float, float]] = []
    shown_t: float | None = None
    viewer: psutil.Process | None = None
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                viewer = viewer or _viewer(runs)
                if viewer is not None:
                    cpu = viewer.cpu_times()
                    samples.append((time.time(), cpu.user + cpu.system))
            except psutil.Error:
                viewer = None
            if viewer is not None and shown_t is None and _shows_running(tmux, sock):
                shown_t = samples[-1][0] if samples else time.time()
            if any((d / "summary.json").is_file() for d in runs.glob("*")):
                return ViewerCpu(samples, shown_t)
            time.sleep(0.5)
        raise RuntimeError("the screen run did not finish")
    finally:
        subprocess.run([tmux, "-L", sock, "kill-server"], capture_output=True, timeout=10, check=False)


def _shows_running(tmux: str, sock: str) -> bool:
    """Whether the screen shows the run as running (its start-up is over)."""
    try:
        screen = subprocess.run([tmux, "-L", sock, "capture-pane", "-p"], capture_output=True, text=True,
                                timeout=5, check=False).stdout  # fmt: skip
    except subprocess.TimeoutExpired:
        return False
    return "RUNNING" in screen


def _cpu_at(samples: list[tuple[float, float]], t: float) -> float:
    before = [c for ts, c in samples if ts <= t]
    return before[-1] if before else (samples[0][1] if samples else 0.0)


def viewer_core(viewer: ViewerCpu, started: float, ended: float) -> tuple[float, float]:
    """The screen's share of a core while it showed the run, and its CPU seconds before that.

    Its start-up (imports, the app's first layout and paint) is left out as the engine's is: the share is
    its CPU from when it first showed the run running to the run's end, per second of that span.

    Returns:
        (cores, start-up CPU seconds after the engine started)
    """
    shown = max(started, viewer.shown_t or started)
    if ended <= shown:
        return 0.0, 0.0
    cores = (_cpu_at(viewer.samples, ended) - _cpu_at(viewer.samples, shown)) / (ended - shown)
    return cores, _cpu_at(viewer.samples, shown) - _cpu_at(viewer.samples, started)


def read_run(run_dir: Path, viewer: ViewerCpu | None = None) -> RunResult:
    """The figures of a finished loadwatch run: k6's own summary, loadwatch's meta and record.

    Args:
        run_dir: the run's folder.
        viewer: the screen process's CPU over time, when the run had a screen (its share of a core while it
            showed the run, times the run's length, is added to the engine's CPU; see `viewer_core`).
    """
    k6 = json.loads((run_dir / "k6-summary.json").read_text())["metrics"]
    summary = json.loads((run_dir / "summary.json").read_text())
    db = sqlite3.connect(f"file:{run_dir / 'run.sqlite'}?mode=ro", uri=True)
    try:
        meta = {k: json.loads(v) for k, v in db.execute("SELECT key, value FROM meta")}
        lw_checks = 0
        for (data,) in db.execute("SELECT data FROM series WHERE source = 'k6'"):
            point = json.loads(data)
            lw_checks += int(point.get("checks_pass", 0)) + int(point.get("checks_fail", 0))
        hist = Histogram()
        for (data,) in db.execute("SELECT data FROM series WHERE source = 'k6_hist'"):
            for i, c in json.loads(data).items():
                hist.counts[int(i)] = hist.counts.get(int(i), 0) + c
                hist.count += c
    finally:
        db.close()
    dur = k6["http_req_duration"]
    hist.min, hist.max = dur["min"], dur["max"]  # the record keeps buckets only; ends are not compared
    mine = hist.percentiles((0.5, 0.9, 0.95))
    pct_error = {
        q: (v - dur[key]) / dur[key] if v is not None and dur[key] else float("nan")
        for q, key, v in zip(("p50", "p90", "p95"), ("med", "p(90)", "p(95)"), mine, strict=True)
    }
    started, ended = float(meta.get("started_at") or 0), float(meta.get("ended_at") or 0)
    checks = k6.get("checks", {})
    screen_cores, screen_startup = viewer_core(viewer, started, ended) if viewer else (0.0, 0.0)
    return RunResult(
        rate=k6["http_reqs"]["rate"],
        k6_requests=int(k6["http_reqs"]["count"]),
        k6_peak_rss=meta.get("k6_peak_rss_bytes"),
        lw_cpu_s=float(meta["loadwatch_cpu_s"])
        - float(meta.get("loadwatch_startup_cpu_s") or 0)
        + screen_cores * max(0.0, ended - started),
        run_s=ended - started if ended > started else None,
        lw_requests=int(summary["requests"]),
        pct_error=pct_error,
        checks=(int(checks.get("passes", 0)) + int(checks.get("fails", 0)), lw_checks),
        stages=meta.get("stage_cpu_s"),
        screen_startup_cpu_s=screen_startup if viewer else None,
    )

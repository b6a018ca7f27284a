"""`loadwatch report` and the baseline picked with `loadwatch runs --set-baseline`, on real runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from runners.engine.live import RunEngine, RunSpec
from tests import k6_scripts

pytestmark = pytest.mark.integration
CLI = [sys.executable, "-m", "runners.cli"]


def run_once(tmp_path: Path, nginx_url: str, name: str) -> Path:
    script = k6_scripts.write(tmp_path, "mixed.js", k6_scripts.MIXED)
    engine = RunEngine(RunSpec(script=script, k6_args=("-e", f"BASE={nginx_url}", "--vus", "2", "--duration", "2s"),
                               runs_dir=tmp_path / "runs", name=name))  # fmt: skip
    engine.start()
    assert engine.wait(60)
    return engine.run_dir


def test_report_uses_the_baseline_set_with_runs(tmp_path: Path, k6_bin: str, nginx_url: str) -> None:
    before = run_once(tmp_path, nginx_url, "before")
    after = run_once(tmp_path, nginx_url, "after")
    before_summary = json.loads((before / "summary.json").read_text())
    after_summary = json.loads((after / "summary.json").read_text())
    runs = str(tmp_path / "runs")
    out = subprocess.run([*CLI, "runs", "--runs-dir", runs, "--set-baseline", before.name], capture_output=True,
                         text=True, timeout=60, check=True).stdout  # fmt: skip
    assert f"*{before.name}" in out
    report = json.loads(subprocess.run([*CLI, "report", "last", "--format", "json", "--runs-dir", runs],
                                       capture_output=True, text=True, timeout=120, check=True).stdout)  # fmt: skip
    base = report["baseline"]
    assert base["run"]["name"] == "before" and report["run"]["name"] == "after"
    assert base["comparable"] is True and base["warnings"] == [], "same script, k6 and plan"
    rows = {m["metric"]: m for m in base["metrics"]}
    assert rows["requests"]["baseline"] == before_summary["requests"]
    assert rows["requests"]["current"] == after_summary["requests"]
    assert all(m["verdict"] in ("better", "same", "worse", "n/a") for m in base["metrics"])
    assert sum(base["counts"].values()) == len(base["metrics"])
    assert {e["name"] for e in base["endpoints"]} >= {"item"}
    written = subprocess.run([*CLI, "report", after.name, "--runs-dir", runs, "--no-baseline"], capture_output=True,
                             text=True, timeout=120, check=True).stdout.split()  # fmt: skip
    assert {Path(p).name for p in written} >= {"report.md", "report.html"}
    assert all(Path(p).is_file() for p in written)
    missing = subprocess.run([*CLI, "report", "nope", "--runs-dir", runs], capture_output=True, text=True,
                             timeout=60, check=False)  # fmt: skip
    assert missing.returncode == 2 and "nope" in missing.stderr

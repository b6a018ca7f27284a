"""Integration test: the real k6 runs the bundled ramp scenario against the demo target and saturates it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runners.demo.target import DemoTarget

K6 = Path(sys.executable).parent / "k6"
SCENARIO = Path(__file__).resolve().parent.parent / "runners" / "demo" / "scenarios" / "demo_ramp.js"
K6_THRESHOLDS_FAILED = 99


def _k6_or_skip() -> Path:
    if K6.is_file() and os.access(K6, os.X_OK):
        return K6
    reason = f"k6 binary not found at {K6}"
    if os.environ.get("LOADWATCH_REQUIRE_ALL") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def _env(home: Path, **extra: str) -> dict[str, str]:
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "K6_NO_USAGE_REPORT": "true"}
    return base | extra


@pytest.mark.integration
@pytest.mark.timeout(60)
def test_invalid_demo_speed_stops_k6_at_once(tmp_path: Path) -> None:
    k6 = _k6_or_skip()
    env = _env(tmp_path, TARGET="http://127.0.0.1:1", DEMO_SPEED="fast")
    cmd = [str(k6), "run", "-q", "--address", "", str(SCENARIO)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 107  # k6's "script exception" status
    assert "DEMO_SPEED must be a positive number" in proc.stderr


@pytest.mark.integration
@pytest.mark.timeout(120)
def test_quarter_speed_ramp_saturates_the_pool(tmp_path: Path) -> None:
    k6 = _k6_or_skip()
    summary = tmp_path / "summary.json"
    with DemoTarget() as target:
        env = _env(tmp_path, TARGET=target.url, DEMO_SPEED="0.25")
        cmd = [str(k6), "run", "-q", "--no-color", "--address", "", "--summary-export", str(summary)]
        proc = subprocess.run(
            [*cmd, str(SCENARIO)], env=env, capture_output=True, text=True, timeout=90, check=False
        )
    assert proc.returncode in (0, K6_THRESHOLDS_FAILED), proc.stderr[-2000:]
    exported = json.loads(summary.read_text())
    assert {"browse", "search", "checkout"} <= set(exported["root_group"]["groups"])
    metrics = exported["metrics"]
    assert metrics["http_reqs"]["count"] > 500
    failed = metrics["http_req_failed"]
    assert failed["value"] > 0, "no request failed: the pool never saturated"
    assert failed["passes"] > 0  # passes of http_req_failed are failed requests (503s here)
    checks = metrics["checks"]
    assert checks["passes"] > 0
    assert checks["fails"] > 0  # the status-200 checks saw the 503s
    assert "p(95)<500" in metrics["http_req_duration"]["thresholds"]
    assert "http_req_duration{name:GET /api/search}" in metrics

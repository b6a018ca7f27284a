"""`loadwatch run --headless` end to end: exit status 3 for a critical rule, and every --json-summary key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from runners.record.reader import RecordReader
from tests import k6_scripts

pytestmark = pytest.mark.integration
LOADWATCH = [sys.executable, "-m", "runners.cli"]

CRITICAL_ON_ANY_TRAFFIC = """
[rules_settings]
defaults = false

[[rules]]
name = "any-traffic"
metric = "k6.rps"
critical = 1
"""
NO_RULES = "[rules_settings]\ndefaults = false\n"


def headless(tmp_path: Path, nginx_url: str, config: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run the script headless for 3 s with this config; returns the process and its wall time."""
    script = k6_scripts.write(tmp_path, "ck.js", k6_scripts.CODES)
    cfg = tmp_path / "loadwatch.toml"
    cfg.write_text(config)
    t0 = time.monotonic()
    out = subprocess.run(
        [*LOADWATCH, "run", str(script), "--headless", "--config", str(cfg), "--name", "ck",
         "--runs-dir", str(tmp_path / "runs"), "--json-summary", str(tmp_path / "summary.json"),
         "--progress-every", "1", "--", "-e", f"BASE={nginx_url}", "--vus", "2", "--duration", "3s"],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
        env=dict(os.environ, K6_NO_USAGE_REPORT="true"),
    )  # fmt: skip
    return out, time.monotonic() - t0


def test_critical_rule_makes_exit_status_3_and_the_summary_says_why(tmp_path: Path, k6_bin: str,
                                                                    nginx_url: str) -> None:  # fmt: skip
    out, _ = headless(tmp_path, nginx_url, CRITICAL_ON_ANY_TRAFFIC)
    assert out.returncode == 3, out.stdout + out.stderr
    assert "a critical rule fired during the run (exit status 3)" in out.stdout
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["status"] == "finished" and s["k6_exit_code"] == 0, "k6 itself passed"
    assert s["critical_rule_fired"] is True
    assert any(b["rule"] == "any-traffic" and b["level"] == "critical" for b in s["breaches"])
    assert s["capacity_ceiling"]["rule"] == "any-traffic" and s["capacity_ceiling"]["rps"] > 1


def test_without_a_critical_rule_the_same_run_exits_0(tmp_path: Path, k6_bin: str, nginx_url: str) -> None:
    out, _ = headless(tmp_path, nginx_url, NO_RULES)
    assert out.returncode == 0, out.stdout + out.stderr
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["critical_rule_fired"] is False and s["breaches"] == [] and s["capacity_ceiling"] is None


def _k6_export(summary: dict[str, Any]) -> dict[str, Any]:
    metrics: dict[str, Any] = json.loads(Path(summary["k6_summary_export"]).read_text())["metrics"]
    return metrics


def test_every_summary_key_matches_the_run_and_k6s_own_export(tmp_path: Path, k6_bin: str,
                                                              nginx_url: str) -> None:  # fmt: skip
    out, wall = headless(tmp_path, nginx_url, NO_RULES)
    assert out.returncode == 0, out.stdout + out.stderr
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["summary_version"] == 1
    assert s["run_name"] == "ck"
    run_dir = Path(s["run_dir"])
    assert run_dir.parent == tmp_path / "runs" and (run_dir / "run.sqlite").is_file()
    assert json.loads((run_dir / "summary.json").read_text()) == s, "the record keeps the same summary"
    assert s["status"] == "finished" and s["status_detail"]
    assert 3.0 <= s["duration_s"] <= wall, "launch to k6's exit: at least the planned 3 s"
    meta = RecordReader(run_dir).meta()
    assert s["duration_s"] == pytest.approx(meta["ended_at"] - meta["started_at"], abs=0.01)
    assert s["k6_summary_export"] == str(run_dir / "k6-summary.json")
    k6 = _k6_export(s)
    assert s["requests"] == k6["http_reqs"]["count"]
    assert s["failed_requests"] == round(k6["http_req_failed"]["value"] * s["requests"])
    assert s["failed_rate"] == pytest.approx(k6["http_req_failed"]["value"], abs=1e-4)
    assert s["iterations"] == k6["iterations"]["count"]
    assert s["data_sent_bytes"] == k6["data_sent"]["count"]
    assert s["data_received_bytes"] == k6["data_received"]["count"]
    assert s["checks_rate"] == pytest.approx(k6["checks"]["value"])
    assert s["parse_errors"] == 0
    lat = s["latency_ms"]
    assert lat["min"] <= lat["p50"] <= lat["p90"] <= lat["p95"] <= lat["p99"] <= lat["max"]
    assert lat["min"] <= lat["avg"] <= lat["max"]
    assert lat["max"] == pytest.approx(k6["http_req_duration"]["max"], rel=1e-3, abs=1e-3)
    assert lat["avg"] == pytest.approx(k6["http_req_duration"]["avg"], rel=1e-3, abs=1e-3)
    assert lat["p95"] == pytest.approx(k6["http_req_duration"]["p(95)"], rel=0.05)
    assert s["rps_mean"] == pytest.approx(s["requests"] / 3, rel=0.5)
    # Status codes: 200 for items, 404 for /missing, 0 (no response) for the refused port, adding up.
    codes = s["status_codes"]
    assert set(codes) == {"0", "200", "404"} and sum(codes.values()) == s["requests"]
    by_name = {e["name"]: e for e in s["endpoints"]}
    assert by_name["item"]["status_codes"] == {"200": codes["200"]}
    assert sum(e["requests"] for e in s["endpoints"]) == s["requests"]
    refused = next(e for e in s["endpoints"] if "refused" in e["name"])
    assert refused["error_pct"] == 100.0 and refused["status_codes"] == {"0": codes["0"]}
    assert sum(refused["error_codes"].values()) == codes["0"] and all(
        1000 <= int(c) < 2000 for c in refused["error_codes"]
    ), "k6's network error codes"
    assert set(by_name["item"]["latency_ms"]) == {"p50", "p95", "p99", "max"}
    # Thresholds: each of the script's, with the value and k6's own verdict.
    th = {(t["metric"], t["expression"]): t for t in s["thresholds"]}
    assert set(th) == {("http_req_duration", "p(95)<10000"), ("checks", "rate>0.5")}
    assert all(t["ok"] is True for t in th.values())
    assert th["checks", "rate>0.5"]["value"] == pytest.approx(k6["checks"]["value"], abs=1e-3)
    g = s["generator"]
    assert g["peak_loadwatch_rss_mb"] > 10 and g["peak_k6_rss_mb"] > 10 and g["cores"] >= 1
    assert s["critical_rule_fired"] is False and s["capacity_ceiling"] is None

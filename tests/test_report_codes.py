"""The report's status-code section: every code of a real run, its count and share, and k6's error codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import k6_scripts

pytestmark = pytest.mark.integration
CLI = [sys.executable, "-m", "runners.cli"]


def test_status_codes_and_error_codes_in_the_report(tmp_path: Path, k6_bin: str, nginx_url: str) -> None:
    script = k6_scripts.write(tmp_path, "codes.js", k6_scripts.CODES)
    runs = str(tmp_path / "runs")
    env = dict(os.environ, K6_NO_USAGE_REPORT="true")
    subprocess.run([*CLI, "run", str(script), "--headless", "--runs-dir", runs, "--json-summary",
                    str(tmp_path / "s.json"), "--", "-e", f"BASE={nginx_url}", "--iterations", "200"],
                   capture_output=True, text=True, timeout=120, check=True, env=env)  # fmt: skip
    codes = json.loads((tmp_path / "s.json").read_text())["status_codes"]
    assert codes == {"0": 4, "200": 200, "404": 40}
    report = json.loads(subprocess.run([*CLI, "report", "last", "--format", "json", "--runs-dir", runs],
                                       capture_output=True, text=True, timeout=120, check=True).stdout)  # fmt: skip
    rows = {r["code"]: r for r in report["codes"]["status_codes"]}
    assert {c: r["count"] for c, r in rows.items()} == codes
    assert rows["200"]["pct"] == pytest.approx(100 * 200 / 244, abs=0.01)
    assert rows["0"]["label"] == "no response (network error)"
    errors = {e["code"]: (e["count"], e["meaning"]) for e in report["codes"]["error_codes"]}
    assert errors == {1212: (4, "connection refused"), 1404: (40, "HTTP 404 response")}
    written = subprocess.run([*CLI, "report", "last", "--runs-dir", runs, "--no-baseline"], capture_output=True,
                             text=True, timeout=120, check=True).stdout.split()  # fmt: skip
    md = next(Path(p) for p in written if p.endswith("report.md")).read_text()
    section = md.split("Status codes and errors", 1)[1]
    for line in (
        "| 0 no response (network error) | 4 | 1.64 % |",
        "| 200 | 200 | 81.97 % |",
        "| 404 | 40 | 16.39 % |",
        "| 1212 | connection refused | 4 |",
        "| 1404 | HTTP 404 response | 40 |",
    ):
        assert line in section, f"{line!r} not in the section:\n{section[:1500]}"  # fmt: skip

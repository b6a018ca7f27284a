"""Secrets that k6 prints (a `-e` value, a secret-looking environment variable) never reach the record."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from runners.record.reader import RecordReader
from tests import k6_scripts

pytestmark = pytest.mark.integration
LOADWATCH = [sys.executable, "-m", "runners.cli"]
E_SECRET = "tok-e-5ecret-9f2c"  # noqa: S105 (a test value that must never be recorded)
ENV_SECRET = "pw-env-5ecret-71ab"  # noqa: S105
SCRIPT = """
import http from 'k6/http';
export default function () {
  console.log('api token ' + __ENV.API_TOKEN);
  console.error('db password ' + __ENV.DB_PASSWORD);
  http.get(__ENV.BASE + '/');
}
"""


def test_secrets_in_k6s_output_are_masked_in_the_record_and_on_stdout(
    tmp_path: Path, k6_bin: str, nginx_url: str
) -> None:
    script = k6_scripts.write(tmp_path, "leak.js", SCRIPT)
    runs = tmp_path / "runs"
    out = subprocess.run(
        [*LOADWATCH, "run", str(script), "--headless", "--runs-dir", str(runs),
         "--json-summary", str(tmp_path / "summary.json"), "--",
         "-e", f"API_TOKEN={E_SECRET}", "-e", f"BASE={nginx_url}", "--iterations", "3"],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
        env=dict(os.environ, K6_NO_USAGE_REPORT="true", DB_PASSWORD=ENV_SECRET),
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    (run_dir,) = runs.iterdir()
    reader = RecordReader(run_dir)
    recorded = [line.text for line in reader.output()]
    meta = reader.meta()
    reader.close()
    # The lines did arrive (so the checks below are not vacuous), with the values masked.
    assert any("api token ***" in t for t in recorded), recorded
    assert any("db password ***" in t for t in recorded), recorded
    assert "db password ***" in out.stdout, "headless passes k6's error lines through, masked"
    assert "API_TOKEN=***" in meta["k6_args"]
    for secret in (E_SECRET, ENV_SECRET):
        assert secret not in out.stdout and secret not in out.stderr
        assert not any(secret in t for t in recorded)
        for f in [*run_dir.rglob("*"), tmp_path / "summary.json"]:
            if f.is_file():
                assert secret.encode() not in f.read_bytes(), f"{secret} reached {f.name}"

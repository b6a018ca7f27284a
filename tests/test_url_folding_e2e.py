"""A real run: numeric, UUID and long-hex path segments fold into one endpoint each; queries are dropped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import k6_scripts

pytestmark = pytest.mark.integration
SCRIPT = """
import http from 'k6/http';
export default function () {
  const i = __ITER;
  http.get(__ENV.BASE + '/users/' + (1000 + i) + '?page=' + i);
  http.get(__ENV.BASE + '/users/' + (1000 + i) + '/orders/' + i);
  http.get(__ENV.BASE + '/carts/' + ['3f2a1c4e-9b7d-4e21-8a5f-0c6d2b9e7a11', '5e8b0d2c-1f3a-4c6e-9d7b-2a4f6c8e0b13'][i % 2]);
  http.post(__ENV.BASE + '/blobs/' + ['deadbeefcafebabe0123', '0123456789abcdef4567'][i % 2], 'x');
  http.get(__ENV.BASE + '/static/app.v2.js?v=' + i);
}
"""


def test_variable_segments_fold_into_one_endpoint_each(tmp_path: Path, k6_bin: str, nginx_url: str) -> None:
    script = k6_scripts.write(tmp_path, "fold.js", SCRIPT)
    summary = tmp_path / "summary.json"
    out = subprocess.run(
        [sys.executable, "-m", "runners.cli", "run", str(script), "--headless", "--runs-dir", str(tmp_path / "runs"),
         "--json-summary", str(summary), "--", "-e", f"BASE={nginx_url}", "--iterations", "40"],
        capture_output=True, text=True, timeout=120, check=False, env=dict(os.environ, K6_NO_USAGE_REPORT="true"),
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    host = nginx_url.split("://", 1)[1]
    rows = {e["name"]: e["requests"] for e in json.loads(summary.read_text())["endpoints"]}
    assert rows == {
        f"GET {host}/users/{{id}}": 40,
        f"GET {host}/users/{{id}}/orders/{{id}}": 40,
        f"GET {host}/carts/{{uuid}}": 40,
        f"POST {host}/blobs/{{hex}}": 40,
        f"GET {host}/static/app.v2.js": 40,
    }

"""100,000 distinct URLs keep loadwatch's memory bounded: rare endpoints fold into "other"."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests import k6_scripts

pytestmark = pytest.mark.integration

DISTINCT = """
import http from 'k6/http';
export default function () {
  // Paths that do not fold (letters and digits mixed): every iteration is a new URL.
  http.get(__ENV.BASE + '/p/k' + (__VU * 1000000 + __ITER) + 'x' + (__ITER % __ENV.KINDS));
}
"""
FEW = """
import http from 'k6/http';
export default function () { http.get(__ENV.BASE + '/p/kind' + 'abcdefghij'[__ITER % 10] + 'x000000000'); }
"""


def peak_rss_mb(
    tmp: Path, name: str, body: str, base: str, iterations: int
) -> tuple[float, dict[str, object]]:
    script = k6_scripts.write(tmp, f"{name}.js", body)
    summary = tmp / f"{name}.json"
    subprocess.run(
        [sys.executable, "-m", "runners.cli", "run", str(script), "--headless", "--runs-dir", str(tmp / "runs"),
         "--json-summary", str(summary), "--progress-every", "60", "--",
         "-e", f"BASE={base}", "-e", "KINDS=1000000", "--vus", "10", "--iterations", str(iterations)],
        check=True, timeout=300, capture_output=True,
    )  # fmt: skip
    data = json.loads(summary.read_text())
    return float(data["generator"]["peak_loadwatch_rss_mb"]), data


def test_100k_distinct_urls_stay_within_20mb_of_10(tmp_path: Path, k6_bin: str, nginx_url: str) -> None:
    few_mb, few = peak_rss_mb(tmp_path, "few", FEW, nginx_url, 100_000)
    many_mb, many = peak_rss_mb(tmp_path, "many", DISTINCT, nginx_url, 100_000)
    print(f"peak loadwatch RSS: 10 URLs {few_mb:.1f} MB, 100,000 URLs {many_mb:.1f} MB")
    assert many["requests"] == few["requests"] == 100_000
    endpoints = many["endpoints"]
    assert isinstance(endpoints, list) and len(endpoints) <= 51
    assert any(e["name"] == "other" for e in endpoints)
    assert sum(e["requests"] for e in endpoints) == 100_000
    assert many_mb - few_mb <= 20.0

"""100,000 distinct URLs keep loadwatch's memory bounded: rare endpoints fold into "other"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchmarks.tagset_memory import headless_peak_rss
from tests import k6_scripts

pytestmark = pytest.mark.integration
README = Path(__file__).parent.parent / "README.md"
TOLERANCE_MB = 0.0  # README states the upper bound of the run-to-run spread itself

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


README_FIGURE = re.compile(
    r"A run of 100,000 distinct URLs used\s+at most\s+([\d.]+) MB more than a run of 10 URLs"
)


def peak_rss_mb(
    tmp: Path, name: str, body: str, base: str, iterations: int
) -> tuple[float, dict[str, object]]:
    """Run headless; returns loadwatch's peak RSS as /proc saw it (not loadwatch's own figure), and the summary."""
    script = k6_scripts.write(tmp, f"{name}.js", body)
    args = ["-e", f"BASE={base}", "-e", "KINDS=1000000", "--vus", "10", "--iterations", str(iterations)]
    peak, code, summary = headless_peak_rss(script, tmp / "runs", tmp / f"{name}.json", args, timeout_s=300)
    assert code == 0
    return peak, summary


def test_100k_distinct_urls_stay_within_readmes_figure_of_10(
    tmp_path: Path, k6_bin: str, nginx_url: str
) -> None:
    m = README_FIGURE.search(README.read_text())
    assert m is not None, "README states the figure this test checks"
    claimed = float(m.group(1))
    few_mb, few = peak_rss_mb(tmp_path, "few", FEW, nginx_url, 100_000)
    many_mb, many = peak_rss_mb(tmp_path, "many", DISTINCT, nginx_url, 100_000)
    print(f"peak loadwatch RSS (/proc VmHWM): 10 URLs {few_mb:.1f} MB, 100,000 URLs {many_mb:.1f} MB, "
          f"difference {many_mb - few_mb:.1f} MB (README: {claimed} MB)")  # fmt: skip
    assert many["requests"] == few["requests"] == 100_000
    endpoints = many["endpoints"]
    assert isinstance(endpoints, list) and len(endpoints) <= 51
    assert any(e["name"] == "other" for e in endpoints)
    assert sum(e["requests"] for e in endpoints) == 100_000
    for mb, summary in ((few_mb, few), (many_mb, many)):  # loadwatch's own sampler agrees with /proc
        generator = summary["generator"]
        assert isinstance(generator, dict)
        assert generator["peak_loadwatch_rss_mb"] == pytest.approx(mb, rel=0.15)
    assert many_mb - few_mb <= claimed + TOLERANCE_MB

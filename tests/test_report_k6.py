"""Integration: reports of real demo runs (the real k6) checked against the record, k6's summary and Chromium."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from runners.demo.target import DemoTarget
from runners.engine.live import RunEngine, RunSpec
from runners.model.rule_spec import Rule
from runners.report.data import build_report_json
from runners.report.writer import report_command, write_report
from tests.components import missing
from tools.report_browser import chromium_binary, png_colours, visit_page

SCENARIO = Path(__file__).resolve().parent.parent / "runners" / "demo" / "scenarios" / "demo_ramp.js"
RULES = (
    Rule(name="p95-fast", metric="k6.p95_ms", op=">", warning=100.0, critical=300.0, for_s=1.0),
    Rule(name="errors", metric="k6.error_pct", op=">", warning=0.5, critical=50.0, for_s=1.0),
    Rule(name="vus-sane", metric="k6.vus", op=">", warning=10_000.0, for_s=0.0),
)
MARK_NOTE = "pool <saturating> & queueing"


@dataclass(frozen=True)
class DemoRuns:
    """Two finished demo runs: `a` with marks and a recorded rule set, `b` from a modified copy of the script."""

    a: Path
    b: Path


def _run(runs_dir: Path, script: Path, url: str, *, rules: tuple[Rule, ...] | None, mark: bool) -> Path:
    spec = RunSpec(script=script, k6_args=("-e", f"TARGET={url}", "-e", "DEMO_SPEED=0.25"), name="demo",
                   runs_dir=runs_dir, rules=rules)  # fmt: skip
    engine = RunEngine(spec)
    engine.start()
    if mark:
        assert not engine.wait(4.0)
        engine.add_mark(MARK_NOTE)
        engine.add_mark("")
    assert engine.wait(120), "the demo run did not finish"
    return engine.run_dir


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory: pytest.TempPathFactory, k6_bin: str) -> Iterator[DemoRuns]:
    """Run the quarter-speed demo ramp twice against one demo target (about 15 s each)."""
    tmp = tmp_path_factory.mktemp("report-runs")
    variant = tmp / "demo_ramp_variant.js"
    variant.write_text(SCENARIO.read_text() + "\n// a variant: another script hash\n")
    with DemoTarget() as target:
        a = _run(tmp / "runs", SCENARIO, target.url, rules=RULES, mark=True)
        b = _run(tmp / "runs", variant, target.url, rules=None, mark=False)
    yield DemoRuns(a, b)


def _series_sums(run_dir: Path) -> tuple[int, int]:
    db = sqlite3.connect(run_dir / "run.sqlite")
    try:
        rows = [json.loads(d) for (d,) in db.execute("SELECT data FROM series WHERE source = 'k6'")]
    finally:
        db.close()
    return sum(r["requests"] for r in rows), sum(r["failed"] for r in rows)


@pytest.mark.integration
@pytest.mark.timeout(200)
def test_numbers_match_the_record_and_k6s_own_summary(demo_runs: DemoRuns) -> None:
    report = build_report_json(demo_runs.a)
    summary = json.loads((demo_runs.a / "summary.json").read_text())
    k6 = json.loads((demo_runs.a / "k6-summary.json").read_text())["metrics"]
    requests, failed = _series_sums(demo_runs.a)
    t = report["totals"]
    assert t["requests"] == requests == summary["requests"] == k6["http_reqs"]["count"] > 500
    assert t["failed_requests"] == failed == summary["failed_requests"] == k6["http_req_failed"]["passes"] > 0
    assert t["error_pct"] == pytest.approx(100.0 * k6["http_req_failed"]["value"], abs=1e-4)
    assert t["rps_mean"] == summary["rps_mean"]
    assert t["latency_ms"]["p95"] == pytest.approx(k6["http_req_duration"]["p(95)"], rel=0.05)
    assert report["k6_summary"]["requests"] == t["requests"]
    eps = {e["name"]: e for e in report["endpoints"]}
    assert {e["name"]: e["requests"] for e in summary["endpoints"]} == {
        n: e["requests"] for n, e in eps.items()
    }
    assert sum(e["requests"] for e in eps.values()) == t["requests"]
    search_k6 = k6["http_req_duration{name:GET /api/search}"]["p(95)"]
    assert eps["GET /api/search"]["latency_ms"]["p95"] == pytest.approx(search_k6, rel=0.05)
    # k6 thresholds: k6's own verdict and value; rules: failed when beyond the target for more than 5 % of
    # the measured seconds, or when they fired at critical.
    rows = report["criteria"]["rows"]
    for row in (r for r in rows if r["kind"] == "threshold"):
        failed_by_k6 = k6[row["metric"]]["thresholds"][row["target"]]
        assert row["status"] == ("fail" if failed_by_k6 else "pass"), row
    by_rule = {r["name"]: r for r in rows if r["kind"] == "rule"}
    assert set(by_rule) == {"p95-fast", "errors", "vus-sane"}
    critical = {b["rule"] for b in summary["breaches"] if b["level"] == "critical"}
    for name, row in by_rule.items():
        assert (row["status"] == "fail") == (name in critical or row["over_target_pct"] > 5.0), row
    assert by_rule["errors"]["status"] == "fail", "the ramp saturates the demo pool: errors beyond 0.5 %"
    assert by_rule["vus-sane"]["status"] == "pass"
    # The record keeps one VU sample per second, k6's max is over all of them: equal or a step apart.
    assert abs(by_rule["vus-sane"]["worst"] - k6["vus"]["max"]) <= 2
    assert len(report["breaches"]) == len(summary["breaches"])
    assert [m["note"] for m in report["marks"]] == [MARK_NOTE, ""]
    assert report["capacity_ceiling"] == (summary["capacity_ceiling"] and {
        k: summary["capacity_ceiling"][k] for k in report["capacity_ceiling"]})  # fmt: skip


@pytest.mark.integration
@pytest.mark.timeout(200)
def test_markdown_and_html_show_the_same_numbers(demo_runs: DemoRuns, tmp_path: Path) -> None:
    paths = write_report(demo_runs.a, tmp_path)
    md, html = (tmp_path / "report.md").read_text(), (tmp_path / "report.html").read_text()
    assert paths[:2] == [tmp_path / "report.md", tmp_path / "report.html"]
    report = json.loads((write_report(demo_runs.a, tmp_path / "j", fmt="json")[0]).read_text())
    requests = f"{report['totals']['requests']:,}"
    for text in (md, html):
        assert requests in text
        assert f"{report['totals']['error_pct']:.2f} %" in text
        for e in report["endpoints"]:
            assert f"{e['requests']:,}" in text
    assert "pool &lt;saturating> & queueing" in md  # a tag-like text must not become markup
    assert "pool &lt;saturating&gt; &amp; queueing" in html
    for chart in report["charts"]:
        assert (tmp_path / "charts" / f"{chart['id']}.svg").is_file()
        assert f"charts/{chart['id']}.svg" in md


@pytest.mark.integration
@pytest.mark.timeout(200)
def test_baseline_comparison_gives_verdicts_and_flags_another_script(demo_runs: DemoRuns) -> None:
    report = build_report_json(demo_runs.b, demo_runs.a)
    base = report["baseline"]
    assert not base["comparable"]
    assert any("scripts differ" in w for w in base["warnings"])
    assert {m["metric"] for m in base["metrics"]} >= {
        "requests",
        "rps_mean",
        "error_pct",
        "p95",
        "p99",
        "checks_pct",
    }
    assert all(m["verdict"] in ("better", "same", "worse") for m in base["metrics"])
    assert {e["presence"] for e in base["endpoints"]} == {"both"} and len(base["endpoints"]) == 4
    req = next(m for m in base["metrics"] if m["metric"] == "requests")
    assert req["diff"] == report["totals"]["requests"] - build_report_json(demo_runs.a)["totals"]["requests"]
    assert all(c["baseline_lines"] for c in report["charts"] if c["id"] in ("rps", "latency", "vus"))
    same = build_report_json(demo_runs.a, demo_runs.a)["baseline"]
    assert same["comparable"] and not same["warnings"]
    assert {m["verdict"] for m in same["metrics"]} == {"same"}


@pytest.mark.integration
@pytest.mark.timeout(200)
def test_report_command_by_name_and_json_to_stdout(
    demo_runs: DemoRuns, capsys: pytest.CaptureFixture[str]
) -> None:
    runs_dir = demo_runs.a.parent
    assert report_command(demo_runs.a.name, runs_dir, baseline=demo_runs.b.name, fmt="json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["run"]["folder"] == demo_runs.a.name and data["baseline"]["run"]["folder"] == demo_runs.b.name
    assert report_command("no-such-run", runs_dir) == 2
    assert "no run 'no-such-run'" in capsys.readouterr().err


def _chromium() -> str:
    found = chromium_binary()
    if found is None:
        missing("chromium", "not on PATH (scripts/setup installs Debian's chromium)")
        raise AssertionError("unreachable")
    return found


@pytest.mark.integration
@pytest.mark.timeout(200)
def test_html_renders_its_charts_in_chromium_offline(demo_runs: DemoRuns, tmp_path: Path) -> None:
    binary = _chromium()
    write_report(demo_runs.b, tmp_path, demo_runs.a)
    html = (tmp_path / "report.html").read_text()
    assert "<script" not in html.lower()
    assert not re.search(r"<[^>]*\s(?:src|srcset|poster|data)\s*=", html, re.IGNORECASE)
    assert all(h.startswith("#") for h in re.findall(r'<[^>]*\shref="([^"]*)"', html))
    assert not re.search(r"url\(|@import|@font-face", html)
    assert html.count("<svg") >= 4 and html.count("<path d=") >= 8
    visit = visit_page(tmp_path / "report.html", tmp_path / "report.png", binary=binary)
    assert visit.console == [] and visit.errors == [] and visit.requests == []
    width, height, colours = png_colours((tmp_path / "report.png").read_bytes())
    assert width == 1280 and height > 2000
    assert colours > 40, "the page looks blank"


@pytest.mark.integration
@pytest.mark.timeout(60)
def test_the_browser_check_does_see_requests_and_console_errors(tmp_path: Path) -> None:
    binary = _chromium()
    page = tmp_path / "bad.html"
    page.write_text('<html><body><img src="http://example.invalid/x.png">'
                    '<script>console.error("boom"); undefined_call();</script></body></html>')  # fmt: skip
    visit = visit_page(page, binary=binary)
    assert any("example.invalid" in r for r in visit.requests)
    assert any("boom" in c for c in visit.console)
    assert any("undefined_call" in e or "Uncaught" in e for e in visit.errors)

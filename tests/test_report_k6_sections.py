"""The report's k6 sections (scenarios, checks, metrics, groups), its charts of custom metrics over time and
every k6 threshold in its success criteria: from a real recorded mixed run, and from records made before."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from benchmarks.record_k6_output import SCRIPT
from runners.engine.live import RunEngine, RunSpec
from runners.model.frames import Percentiles, SecondPoint
from runners.model.rule_spec import Rule
from runners.record.reader import RecordReader
from runners.record.store import RunRecorder
from runners.report.data import build_report_json
from runners.report.render import render_html, render_markdown


@pytest.mark.integration
def test_a_recorded_mixed_run_reports_its_scenarios_checks_metrics_groups_and_thresholds(
    tmp_path: Path, k6_bin: str, nginx_url: str
) -> None:
    script = tmp_path / "shop.js"
    script.write_text(SCRIPT)  # two scenarios (one arrival-rate), groups, named checks, all four custom types
    rules = [Rule("item-p95", "metric.item_time.p95", ">", warning=10_000.0),
             Rule("paid", 'check."paid".fail_pct', ">", warning=50.0),
             Rule("typo", "metric.item_tme.p95", ">", warning=1.0)]  # fmt: skip
    args = ("-e", f"BASE={nginx_url}", "-e", "DUR=5s", "-e", "VUS=5")
    engine = RunEngine(RunSpec(script=script, k6_args=args, runs_dir=tmp_path, rules=rules))
    engine.start()
    assert engine.wait(90)
    with RecordReader(engine.run_dir) as reader:
        assert len(reader.metric_seconds()) >= 4
        assert reader.meta()["metric_series"]["dropped"] == 0
    report = build_report_json(engine.run_dir)
    k6 = report["k6_metrics"]
    assert k6["source"] == "record"
    kinds = {m["name"]: (m["type"], m["section"]) for m in k6["metrics"]}
    assert kinds["item_time"] == ("trend", "CUSTOM") and kinds["items_seen"] == ("counter", "CUSTOM")
    assert kinds["item_ok"] == ("rate", "CUSTOM") and kinds["queue_depth"] == ("gauge", "CUSTOM")
    assert "http_req_duration{scenario:buy}" in kinds and "checks{check:paid}" in kinds
    assert {(c["name"], c["group"]) for c in k6["checks"]} == {
        ("status 200", "::catalog"), ("fast", "::catalog"), ("paid", "::shop::pay")}  # fmt: skip
    assert [g["path"] for g in k6["groups"]] == ["::catalog", "::shop", "::shop::pay"]
    scenarios = {s["name"]: s for s in k6["scenarios"]}
    assert set(scenarios) == {"browse", "buy"} and all(s["iterations"] > 0 for s in scenarios.values())
    assert scenarios["buy"]["p95_ms"] is not None and scenarios["buy"]["dropped_iterations"] is not None
    charts = {c["id"]: c for c in report["charts"]}
    for cid in ("metric-item_time", "metric-items_seen", "metric-item_ok", "metric-queue_depth",
                "checks-by-name", "scenarios-iterations"):  # fmt: skip
        assert any(p[1] is not None for line in charts[cid]["lines"] for p in line["points"]), cid
    assert "metric-checks" not in charts, "checks is k6's own metric, charted by name instead"
    rows = report["criteria"]["rows"]
    thresholds = {(r["metric"], r["target"]): r for r in rows if r["kind"] == "threshold"}
    assert set(thresholds) == {("http_req_duration{scenario:buy}", "p(95)<500"), ("checks{check:paid}", "rate>0.9"),
                               ("item_time", "p(99)<1000")}  # fmt: skip
    assert all(r["actual"] is not None and r["status"] in ("pass", "fail") for r in thresholds.values())
    assert thresholds[("item_time", "p(99)<1000")]["unit"] == "ms"
    judged = {r["name"]: r for r in rows if r["kind"] == "rule"}
    assert judged["item-p95"]["status"] == "pass" and judged["item-p95"]["actual"] is not None
    assert judged["paid"]["status"] == "pass" and judged["item-p95"]["unit"] == "ms"
    assert judged["typo"]["status"] == "no data" and judged["typo"]["reason"] == (
        "k6 never emitted the metric 'item_tme'; close names it did emit: item_time, items_seen, item_ok")  # fmt: skip
    md, html = render_markdown(report, chart_dir="charts"), render_html(report)
    for title in ("## Scenarios", "## Checks", "## Metrics (k6 summary)", "## Groups"):
        assert title in md
    assert "| `item_time` |" in md.replace("item\\_time", "item_time") or "`item_time`" in md
    for sid in (
        'id="scenarios"',
        'id="checks"',
        'id="metrics"',
        'id="groups"',
        "queue_depth (Gauge) per second",
    ):
        assert sid in html


def _old_record(folder: Path, k6_export: Mapping[str, Any] | None) -> Path:
    """A record as loadwatch wrote it before the metric series and the Metrics view: k6 seconds and meta only."""
    t0 = int(time.time()) - 60
    recorder = RunRecorder(folder)
    recorder.set_meta(
        name="old", started_at=float(t0), ended_at=float(t0 + 5), status="finished", window_s=10
    )
    recorder.add_seconds(
        SecondPoint(t=t0 + i, requests=10, failed=0, iterations=10, data_sent=1.0, data_received=2.0,
                    checks_pass=1, checks_fail=0, vus=1.0, latency=Percentiles(1.0, 2.0, 3.0, 4.0, 5.0),
                    window=Percentiles(p95=3.0))
        for i in range(5)
    )  # fmt: skip
    assert recorder.close()
    if k6_export is not None:
        (folder / "k6-summary.json").write_text(json.dumps(k6_export))
    return folder


def test_an_older_record_reports_metrics_from_k6s_export_and_no_metric_charts(tmp_path: Path) -> None:
    export = {"metrics": {
        "http_reqs": {"count": 50, "rate": 10.0},
        "checks": {"passes": 9, "fails": 1, "value": 0.9},
        "cart_time": {"avg": 12.0, "min": 1.0, "med": 10.0, "max": 40.0, "p(90)": 30.0, "p(95)": 35.0},
        "queue": {"value": 3, "min": 0, "max": 7},
        "item_time": {"avg": 5.0, "p(95)": 9.0, "thresholds": {"p(95)<5": True}},
    }}  # fmt: skip
    report = build_report_json(_old_record(tmp_path, export))
    k6 = report["k6_metrics"]
    assert k6["source"] == "k6 summary export"
    kinds = {m["name"]: m["type"] for m in k6["metrics"]}
    assert kinds == {"http_reqs": "counter", "checks": "rate", "cart_time": "trend", "queue": "gauge",
                     "item_time": "trend"}  # fmt: skip
    assert next(m for m in k6["metrics"] if m["name"] == "item_time")["thresholds"] == [
        {"expression": "p(95)<5", "ok": False}]  # fmt: skip
    assert not any(c["id"].startswith(("metric-", "checks-", "scenarios-")) for c in report["charts"])
    md = render_markdown(report)
    assert "## Metrics (k6 summary)" in md and "## Scenarios" not in md and "## Checks" not in md
    assert "✗ p(95)<5" in md


def test_a_record_with_no_metrics_at_all_reports_without_the_k6_sections(tmp_path: Path) -> None:
    report = build_report_json(_old_record(tmp_path, None))
    assert report["k6_metrics"] == {"source": "", "metrics": [], "checks": [], "groups": [], "scenarios": []}
    html = render_html(report)
    assert 'id="metrics"' not in html and 'id="totals"' in html

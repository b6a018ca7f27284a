"""Unit tests of the report: records written with the real RunRecorder, no k6 (gauges, containers, crashes)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from runners.k6.histogram import Histogram
from runners.model.frames import Percentiles, SecondPoint
from runners.record.schema import EventKind
from runners.record.store import RunRecorder
from runners.report.compare import comparability, compare_value
from runners.report.data import ReportError, build_report_json
from runners.report.render import render_html, render_markdown
from runners.report.svg import decimate, nice_ticks, time_ticks
from runners.report.writer import report_command, write_report

T0 = 1_800_000_000.0
SECONDS = 40


def _point(i: int) -> SecondPoint:
    lat = Percentiles(p50=10.0 + i, p90=20.0 + i, p95=30.0 + i, p99=40.0 + i, max=50.0 + i)
    return SecondPoint(t=int(T0) + i, requests=100, failed=5 if i >= 20 else 0, iterations=50, data_sent=1e3,
                       data_received=2e3, checks_pass=100, checks_fail=0, vus=float(i), latency=lat, window=lat)  # fmt: skip


def make_run(
    folder: Path, *, note: str = "scaled up", meta: dict[str, Any] | None = None, summary: bool = False
) -> Path:
    """A run record as the engine writes it, with gauges, containers, a mark, a breach and a saturation."""
    folder.mkdir(parents=True)
    rec = RunRecorder(folder)
    rec.set_meta(name="unit", script="/s.js", script_sha256="a" * 64, k6_args=["-e", "X=***"], k6_version="k6 v1.1.0",
                 started_at=T0, ended_at=T0 + SECONDS, status="finished", window_s=10, **(meta or {}))  # fmt: skip
    points = [_point(i) for i in range(SECONDS)]
    rec.add_seconds(points)
    hist = []
    for p in points:
        h = Histogram()
        h.add_many([p.latency.p50 or 0.0] * 50 + [p.latency.p99 or 0.0] * 50)
        hist.append((p.t, h.counts))
    rec.add_histograms(hist)
    for i in range(SECONDS):
        gauges = {"db_pool|": 50.0 + i, "cpu|api-1": 30.0, "cpu|api-2": 35.0}
        containers = {"api": {"cpu_pct": 40.0 + i, "mem_pct": 20.0, "mem_bytes": 2e8}}
        # Written as raw rows: the on-disk form of these series (runners/record/codec.py) stays readable.
        rec.db.execute("INSERT INTO series VALUES ('gauges', ?, ?)", (int(T0) + i, json.dumps(gauges)))
        rec.db.execute(
            "INSERT INTO series VALUES ('containers', ?, ?)", (int(T0) + i, json.dumps(containers))
        )
    for at, kind, level, thr in ((20, "pending", "warning", 80.0), (25, "firing", "warning", 80.0),
                                 (32, "escalated", "critical", 85.0), (38, "resolved", "critical", 80.0)):  # fmt: skip
        rec.add_event(EventKind.BREACH, {"t": T0 + at, "rule": "db-pool", "metric": "gauge.db_pool", "kind": kind,
                                 "transition": kind, "level": level, "value": 50.0 + at, "worst": 50.0 + at,
                                 "threshold": thr, "message": f"db-pool {kind}"}, t=T0 + at)  # fmt: skip
    rec.add_event(EventKind.MARK, {"note": note, "elapsed_s": 12.0, "by": "user"}, t=T0 + 12)
    rec.add_event(
        EventKind.GENERATOR_SATURATED,
        {"warning": "box CPU 97 %", "box_cpu_pct": 97.0, "k6_cpu_pct": 90.0},
        t=T0 + 30,
    )
    if summary:
        rec.write_json("summary.json", {"requests": 4000, "endpoints": [], "breaches": [], "thresholds": [],
                                        "generator": {"saturated_s": 0.0, "warning": ""}})  # fmt: skip
    rec.close()
    return folder


def test_a_record_without_summary_gives_totals_from_its_seconds_and_histograms(tmp_path: Path) -> None:
    r = build_report_json(make_run(tmp_path / "a"))
    t = r["totals"]
    assert t["requests"] == 100 * SECONDS and t["failed_requests"] == 5 * 20
    assert t["error_pct"] == pytest.approx(100 * 100 / 4000) and t["rps_mean"] == 100.0
    assert t["latency_source"] == "histograms"
    whole = Histogram()
    for i in range(SECONDS):
        whole.add_many([10.0 + i] * 50 + [40.0 + i] * 50)
    p50, p95 = whole.percentiles((0.5, 0.95))
    assert (t["latency_ms"]["p50"], t["latency_ms"]["p95"]) == (round(p50 or 0, 3), round(p95 or 0, 3))
    assert t["latency_ms"]["max"] == 50.0 + SECONDS - 1
    assert r["k6_summary"] is None and r["endpoints"] == []
    assert not r["run"]["summary_written"]


def test_breaches_become_spans_split_by_level_on_the_chart_of_their_metric(tmp_path: Path) -> None:
    r = build_report_json(make_run(tmp_path / "a"))
    spans = [(s["level"], s["start_s"], s["end_s"]) for s in r["breach_spans"]]
    assert spans == [("warning", 25.0, 32.0), ("critical", 32.0, 38.0)]
    charts = {c["id"]: c for c in r["charts"]}
    assert set(charts) >= {
        "rps",
        "errors",
        "latency",
        "vus",
        "gauge-db_pool",
        "gauge-cpu",
        "container-api-cpu",
        "container-api-mem",
    }
    assert len(charts["gauge-db_pool"]["spans"]) == 2 and not charts["rps"]["spans"]
    assert [line["label"] for line in charts["gauge-cpu"]["lines"]] == ["api-1", "api-2"]
    assert charts["container-api-mem"]["unit"] == "%"
    (b,) = r["breaches"]
    assert (b["rule"], b["level"], b["start_s"], b["end_s"], b["worst"]) == (
        "db-pool",
        "critical",
        25.0,
        38.0,
        88.0,
    )
    assert [e["transition"] for e in r["breach_log"]] == ["pending", "firing", "escalated", "resolved"]
    assert r["generator"]["saturated"] and "97" in r["generator"]["warning"]
    pool = next(g for g in r["system"]["gauges"] if g["gauge"] == "db_pool")
    assert (pool["min"], pool["max"], pool["samples"]) == (50.0, 50.0 + SECONDS - 1, SECONDS)
    cpu = next(c for c in r["system"]["containers"] if c["metric"] == "cpu_pct")
    assert (cpu["container"], cpu["max"]) == ("api", 40.0 + SECONDS - 1)
    assert "System under test" in render_markdown(r)


def test_recorded_rules_pass_or_fail_and_show_their_actual_values(tmp_path: Path) -> None:
    rules = [
        {"name": "db-pool", "metric": "gauge.db_pool*", "op": ">", "warning": 80.0, "critical": 85.0},
        {"name": "p95", "metric": "k6.p95_ms", "op": ">", "warning": 300.0, "critical": 500.0},
        {"name": "api-cpu", "metric": "container.api.cpu_pct", "op": ">", "warning": 90.0},
        {"name": "redis", "metric": "gauge.redis*", "op": ">", "warning": 90.0},
    ]
    rows = {
        c["name"]: c
        for c in build_report_json(make_run(tmp_path / "a", meta={"rules": rules}))["criteria"]["rows"]
    }
    pool = rows["db-pool"]  # 50..89 %, one a second: beyond 80 % for 9 of 40 s
    assert (pool["status"], pool["actual"], pool["worst"], pool["over_target_pct"]) == (
        "fail",
        87.0,
        89.0,
        22.5,
    )
    assert pool["reason"] == "beyond 80 for 22% of 40 s measured (beyond critical 85 for 10%)"
    assert rows["p95"]["status"] == "pass" and rows["p95"]["actual"] == 67.0 and rows["p95"]["worst"] == 69.0
    assert rows["p95"]["target"] == "≤ 300 ms (critical > 500 ms)"
    assert rows["api-cpu"]["status"] == "pass" and rows["api-cpu"]["worst"] == 40.0 + SECONDS - 1
    assert rows["redis"]["status"] == "no data" and rows["redis"]["actual"] is None
    assert rows["redis"]["reason"] == "the gauge's query returned no series"


def _judge(values: list[float], fired: set[str] | None = None) -> dict[str, Any]:
    from runners.report.criteria import judge

    return judge({"gauge.db_pool": values}, "per second", ">=", 80.0, 95.0, fired or set(), "%")


def test_criteria_judge_the_run_not_whether_the_rule_fired() -> None:
    swinging = [50.0, 100.0] * 30  # a saturated pool: the rule may never have held, the run failed
    v = _judge(swinging)
    assert (v["status"], v["actual"], v["worst"], v["over_target_pct"]) == ("fail", 100.0, 100.0, 50.0)
    assert "beyond critical 95 % for 50%" in v["reason"]
    brief = [50.0] * 58 + [90.0, 90.0]  # 3 % of the time: within the 5 % tolerance
    assert _judge(brief)["status"] == "warn" and "within the 5% tolerance" in _judge(brief)["reason"]
    assert _judge([50.0] * 60)["status"] == "pass"
    assert _judge([50.0] * 60, {"critical"})["status"] == "fail"
    assert _judge([])["status"] == "no data"
    cache = judge_below([29.0] * 60)
    assert cache["status"] == "fail" and cache["actual"] == 29.0


def judge_below(values: list[float]) -> dict[str, Any]:
    from runners.report.criteria import judge

    return judge({"gauge.cache_hit": values}, "per second", "<=", 70.0, 50.0, set(), "%")


def test_a_criterion_without_data_says_which_fault_and_how_long(tmp_path: Path) -> None:
    folder = tmp_path / "a"
    make_run(folder, meta={"rules": [{"name": "hit", "metric": "gauge.cache_hit", "op": "<", "warning": 70.0}],
                           "gauges": {"gauges": [{"name": "cache_hit"}, {"name": "db_pool"}]}})  # fmt: skip
    rec = RunRecorder(folder)
    for at, state, reason in ((5, "down", "connection refused"), (45, "ok", "")):
        rec.add_event(EventKind.SOURCE_HEALTH, {"t": T0 + at, "gauges": ["cache_hit"], "state": state, "reason": reason,
                                        "source": "Prometheus http://127.0.0.1:1", "text": "x"}, t=T0 + at)  # fmt: skip
    rec.close()
    r = build_report_json(folder)
    row = next(c for c in r["criteria"]["rows"] if c["name"] == "hit")
    assert row["status"] == "no data"
    assert row["reason"] == "no data: down (connection refused) 35 s from 0:05", row["reason"]


def test_verdicts_follow_direction_and_the_noise_band() -> None:
    def verdict(base: float, cur: float, higher: bool, band: Any) -> str:
        return str(compare_value(base, cur, higher, band)["verdict"])

    assert verdict(100.0, 104.0, False, "latency") == "same"
    assert verdict(100.0, 106.0, False, "latency") == "worse"
    assert verdict(100.0, 94.0, False, "latency") == "better"
    assert verdict(0.5, 1.4, False, "latency") == "same"  # inside ±1 ms
    assert verdict(100.0, 110.0, True, "relative") == "better"
    assert verdict(1.0, 1.05, False, "points") == "same"
    assert verdict(1.0, 1.2, False, "points") == "worse"
    assert verdict(99.0, 98.0, True, "points") == "worse"
    row = compare_value(200.0, 150.0, False, "latency")
    assert (row["diff"], row["diff_pct"]) == (-50.0, -25.0)
    assert compare_value(None, 3.0, True, "relative")["verdict"] == "n/a"
    assert compare_value(0.0, 0.0, False, "points")["diff_pct"] is None


def test_runs_that_differ_in_script_version_args_or_stages_are_flagged() -> None:
    base = {"script_sha256": "a" * 64, "k6_version": "k6 v1.1.0", "k6_args": ["-u", "10"], "status": "finished",
            "plan": ["* default: 10 looping VUs for 30s"], "planned_s": 30.0}  # fmt: skip
    assert comparability(base, dict(base)) == []
    other = {**base, "script_sha256": "b" * 64, "k6_version": "k6 v2.0.0", "k6_args": ["-u", "20"],
             "plan": ["* default: 10 looping VUs for 60s"]}  # fmt: skip
    text = " ".join(comparability(base, other))
    for expected in ("scripts differ", "other k6 version", "other k6 arguments", "other stages"):
        assert expected in text
    profile = comparability(
        base, dict(base), {"vus_max": 80.0, "active_s": 55.0}, {"vus_max": 40.0, "active_s": 14.0}
    )
    assert any("other load" in w for w in profile) and any("other duration" in w for w in profile)
    assert (
        comparability(
            base, dict(base), {"vus_max": 80.0, "active_s": 55.0}, {"vus_max": 80.0, "active_s": 56.0}
        )
        == []
    )
    no_plan = {**base, "plan": [], "planned_s": 60.0}
    assert any("planned duration" in w for w in comparability({**base, "plan": []}, no_plan))


def test_text_from_the_record_is_escaped_and_the_page_loads_nothing(tmp_path: Path) -> None:
    hostile = '<script>alert("x")</script><img src="http://example.invalid/x.png">'
    run = make_run(tmp_path / "a", note=hostile)
    report = build_report_json(run, make_run(tmp_path / "b"))
    html = render_html(report)
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert not re.search(r"<[^>]*\s(?:src|srcset|data|poster)\s*=", html)
    assert all(h.startswith("#") for h in re.findall(r'<[^>]*\shref="([^"]*)"', html))
    assert "default-src 'none'" in html  # the page's own policy forbids every load
    md = render_markdown(report, chart_dir="charts")
    assert "<script" not in md and "<img" not in md


def test_write_report_files_and_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = tmp_path / "runs"
    run, base = make_run(runs / "20260101-000000-unit"), make_run(runs / "20260101-000100-base", summary=True)
    paths = write_report(run, tmp_path / "out", base)
    names = [p.relative_to(tmp_path / "out").as_posix() for p in paths]
    assert names[:2] == ["report.md", "report.html"] and "charts/gauge-db_pool.svg" in names
    svg = (tmp_path / "out" / "charts" / "latency.svg").read_text()
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and "M1" in svg
    (json_path,) = write_report(run, tmp_path / "out", fmt="json")
    assert json.loads(json_path.read_text())["totals"]["requests"] == 100 * SECONDS
    assert report_command("000000-unit", runs, baseline="000100-base", out=tmp_path / "o2") == 0
    assert capsys.readouterr().out.split() == [
        str(tmp_path / "o2" / "report.md"),
        str(tmp_path / "o2" / "report.html"),
    ]
    assert report_command("last", runs, fmt="json") == 0
    assert json.loads(capsys.readouterr().out)["run"]["folder"] == "20260101-000100-base"
    with pytest.raises(ReportError):
        build_report_json(tmp_path)
    with pytest.raises(ValueError, match="unknown report format"):
        write_report(run, tmp_path / "x", fmt="pdf")  # type: ignore[arg-type]


def test_chart_helpers() -> None:
    assert nice_ticks(523.0) == [0, 200, 400, 600]
    assert nice_ticks(0.0)[-1] >= 1.0 and nice_ticks(0.03)[-1] >= 0.03
    assert time_ticks(55.0) == [0.0, 10.0, 20.0, 30.0, 40.0, 50.0]
    assert len(time_ticks(7200.0)) <= 11
    points: list[list[float | None]] = [[float(i), float(i % 100)] for i in range(10_000)]
    points[5_000] = [5_000.0, 1_000.0]  # a spike
    for i in range(7_000, 7_100):
        points[i] = [float(i), None]  # a gap longer than a slice survives thinning
    thin = decimate(points)
    assert len(thin) <= 1_300 and [5_000.0, 1_000.0] in thin
    assert any(p[1] is None for p in thin)

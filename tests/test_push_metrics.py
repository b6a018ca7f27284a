"""The push transports feed the metric model (custom metrics, checks, scenarios), with the real k6."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from runners.engine.live import RunEngine, RunSpec
from runners.k6.metric_model import MetricModel
from tests import k6_summary_scripts

pytestmark = pytest.mark.integration


def run(
    tmp_path: Path, transport: str, base: str
) -> tuple[RunEngine, MetricModel, dict[str, dict[str, Any]]]:
    """The shop script (two scenarios, groups, named checks, the four custom types) over a transport."""
    script = tmp_path / "shop.js"
    script.write_text(k6_summary_scripts.SHOP)
    spec = RunSpec(
        script=script, k6_args=("-e", f"BASE={base}"), runs_dir=tmp_path / "runs", transport=transport
    )
    engine = RunEngine(spec)
    engine.start()
    assert engine.wait(120), "the run did not end in time"
    assert engine.summary["k6_exit_code"] == 99  # some of the script's thresholds fail on purpose
    return engine, engine.stats.model, json.loads(engine.summary_export.read_text())["metrics"]


def stat(model: MetricModel, metric: str, key: str, pairs: tuple[tuple[str, str], ...] = ()) -> float | None:
    agg = model.total(metric, pairs)
    assert agg is not None, f"{metric}{pairs} is not in the model"
    return agg.stats(model.duration_s)[key]


def assert_checks_by_name(model: MetricModel, k6: dict[str, dict[str, Any]]) -> None:
    """Each check's passes and fails equal k6's (its export has them as `checks{check:NAME}` sub-metrics)."""
    for name in ("paid", "sometimes"):
        for key in ("passes", "fails"):
            assert stat(model, "checks", key, (("check", name),)) == k6[f"checks{{check:{name}}}"][key]


def recorded_seconds(engine: RunEngine) -> list[dict[str, Any]]:
    """The k6 points of the run's record, one per second."""
    db = sqlite3.connect(engine.run_dir / "run.sqlite")
    try:
        return [json.loads(x) for (x,) in db.execute("SELECT data FROM series WHERE source = 'k6'")]
    finally:
        db.close()


def test_remote_write_feeds_custom_metrics_scenarios_submetrics_and_check_counts(
    tmp_path: Path, k6_bin: str, nginx_url: str
) -> None:
    engine, model, k6 = run(tmp_path, "rw", nginx_url)
    # Counters are pushed cumulative per series: exact, for the metric, a sub-metric and a scenario.
    assert stat(model, "orders", "count") == k6["orders"]["count"] > 0
    assert stat(model, "orders", "count", (("kind", "big"),)) == k6["orders{kind:big}"]["count"]
    assert stat(model, "http_reqs", "count", (("flow", "window"),)) == k6["http_reqs{flow:window}"]["count"]
    assert (
        stat(model, "http_reqs", "count", (("scenario", "buy"),))
        == k6["http_reqs"]["count"] - k6["http_reqs{flow:window}"]["count"]
    )
    assert stat(model, "dropped_iterations", "count") == k6["dropped_iterations"]["count"] > 0
    # A custom Trend as a native histogram: exact count and sum. About 40 samples here, a bucket holds one or
    # two: their bucket's middle stands for them, so a percentile is within its 4.4 % half-width.
    assert stat(model, "pay_time", "count") == k6["orders"]["count"]
    assert stat(model, "pay_time", "avg") == pytest.approx(k6["pay_time"]["avg"], rel=0.01)
    assert stat(model, "pay_time", "p(95)") == pytest.approx(k6["pay_time"]["p(95)"], rel=0.06)
    duration = k6["http_req_duration{scenario:buy}"]
    assert stat(model, "http_req_duration", "p(95)", (("scenario", "buy"),)) == pytest.approx(
        duration["p(95)"], rel=0.06
    )
    assert stat(model, "cart_size", "value") == k6["cart_size"]["value"]  # a Gauge's last value
    # http_req_failed from http_reqs' expected_response tag: exact.
    assert stat(model, "http_req_failed", "passes") == k6["http_req_failed"]["passes"] > 0
    # A Rate is pushed as its ratio only. The checks' counts come from k6's REST API by group and name
    # (polled each second, settled from k6's summary export at the end): exact. A custom Rate has no counts.
    assert stat(model, "checks", "passes") == k6["checks"]["passes"] > 0
    assert stat(model, "checks", "fails") == k6["checks"]["fails"] > 0
    assert_checks_by_name(model, k6)
    assert stat(model, "checks", "passes", (("group", "::shop::pay"),)) == k6["checks{check:paid}"]["passes"]
    assert model.total("paid_ok") is None
    poll = engine.checks_poll
    assert poll is not None and poll.polls >= 2  # live during the run, not only from the export at the end
    # The record's seconds hold them all: the rest after the last poll lands in a second still open.
    points = recorded_seconds(engine)
    assert sum(p.get("checks_pass", 0) + p.get("checks_fail", 0) for p in points) == (
        k6["checks"]["passes"] + k6["checks"]["fails"]
    )


def test_otlp_feeds_custom_metrics_checks_by_name_and_scenarios(
    tmp_path: Path, k6_bin: str, nginx_url: str
) -> None:
    engine, model, k6 = run(tmp_path, "otlp", nginx_url)
    # k6 1.1.0 ends its meter provider before flushing what it buffered last; its summary export settles
    # that tail (push_tail.py): every Counter's, Rate's and check's count is k6's.
    assert stat(model, "http_reqs", "count") == k6["http_reqs"]["count"] > 0
    assert stat(model, "orders", "count") == k6["orders"]["count"] > 0
    assert stat(model, "dropped_iterations", "count") == k6["dropped_iterations"]["count"] > 0
    # Rates arrive as two counters: checks by name with pass and fail counts, and custom Rates.
    assert_checks_by_name(model, k6)
    for key in ("passes", "fails"):
        assert stat(model, "paid_ok", key) == k6["paid_ok"][key]
        assert stat(model, "http_req_failed", key) == k6["http_req_failed"][key]
    assert stat(model, "checks", "value", (("scenario", "buy"),)) == 1.0
    # A Trend as an exponential histogram with its exact min and max (its unpushed tail is not settled:
    # the export has no counts for it, the final summary takes k6's figures).
    p95, fastest = stat(model, "pay_time", "p(95)"), stat(model, "pay_time", "min")
    assert p95 is not None and k6["pay_time"]["med"] * 0.94 <= p95 <= k6["pay_time"]["max"]
    assert fastest is not None and k6["pay_time"]["min"] * 0.999 <= fastest <= k6["pay_time"]["med"]
    # The record's seconds hold them all, the tail in the run's last second.
    points = recorded_seconds(engine)
    assert sum(p.get("checks_pass", 0) + p.get("checks_fail", 0) for p in points) == (
        k6["checks"]["passes"] + k6["checks"]["fails"]
    )
    assert sum(p.get("requests", 0) for p in points) == k6["http_reqs"]["count"]

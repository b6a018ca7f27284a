"""The `metrics` of `--json-summary` from k6's JSON lines: k6's keys, empty sub-metrics, Gauge order."""

from __future__ import annotations

import json

from runners.k6.ingest import K6Ingest
from runners.k6.metric_model import MetricModel
from runners.k6.summary_export import export_metrics, trend_stats
from runners.model.frames import ThresholdRow

T0 = "2026-11-30T10:00:0"


def _metric(name: str, kind: str, subs: list[dict[str, str]] | None = None) -> bytes:
    submetrics = [{"name": f"{name}{{{k}:{v}}}", "suffix": f"{k}:{v}", "tags": {k: v}} for s in subs or []
                  for k, v in s.items()]  # fmt: skip
    data = {
        "name": name,
        "type": kind,
        "contains": "default",
        "thresholds": [],
        "submetrics": submetrics or None,
    }
    return (
        json.dumps({"type": "Metric", "data": data, "metric": name}, separators=(",", ":")).encode() + b"\n"
    )


def _point(name: str, second: int, value: float, tags: dict[str, str]) -> bytes:
    data = {"time": f"{T0}{second}.5Z", "value": value, "tags": tags}
    return json.dumps({"metric": name, "type": "Point", "data": data}, separators=(",", ":")).encode() + b"\n"


def _model(*lines: bytes, chunk: int = 1 << 20) -> MetricModel:
    ingest, model = K6Ingest(), MetricModel()
    data = b"".join(lines)
    for i in range(0, len(data), chunk):
        ingest.feed(data[i : i + chunk])
        model.absorb(ingest.take())
    return model


def test_a_gauges_value_is_its_last_sample_whichever_tag_set_wrote_it() -> None:
    lines = [_metric("depth", "gauge"), _point("depth", 1, 5, {"vu": "a"}), _point("depth", 1, 7, {"vu": "b"}),
             _point("depth", 1, 3, {"vu": "a"}), _point("depth", 2, 9, {"vu": "b"}), _point("depth", 2, 4, {"vu": "a"}),
        _point("depth", 2, 6, {"vu": "b"})]  # fmt: skip
    for chunk in (1 << 20, 100, 37):  # one batch, or many
        got = export_metrics(_model(*lines, chunk=chunk), (), 2.0)["depth"]
        assert got == {"value": 6.0, "min": 3.0, "max": 9.0}, chunk


def test_k6s_keys_per_type_and_its_thresholds_convention() -> None:
    model = _model(
        _metric("orders", "counter", [{"kind": "big"}, {"kind": "none"}]), _metric("ok", "rate"),
        _metric("pay", "trend"), _point("orders", 1, 2, {"kind": "big"}), _point("orders", 1, 1, {"kind": "x"}),
        _point("ok", 1, 1, {}), _point("ok", 1, 0, {}), _point("ok", 1, 1, {}), _point("pay", 1, 10, {}),
        _point("pay", 1, 30, {}),
    )  # fmt: skip
    rows = (ThresholdRow("orders", "count>5", 3.0, False, True, "k6"), ThresholdRow("ok", "rate>0.5", 2 / 3, True, True, "k6"),
            ThresholdRow("orders{kind:none}", "count<1", None, None))  # fmt: skip
    out = export_metrics(model, rows, 2.0, trend_stats(["--summary-trend-stats", "avg,p(99.9),count"], {}))
    assert out["orders"] == {"count": 3, "rate": 1.5, "thresholds": {"count>5": True}}, "true means FAILED"
    assert out["orders{kind:big}"] == {"count": 2, "rate": 1.0}
    assert out["orders{kind:none}"] == {"count": 0, "rate": 0, "thresholds": {"count<1": None}}, (
        "no samples: zeros"
    )
    assert out["ok"] == {"passes": 2, "fails": 1, "value": 2 / 3, "thresholds": {"rate>0.5": False}}
    assert set(out["pay"]) == {"avg", "p(99.9)", "count", "p(99)"} and out["pay"]["avg"] == 20.0
    assert isinstance(out["orders"]["count"], int) and isinstance(out["pay"]["count"], int)


def test_trend_stats_follow_k6s_option_then_add_p99_and_count() -> None:
    assert trend_stats([], {}) == ("avg", "min", "med", "max", "p(90)", "p(95)", "p(99)", "count")
    assert trend_stats([], {"K6_SUMMARY_TREND_STATS": "p(99.9), max"}) == ("p(99.9)", "max", "p(99)", "count")
    assert trend_stats(["--summary-trend-stats=avg"], {}) == ("avg", "p(99)", "count")

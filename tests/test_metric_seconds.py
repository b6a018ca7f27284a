"""Every k6 metric series, second by second, in the record: bounded per second, the cap's drops in the meta."""

from __future__ import annotations

from pathlib import Path

import pytest

from runners.k6.metric_model import MetricModel
from runners.k6.metric_seconds import MetricSeconds
from runners.record.reader import RecordReader
from runners.record.store import RunRecorder
from tests.test_metric_rules import T0, feed, metric_line, point


def model_of_one_second(checks: int) -> MetricModel:
    model = MetricModel()
    model.declare_selector("step_time", (("scenario", "buy"),))
    lines = [metric_line("step_time", "trend", "time"), metric_line("items", "counter"),
             metric_line("depth", "gauge")]  # fmt: skip
    for i in range(100):
        lines.append(point("step_time", T0, float(i + 1), scenario="buy" if i % 2 else "browse"))
    lines += [point("items", T0, 3.0, scenario="browse"), point("depth", T0, 7.0)]
    lines += [point("checks", T0, float(i % 2), check=f"c{i}", group="") for i in range(checks)]
    feed(model, lines)
    return model


def test_a_second_of_every_series_is_recorded_and_read_back(tmp_path: Path) -> None:
    model = model_of_one_second(checks=2)
    keeper = MetricSeconds()
    recorder = RunRecorder(tmp_path)
    recorder.add_metric_seconds(keeper.rows(model, [T0, T0 + 1]))  # T0 + 1 holds nothing: no row
    recorder.set_meta(metric_series=keeper.meta())
    assert recorder.close()
    with RecordReader(tmp_path) as reader:
        (row,) = reader.metric_seconds()
        meta = reader.meta()["metric_series"]
    assert row.t == T0
    assert row.value("step_time", "count") == 100 and row.value("step_time", "max") == 100.0
    assert row.value("step_time", "p(95)") == pytest.approx(95.0, rel=0.02)
    assert row.value("step_time{scenario:buy}", "min") == 2.0  # a declared sub-metric: per second
    assert "step_time{scenario:browse}" not in row.series  # a Trend's undeclared slices: not per second
    assert row.series["items{scenario:browse}"] == {"count": 3.0}
    assert row.series["depth"] == {"value": 7.0, "min": 7.0, "max": 7.0}
    assert row.series["checks{check:c1}"] == {"passes": 1.0, "fails": 0.0}
    assert meta == {"cap_per_s": 400, "seconds": 1, "most_per_s": len(row.series), "dropped": 0,
                    "dropped_names": []}  # fmt: skip


def test_the_cap_keeps_whole_metrics_and_sub_metrics_first_and_says_what_it_left_out() -> None:
    model = model_of_one_second(checks=30)
    keeper = MetricSeconds(cap=10)
    ((_t, series),) = keeper.rows(model, [T0])
    assert len(series) == 10
    assert {"step_time", "items", "depth", "checks", "step_time{scenario:buy}"} <= set(series)
    assert keeper.dropped == keeper.most - 10 and keeper.dropped > 30  # checks by name and by name and group
    assert len(keeper.meta()["dropped_names"]) == 20 and keeper.meta()["dropped"] == keeper.dropped

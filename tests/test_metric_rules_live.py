"""Rules on a custom Trend, on sub-metrics and on a check by name fire in a real k6 run; a missing metric is said."""

from __future__ import annotations

from pathlib import Path

import pytest

from runners.engine.live import RunEngine, RunSpec
from runners.model.frames import Frame
from runners.model.rule_spec import Rule
from runners.record.reader import RecordReader
from runners.record.schema import EventKind

pytestmark = pytest.mark.integration

SCRIPT = """
import http from 'k6/http';
import { check, sleep } from 'k6';
import { Trend } from 'k6/metrics';
const step = new Trend('step_time', true);
export const options = {
  scenarios: {
    buy: { executor: 'constant-vus', vus: 2, duration: '6s', exec: 'buy' },
    browse: { executor: 'constant-vus', vus: 2, duration: '6s', exec: 'browse' },
  },
};
export function buy() {
  const r = http.get(__ENV.BASE + '/missing');
  check(r, { 'is ok': (x) => x.status === 200 });
  step.add(400, { kind: 'slow' });
  sleep(0.05);
}
export function browse() {
  http.get(__ENV.BASE + '/');
  step.add(2, { kind: 'fast' });
  sleep(0.05);
}
"""


def test_rules_on_a_custom_trend_sub_metrics_and_a_check_fire_and_a_missing_metric_is_said(
    tmp_path: Path, k6_bin: str, nginx_url: str
) -> None:
    script = tmp_path / "steps.js"
    script.write_text(SCRIPT)
    rules = [
        Rule("step-max", "metric.step_time.max", ">", warning=100.0, for_s=1.0),
        Rule("slow-step", "metric.step_time{kind:slow}.p95", ">", warning=100.0, for_s=1.0),
        Rule("fast-step", "metric.step_time{kind:fast}.p99", ">", warning=100.0, for_s=1.0),
        Rule("buy-failed", "metric.http_req_failed{scenario:buy}.pass_pct", ">", warning=50.0, for_s=1.0),
        Rule("browse-failed", "metric.http_req_failed{scenario:browse}.pass_pct", ">", warning=50.0),
        Rule("not-ok", 'check."is ok".fail_pct', ">", warning=50.0, for_s=1.0),
        Rule("typo", "metric.step_tme.p95", ">", warning=1.0),
    ]
    notes: set[str] = set()
    output: list[str] = []

    def on_frame(frame: Frame) -> None:
        notes.update(frame.rule_notes)
        output.extend(line.text for line in frame.new_output if line.stream == "loadwatch")

    spec = RunSpec(script=script, k6_args=("-e", f"BASE={nginx_url}"), runs_dir=tmp_path, rules=rules)
    engine = RunEngine(spec)
    engine.add_listener(on_frame)
    engine.start()
    assert engine.wait(90)
    fired = {
        e["rule"] for e in RecordReader(engine.run_dir).events(EventKind.BREACH) if e.transition == "firing"
    }
    assert fired >= {"step-max", "slow-step", "buy-failed", "not-ok"}
    assert not fired & {"fast-step", "browse-failed", "typo"}, "a sub-metric reads its own samples only"
    assert "typo: metric.step_tme.p95: no such metric yet" in notes
    warning = next(x for x in output if "rule typo" in x)
    assert warning == (
        "warning: rule typo (metric.step_tme.p95) never had a value: k6 never emitted the metric "
        "'step_tme'; close names it did emit: step_time"
    )

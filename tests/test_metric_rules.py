"""Rules on any k6 metric and sub-metric (`metric.<selector>.<stat>`) and on checks by name (`check.<name>.<stat>`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from runners.k6.ingest import K6Ingest
from runners.k6.metric_model import MetricModel
from runners.k6.rule_values import NO_CHECK, NO_METRIC, MetricRuleValues
from runners.k6.tags import TagCache
from runners.model.metric_paths import parse_metric_path
from runners.model.rule_spec import Rule, check_rule
from runners.rules.format import format_rules
from runners.rules.metrics import availability
from runners.rules.state import RuleEngine

T0 = 1796029200  # 2026-11-30T09:00:00Z


def _stamp(t: int, frac: str = "250") -> str:
    return f"2026-11-30T09:{(t - T0) // 60:02d}:{(t - T0) % 60:02d}.{frac}Z"


def metric_line(name: str, kind: str, contains: str = "default") -> bytes:
    data: dict[str, object] = {
        "name": name,
        "type": kind,
        "contains": contains,
        "thresholds": [],
        "submetrics": None,
    }
    return json.dumps({"type": "Metric", "data": data, "metric": name}, separators=(",", ":")).encode()


def point(name: str, t: int, value: float, **tags: str) -> bytes:
    data = {"time": _stamp(t), "value": value, "tags": tags}
    return json.dumps({"metric": name, "type": "Point", "data": data}, separators=(",", ":")).encode()


def feed(model: MetricModel, lines: list[bytes]) -> None:
    ingest = K6Ingest(TagCache())
    ingest.feed(b"\n".join(lines) + b"\n")
    model.absorb(ingest.take())


def mixed_model(values: MetricRuleValues | None = None) -> MetricModel:
    """Ten seconds of a custom Trend (slow for scenario buy), a Counter, a Rate, a Gauge and two checks."""
    model = MetricModel()
    if values is not None:
        values.declare(model)
    lines = [metric_line("step_time", "trend", "time"), metric_line("items", "counter"),
             metric_line("item_ok", "rate"), metric_line("depth", "gauge")]  # fmt: skip
    for t in range(T0, T0 + 10):
        for i in range(10):
            lines.append(point("step_time", t, 500.0 + i, scenario="buy"))
            lines.append(point("step_time", t, 5.0 + i, scenario="browse"))
            lines.append(point("items", t, 2.0, scenario="browse"))
            lines.append(point("item_ok", t, float(i % 4 != 0), scenario="browse"))  # 70 % pass
            lines.append(point("checks", t, float(i % 2), check="status is 200", group=""))  # 50 % pass
            lines.append(point("checks", t, 1.0, check="paid", group="::shop"))
        lines.append(point("depth", t, float(t - T0), scenario="browse"))
    feed(model, lines)
    return model


def test_paths_parse_with_selectors_quotes_and_percentiles() -> None:
    p = parse_metric_path("metric.http_req_duration{scenario:buy, group:::a::b}.p99")
    assert (p.metric, p.pairs, p.stat, p.quantile) == (
        "http_req_duration", (("group", "::a::b"), ("scenario", "buy")), "p(99)", 0.99)  # fmt: skip
    assert parse_metric_path("metric.x{name:http://h/a.b}.p(99.9)").pairs == (("name", "http://h/a.b"),)
    assert parse_metric_path("metric.x.p(99.9)").quantile == pytest.approx(0.999)
    assert parse_metric_path('check."status is 200".fail_pct').check == "status is 200"
    assert parse_metric_path("check.status is 200.fail_pct").check == "status is 200"  # quotes optional
    assert parse_metric_path("check.a.b.pass_pct").check == "a.b"  # the stat is after the last dot


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("metric.checkout_time", "must end with .<stat>"),
        ("metric.checkout_time.p95x", "unknown stat 'p95x'"),
        ("metric.*.p95", "globs work on check names only"),
        ("metric.x{scenario}.p95", "expected tag:value"),
        ("metric.x.p(101)", "not between 0 and 100"),
        ("check.paid.p95", "unknown stat 'p95'"),
        ("metrics.x.p95", "must start with one of"),
    ],
)
def test_bad_paths_are_refused_at_start(path: str, problem: str) -> None:
    found = check_rule(Rule("r", path, ">", warning=1.0))
    assert found is not None and found[0] == "metric" and problem in found[1]


def test_values_over_the_window_by_type() -> None:
    paths = ["metric.step_time.p95", "metric.step_time{scenario:buy}.min", "metric.step_time.count",
             "metric.step_time.rate", "metric.items.rate", "metric.items.count", "metric.item_ok.pass_pct",
             "metric.item_ok.rate", "metric.depth.value", "metric.depth.max", 'check."status is 200".fail_pct',
             "check.paid.passes", "metric.items.p95"]  # fmt: skip
    values = MetricRuleValues(paths, window_s=5)
    model = mixed_model(values)
    got = values.values(model, T0 + 10.6)  # seconds up to T0+9 closed; the window is T0+6..T0+10
    assert got["metric.step_time.p95"] == pytest.approx(508.0, rel=0.02)
    assert got["metric.step_time{scenario:buy}.min"] == 500.0  # the sub-metric, not the whole metric (5)
    assert got["metric.step_time.count"] == 100.0 and got["metric.step_time.rate"] == 20.0  # 5 closed seconds
    assert got["metric.items.rate"] == 20.0 and got["metric.items.count"] == 100.0  # Counter: sum of values
    assert got["metric.item_ok.pass_pct"] == 70.0 and got["metric.item_ok.rate"] == 0.7
    assert got["metric.depth.value"] == 9.0 and got["metric.depth.max"] == 9.0
    assert got['check."status is 200".fail_pct'] == 50.0
    assert got["check.paid.passes"] == 40.0  # 4 seconds of the window hold samples (T0+6..T0+9)
    assert got["metric.items.p95"] is None  # a Counter has no percentile
    assert values.notes(model) == {
        "metric.items.p95": "items is a counter: p(95) does not apply (count, rate)"
    }


def test_a_rules_sub_metric_is_exact_from_the_first_sample_only_when_declared() -> None:
    path = "metric.step_time{scenario:buy}.p95"
    declared = MetricRuleValues([path], window_s=5)
    assert declared.values(mixed_model(declared), T0 + 10.6)[path] == pytest.approx(508.0, rel=0.02)
    undeclared = MetricRuleValues([path], window_s=5)
    assert (
        undeclared.values(mixed_model(), T0 + 10.6)[path] is None
    )  # a Trend's slices are not kept per second


def test_unknown_metric_and_check_say_so_then_name_close_ones() -> None:
    paths = ["metric.step_tme.p95", "check.payd.fail_pct", "check.*.fail_pct", "check.nothing*.fail_pct"]
    values = MetricRuleValues(paths, window_s=5)
    assert values.notes(MetricModel()) == dict.fromkeys(paths[:2], NO_METRIC) | {
        "check.payd.fail_pct": NO_CHECK, "check.*.fail_pct": NO_CHECK, "check.nothing*.fail_pct": NO_CHECK}  # fmt: skip
    model = mixed_model(values)
    got = values.values(model, T0 + 10.6)
    assert got["metric.step_tme.p95"] is None
    assert (
        got["check.status is 200.fail_pct"] == 50.0 and got["check.paid.fail_pct"] == 0.0
    )  # the glob's paths
    assert "step_tme" not in model.infos, "asking for a missing metric must not invent it"
    assert values.notes(model) == {"metric.step_tme.p95": NO_METRIC, "check.payd.fail_pct": NO_CHECK,
                                   "check.nothing*.fail_pct": NO_CHECK}  # fmt: skip
    warned = values.never_emitted(model)
    assert warned["metric.step_tme.p95"] == (
        "k6 never emitted the metric 'step_tme'; close names it did emit: step_time"
    )
    assert warned["check.payd.fail_pct"].endswith("close names it did emit: paid")


def test_a_glob_over_checks_fires_once_per_failing_check() -> None:
    rule = Rule("checks-failing", "check.*.fail_pct", ">", warning=10.0)
    values = MetricRuleValues([rule.metric], window_s=5)
    model = mixed_model(values)
    engine = RuleEngine([rule])
    fired = engine.evaluate(1.0, values.values(model, T0 + 10.6), wall_t=T0 + 10.6)
    assert [(t.kind, t.path) for t in fired] == [("firing", "check.status is 200.fail_pct")]


def test_rules_command_says_which_metrics_are_not_built_ins() -> None:
    rules = [Rule("slow-step", "metric.step_time.p95", ">", warning=1.0),
             Rule("reqs", "metric.http_reqs.rate", "<", warning=1.0),
             Rule("paid", 'check."paid".fail_pct', ">", warning=1.0)]  # fmt: skip
    text = format_rules(rules)
    assert (
        "Not k6 built-in metrics, so known once k6 emits them (the screen says 'no such metric yet'" in text
    )
    assert "slow-step (step_time)." in text and "reqs (" not in text.split("Not k6", 1)[1]
    assert "Checks, known once the script runs them: paid (paid)." in text
    assert availability("metric.step_time.p95", [])[0] == "waiting"
    assert availability("metric.http_reqs.rate", []) == ("ok", "")


def test_loadwatch_rules_accepts_a_custom_metric_rule_and_says_it_waits_for_k6(tmp_path: Path) -> None:
    config = tmp_path / "loadwatch.toml"
    config.write_text(
        '[[rules]]\nname = "checkout-p95"\nmetric = "metric.checkout_time.p95"\nwarning = 400\n'
        '[[rules]]\nname = "status"\nmetric = \'check."status is 200".fail_pct\'\nwarning = 1\n'
    )
    done = subprocess.run([sys.executable, "-m", "runners.cli", "rules", "--config", str(config)],
                          check=False, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (
        "Not k6 built-in metrics, so known once k6 emits them (the screen says 'no such metric yet' until "
        in (done.stdout.replace("\n", " "))
    )
    assert "checkout-p95 (checkout_time)." in done.stdout
    assert "Checks, known once the script runs them: status (status is 200)." in done.stdout
    config.write_text('[[rules]]\nname = "bad"\nmetric = "metric.checkout_time.p95x"\nwarning = 1\n')
    done = subprocess.run([sys.executable, "-m", "runners.cli", "rules", "--config", str(config)],
                          check=False, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2 and "unknown stat 'p95x'" in done.stderr

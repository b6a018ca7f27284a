"""The direct-scrape PromQL subset: parsing, errors, and evaluation against PromQL's semantics."""

from __future__ import annotations

import math

import httpx
import pytest

from collectors.gauge_presets import PRESETS, demo_specs
from collectors.scrape_ast import (
    Aggregate,
    Binary,
    ExprError,
    Matcher,
    Number,
    RangeCall,
    Selector,
    range_selectors,
    selectors,
)
from collectors.scrape_eval import CounterHistory, SampleIndex, Vector, evaluate
from collectors.scrape_expr import parse_expr

POOLS = SampleIndex(
    [
        ("pool_in_use", {"pool": "orders", "instance": "a"}, 15.0),
        ("pool_in_use", {"pool": "users", "instance": "a"}, 4.0),
        ("pool_max", {"pool": "orders", "instance": "a"}, 20.0),
        ("pool_max", {"pool": "users", "instance": "a"}, 10.0),
        ("limit", {"name": "web"}, 0.0),
        ("limit", {"name": "db"}, 100.0),
    ]
)


def run(
    text: str, index: SampleIndex = POOLS, history: CounterHistory | None = None, now: float = 0.0
) -> float | Vector:
    """Parse and evaluate."""
    return evaluate(parse_expr(text), index, history or CounterHistory(), now)


def by(label: str, value: float | Vector) -> dict[str, float]:
    """A vector keyed by one label's value."""
    assert isinstance(value, dict)
    return {dict(key).get(label, ""): v for key, v in value.items()}


def test_parse_precedence_and_structure() -> None:
    node = parse_expr('100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[1m])))')
    assert isinstance(node, Binary) and node.op == "*" and node.left == Number(100.0)
    inner = node.right
    assert isinstance(inner, Binary) and inner.op == "-"
    agg = inner.right
    assert isinstance(agg, Aggregate) and agg.op == "avg" and agg.labels == ("instance",)
    assert agg.expr == RangeCall(
        "rate", Selector("node_cpu_seconds_total", (Matcher("mode", "=", "idle"),), 60.0)
    )
    # `*` binds tighter than `-`, comparisons loosest, as in PromQL.
    assert parse_expr("a - b * c") == Binary("-", Selector("a"), Binary("*", Selector("b"), Selector("c")))
    assert parse_expr("a + b > 2") == Binary(">", Binary("+", Selector("a"), Selector("b")), Number(2.0))
    assert parse_expr("sum(x) by (pool)") == Aggregate("sum", Selector("x"), ("pool",))
    assert parse_expr("rate(x[1m30s])") == RangeCall("rate", Selector("x", (), 90.0))
    assert parse_expr("-2") == Number(-2.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty expression"),
        ("rate(up[5m]", "expected ')'"),
        ("rate(up)", "needs a range"),
        ("up[5m]", "needs rate()"),
        ("histogram_quantile(0.9, x)", "histogram_quantile() is not supported"),
        ('x{job~"a"}', "unexpected character '~'"),
        ("x{job=a}", "expected a quoted label value"),
        ('x{job=~"("}', "invalid regex"),
        ("a / on(x) group_left b", "group_left/group_right are not supported"),
        ("1 +", "unexpected 'end of expression'"),
        ("a b", "unexpected 'b'"),
    ],
)
def test_parse_errors_say_where_and_why(text: str, message: str) -> None:
    with pytest.raises(ExprError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_expr(text)


def _labels_for(sel: Selector) -> dict[str, str]:
    """Labels an exporter would give a series this selector matches (and that joins by name agree on)."""
    labels = {"instance": "i1", "name": "db", "database": "db", "pool": "p", "mode": "user", "cpu": "0"}
    for m in sel.matchers:
        if m.op == "=":
            labels[m.label] = m.value
        elif m.op == "!=":
            labels[m.label] = m.value + "x"
        elif m.op == "=~":
            labels[m.label] = m.value.split("|")[0].replace(".*", "x").replace(".+", "x")
        else:
            labels[m.label] = "no-match-of-any-pattern"
    return labels


PREFIXES = {"host": "node_", "postgres": "pg_", "pgbouncer": "pgbouncer_", "hikaricp": "hikaricp_",
            "hikaricp-simpleclient": "hikaricp_", "redis": "redis_", "cadvisor": "container_"}  # fmt: skip


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_gauge_gives_a_value_from_its_exporters_series(preset: str) -> None:
    assert PRESETS[preset], "a preset holds gauges"
    for spec in PRESETS[preset]:
        node = parse_expr(spec.scrape_expr)
        sels = selectors(node)
        assert sels and all(s.metric.startswith(PREFIXES[preset]) for s in sels), spec.scrape_expr
        history = CounterHistory()
        value: float | Vector = math.nan
        for t in (0.0, 15.0, 30.0):  # three scrapes at 15 s, a common interval (irate's 30 s holds two)
            index = SampleIndex([(s.metric, _labels_for(s), 1.0 + t) for s in sels])
            history.record(t, index, range_selectors(node))
            value = evaluate(node, index, history, t)
        values = list(value.values()) if isinstance(value, dict) else [value]
        assert values and all(math.isfinite(v) for v in values), f"{spec.name}: {spec.scrape_expr} -> {value}"


def test_every_demo_gauge_gives_a_value_from_the_demo_targets_metrics() -> None:
    from prometheus_client.parser import text_string_to_metric_families

    from runners.demo.target import DemoTarget

    with DemoTarget() as target:
        specs = demo_specs(target.url)
        history = CounterHistory()
        results: dict[str, float | Vector] = {}
        for t in (0.0, 1.0, 2.0):
            text = httpx.get(f"{target.url}/metrics", timeout=10).text
            instance = {
                "instance": target.url.split("://", 1)[1]
            }  # as the scraper labels each target's series
            index = SampleIndex([(s.name, {**s.labels, **instance}, float(s.value))
                                 for f in text_string_to_metric_families(text) for s in f.samples])  # fmt: skip
            for spec in specs:
                node = parse_expr(spec.scrape_expr)
                history.record(t, index, range_selectors(node))
                results[spec.name] = evaluate(node, index, history, t)
    assert specs
    for name, value in results.items():
        values = list(value.values()) if isinstance(value, dict) else [value]
        assert values and all(math.isfinite(v) for v in values), f"{name}: {value}"


def test_ratio_matches_series_by_labels() -> None:
    assert by("pool", run("100 * pool_in_use / pool_max")) == {"orders": 75.0, "users": 40.0}
    assert by("pool", run("sum(pool_in_use) / sum(pool_max)")) == {"": pytest.approx(19 / 30)}
    assert by("pool", run("max by (pool) (pool_in_use)")) == {"orders": 15.0, "users": 4.0}
    assert by("pool", run("count without (instance) (pool_in_use)")) == {"orders": 1.0, "users": 1.0}
    assert run("avg(pool_in_use)") == {(): 9.5}


def test_comparison_filters_and_bool() -> None:
    assert by("name", run("limit > 0")) == {"db": 100.0}
    assert by("name", run("limit > bool 0")) == {"db": 1.0, "web": 0.0}
    assert run("2 > bool 1") == 1.0
    with pytest.raises(ExprError, match="bool modifier"):
        run("2 > 1")


def test_matchers() -> None:
    assert by("pool", run('pool_in_use{pool="orders"}')) == {"orders": 15.0}
    assert by("pool", run('pool_in_use{pool!="orders"}')) == {"users": 4.0}
    assert by("pool", run('pool_in_use{pool=~"o.*"}')) == {"orders": 15.0}
    assert by("pool", run('pool_in_use{pool!~"o.*"}')) == {"users": 4.0}
    assert by("pool", run('pool_in_use{missing=""}')) == {"orders": 15.0, "users": 4.0}
    assert run('pool_in_use{pool="none"}') == {}


def test_on_ignoring_and_matching_errors() -> None:
    index = SampleIndex([("a", {"x": "1", "y": "p"}, 6.0), ("b", {"x": "1", "y": "q"}, 3.0)])
    assert run("a / b", index) == {}
    assert run("a / on (x) b", index) == {(("x", "1"),): 2.0}
    assert run("a / ignoring (y) b", index) == {(("x", "1"),): 2.0}
    many = SampleIndex(
        [("a", {"x": "1"}, 1.0), ("b", {"x": "1", "y": "p"}, 1.0), ("b", {"x": "1", "y": "q"}, 1.0)]
    )
    with pytest.raises(ExprError, match="many-to-many"):
        run("a / on (x) b", many)


def test_division_by_zero_gives_inf_and_nan_like_promql() -> None:
    index = SampleIndex([("a", {}, 1.0), ("z", {}, 0.0)])
    assert run("a / z", index) == {(): math.inf}
    result = run("z / z", index)
    assert isinstance(result, dict) and math.isnan(result[()])


def test_label_replace() -> None:
    index = SampleIndex([("size", {"name": "app"}, 20.0), ("active", {"database": "app"}, 5.0)])
    expr = '100 * sum by (database) (active) / on (database) sum by (database) (label_replace(size, "database", "$1", "name", "(.+)"))'
    assert run(expr, index) == {(("database", "app"),): 25.0}


def test_rate_irate_increase_use_counter_history_and_resets() -> None:
    history = CounterHistory()
    selectors = range_selectors(parse_expr("rate(c[10s])"))
    values = [(100.0, 0.0), (102.0, 20.0), (104.0, 40.0), (106.0, 5.0)]  # a reset at t=106
    result: float | Vector = {}
    for t, v in values:
        index = SampleIndex([("c_total", {"job": "x"}, v)])
        history.record(t, index, range_selectors(parse_expr("rate(c_total[10s])")) + selectors)
        result = run("rate(c_total[10s])", index, history, t)
    # 20 + 20 + 5 (after the reset) over 6 s
    assert by("job", result) == {"x": pytest.approx(45 / 6)}
    assert by("job", run("irate(c_total[10s])", index, history, 106.0)) == {"x": pytest.approx(2.5)}
    assert by("job", run("increase(c_total[10s])", index, history, 106.0)) == {"x": pytest.approx(75.0)}
    # Points older than the range drop out: at t=106 a 3 s range only holds t=104 and t=106.
    assert by("job", run("rate(c_total[3s])", index, history, 106.0)) == {"x": pytest.approx(2.5)}


def test_rate_needs_two_points() -> None:
    history = CounterHistory()
    index = SampleIndex([("c_total", {}, 5.0)])
    history.record(1.0, index, range_selectors(parse_expr("rate(c_total[1m])")))
    assert run("rate(c_total[1m])", index, history, 1.0) == {}


def test_counter_history_is_bounded() -> None:
    history = CounterHistory(max_series=3, max_points=4)
    selectors = range_selectors(parse_expr("rate(c[1m])"))
    for t in range(10):
        index = SampleIndex([("c", {"i": str(i)}, float(t)) for i in range(5)])
        history.record(float(t), index, selectors)
    kept = [history.window((("__name__", "c"), ("i", str(i))), -1, 100) for i in range(5)]
    assert [len(k) for k in kept] == [4, 4, 4, 0, 0]

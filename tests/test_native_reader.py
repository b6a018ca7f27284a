"""The C reader of k6's JSON stream against the Python reader, on real k6 output and on the lines it hands back.

Both readers fold into the same metric model and HTTP view; every number they hold must be the same (sums
to rounding, since the C reader adds a tag set's values in stream order and the Python fold per batch).
"""

from __future__ import annotations

import math
import os
import random
from pathlib import Path

import pytest

from runners.k6 import ingest as ingest_module
from runners.k6.aggregate import Agg
from runners.k6.ingest import NATIVE_MAX_GROUPS, K6Ingest
from runners.k6.native import scan
from runners.k6.stats import K6Stats

FIXTURES = Path(__file__).parent / "fixtures"
RECORDED = ("mixed.k6.json", "shop.k6.json", "ws.k6.json")
T0 = "2026-11-30T16:04:09"


def test_the_c_reader_is_built_where_the_tests_run() -> None:
    # scripts/setup builds it; without it every test below would compare the Python reader with itself.
    if scan.load() is None:
        assert not os.environ.get("CI"), f"the C reader is not in use under CI: {scan.load_error()}"
        pytest.skip(f"C reader not in use: {scan.load_error()}")
    assert K6Ingest().native is not None
    assert K6Ingest(native=False).native is None


def read(data: bytes, native: bool, cuts: list[int], take_every: int = 3) -> tuple[K6Ingest, K6Stats]:
    """Feed data cut at `cuts`, folding every few pieces as the engine's tick does."""
    ing = K6Ingest(native=native)
    assert (ing.native is not None) == native
    stats = K6Stats(ing.tags)
    pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    for i, piece in enumerate(pieces):
        ing.feed(piece)
        if i % take_every == take_every - 1:
            stats.absorb(ing.take())
    ing.finish()
    stats.absorb(ing.take())
    return ing, stats


def _agg(a: Agg) -> tuple[object, ...]:
    return a.kind, a.n, a.nonzero, a.zeros, a.min, a.max, a.last, sorted(a.pos.items()), sorted(a.neg.items())


def assert_same(c: K6Stats, py: K6Stats) -> None:
    """Every aggregate of the model (run and per second), the totals, the endpoints and the seconds."""
    assert c.model.run.keys() == py.model.run.keys()
    for key, agg in py.model.run.items():
        assert _agg(c.model.run[key]) == _agg(agg), key
        assert math.isclose(c.model.run[key].total, agg.total, rel_tol=1e-9, abs_tol=1e-9), key
    assert c.model.seconds.keys() == py.model.seconds.keys()
    for t, series in py.model.seconds.items():
        assert c.model.seconds[t].keys() == series.keys()
        for key, agg in series.items():
            assert _agg(c.model.seconds[t][key]) == _agg(agg), (t, key)
    a, b = c.totals(), py.totals()
    assert (a.requests, a.failed, a.iterations, a.checks_pass, a.checks_fail) == (
        b.requests, b.failed, b.iterations, b.checks_pass, b.checks_fail)  # fmt: skip
    assert (a.latency.p50, a.latency.p95, a.latency.max) == (b.latency.p50, b.latency.p95, b.latency.max)
    assert c.endpoints.keys() == py.endpoints.keys()
    for name, tally in py.endpoints.items():
        mine = c.endpoints[name]
        assert (mine.requests, mine.failed, mine.statuses, mine.error_codes) == (
            tally.requests, tally.failed, tally.statuses, tally.error_codes)  # fmt: skip
        assert (mine.hist.count, mine.hist.counts, mine.hist.min, mine.hist.max) == (
            tally.hist.count, tally.hist.counts, tally.hist.min, tally.hist.max), name  # fmt: skip
    assert c.seconds.keys() == py.seconds.keys()
    for t, s in py.seconds.items():
        mine_s = c.seconds[t]
        assert (mine_s.requests, mine_s.iterations, mine_s.checks_pass, mine_s.checks_fail, mine_s.vus) == (
            s.requests, s.iterations, s.checks_pass, s.checks_fail, s.vus), t  # fmt: skip
        assert math.isclose(mine_s.data_sent, s.data_sent) and mine_s.hist.counts == s.hist.counts, t


@pytest.fixture(autouse=True)
def _needs_the_c_reader() -> None:
    if scan.load() is None:
        pytest.skip(f"C reader not in use: {scan.load_error()}")


@pytest.mark.parametrize("name", RECORDED)
@pytest.mark.parametrize("seed", range(3))
def test_recorded_k6_output_folds_the_same_with_either_reader(name: str, seed: int) -> None:
    data = (FIXTURES / name).read_bytes()
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(data)), 60))  # lines cut anywhere, tag sets split across reads
    ing_c, c = read(data, True, cuts)
    ing_py, py = read(data, False, cuts)
    assert ing_c.lines == ing_py.lines and ing_c.parse_errors == ing_py.parse_errors == 0
    assert c.totals().requests or name == "ws.k6.json"
    assert_same(c, py)


def _line(metric: str, value: str, tags: str, second: int = 0, meta: str = "") -> bytes:
    tail = f',"metadata":{meta}' if meta else ""
    return (f'{{"metric":"{metric}","type":"Point","data":{{"time":"{T0[:-2]}{9 + second:02d}.5Z",'
            f'"value":{value},"tags":{tags}{tail}}}}}\n').encode()  # fmt: skip


def _metric(name: str, kind: str, contains: str = "default") -> bytes:
    return (f'{{"type":"Metric","data":{{"name":"{name}","type":"{kind}","contains":"{contains}",'
            f'"thresholds":[],"submetrics":null}},"metric":"{name}"}}\n').encode()  # fmt: skip


ODD = b"".join(
    [
        _metric("vus", "gauge"),
        _metric("item_time", "trend", "time"),
        _metric("ok_rate", "rate"),
        _line("vus", "3", "{}"),
        _line("item_time", "12.5", '{"name":"GET /items/{id}","scenario":"buy"}'),  # a brace: handed back
        _line("item_time", "0", '{"name":"a"}'),
        _line("item_time", "-2.25", '{"name":"a"}'),
        _line("item_time", "1", '{"name":"a"}', meta='{"trace_id":"abc"}'),
        _line("ok_rate", "1", '{"scenario":"buy"}'),
        _line("ok_rate", "0", '{"scenario":"buy"}'),
        b'{"metric":"broken","type":"Point","data":{"time":\n',  # garbled: counted, skipped
        _line("vus", "7", '{"odd":"{x}"}'),  # a Gauge's later sample, handed back: it is the value
        _line("vus", "5", "{}", second=1),
        _line("vus", "4", '{"odd":"{x}"}', second=1),  # handed back, written last: the value
        _line("unannounced", "2.5e-3", '{"k":"v\\"q"}'),  # no Metric line, an escaped quote
        _line("http_req_duration", "0.0005", '{"name":"tiny"}'),  # under the view's floor
        _line("http_reqs", "1", '{"name":"tiny"}'),
    ]
)


def test_odd_lines_are_handed_back_in_order_and_fold_the_same() -> None:
    for cut in range(0, len(ODD), 37):
        ing_c, c = read(ODD, True, [cut] if cut else [])
        ing_py, py = read(ODD, False, [cut] if cut else [])
        assert ing_c.parse_errors == ing_py.parse_errors == 1
        assert ing_c.lines == ing_py.lines
        assert_same(c, py)
    gauge = c.model.run[("vus", ())]
    assert (gauge.last, gauge.min, gauge.max) == (4.0, 3.0, 7.0), "the last line's value, whichever reader"
    trend = c.model.run[("item_time", ())]
    assert (trend.n, trend.zeros, trend.min, trend.max) == (4, 1, -2.25, 12.5)


def _distinct(n: int, metric: str = "orders") -> bytes:
    return b"".join(_line(metric, "1", '{"user":"u' + str(i) + '"}') for i in range(n))


def test_a_take_empties_the_c_state_and_counts_groups() -> None:
    ing = K6Ingest(max_pending_groups=None)
    ing.feed(_distinct(NATIVE_MAX_GROUPS))
    assert ing.pending_groups() == NATIVE_MAX_GROUPS
    batch = ing.take()
    assert sum(b.n for b in batch.native) == NATIVE_MAX_GROUPS and batch.groups() == NATIVE_MAX_GROUPS
    assert ing.pending_groups() == 0 and not ing.take()
    assert ing.native is not None and not ing.native_stopped


def test_past_its_group_bound_the_python_reader_takes_over_and_nothing_is_lost() -> None:
    data = _metric("vus", "gauge") + _distinct(3 * NATIVE_MAX_GROUPS) + _line("vus", "9", "{}")
    cuts = list(range(5000, len(data), 50_000))
    ing_c, c = read(data, True, cuts)
    ing_py, py = read(data, False, cuts)
    assert ing_c.native_stopped and ing_c.native is None
    assert ing_c.lines == ing_py.lines == 3 * NATIVE_MAX_GROUPS + 2
    assert c.model.run[("orders", ())].n == 3 * NATIVE_MAX_GROUPS
    assert c.model.run[("vus", ())].last == 9.0
    assert_same(c, py)


def test_the_python_reader_can_be_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(scan.DISABLE_ENV, "1")
    assert K6Ingest().native is None
    assert scan.load_error() == f"{scan.DISABLE_ENV}=1"


def test_at_the_backlogs_bound_with_no_take_every_line_of_every_read_is_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ingest_module, "ROOM_WAIT_S", 0.001)
    data = _distinct(600)
    ing = K6Ingest(max_pending_groups=50)
    for i in range(0, len(data), 777):  # reads cut inside lines: a joined line at the bound is read too
        ing.feed(data[i : i + 777])
    ing.finish()
    batch = ing.take()
    assert sum(b.n for b in batch.native) + sum(len(v) for v in batch.points.values()) == 600
    assert ing.room_waits > 0


def test_metrics_declared_other_than_trends_are_not_bucketed() -> None:
    # Their folds use no buckets (Agg.add keeps none for a Counter, Gauge or Rate): the C reader skips the
    # logarithm and the bucket memory for them once k6's Metric line said what they are.
    wide = b"".join(_line(m, v, "{}") for m in ("bytes_out", "queue") for v in ("3", "2.5e6", "0.001"))
    ing = K6Ingest()
    ing.feed(_metric("bytes_out", "counter") + _metric("item_time", "trend", "time") + wide)
    ing.feed(_line("item_time", "12.5", "{}"))
    by_name = {b.metric: b for b in ing.take().native}
    assert by_name[b"bytes_out"].pos == {} and by_name[b"bytes_out"].n == 3
    assert sum(by_name[b"queue"].pos.values()) == 3, "not declared: counted as a Trend would be"
    assert sum(by_name[b"item_time"].pos.values()) == 1

"""The k6 JSON ingest against output captured from the real k6 1.1.0 binary."""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from runners.k6 import ingest as ingest_module
from runners.k6.ingest import HTTP_COLUMNS, K6Ingest, RawBatch, to_floats
from runners.k6.native import scan
from runners.k6.stats import K6Stats
from runners.k6.tags import endpoint_of

FIXTURES = Path(__file__).parent / "fixtures"
RAW = (FIXTURES / "mixed.k6.json").read_bytes()
K6 = json.loads((FIXTURES / "mixed.summary.json").read_text())["metrics"]


@pytest.fixture(autouse=True, params=["c", "python"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here runs with each reader of the stream: the C one (when built) and the Python one."""
    if request.param == "python":
        monkeypatch.setenv(scan.DISABLE_ENV, "1")
    elif scan.load() is None:
        pytest.skip(f"C reader not in use: {scan.load_error()}")
    return str(request.param)


def ingest(chunks: list[bytes]) -> tuple[K6Ingest, K6Stats]:
    ing = K6Ingest()
    for c in chunks:
        ing.feed(c)
    ing.finish()
    stats = K6Stats(ing.tags)
    stats.absorb(ing.take())
    return ing, stats


def test_totals_match_k6_summary() -> None:
    ing, stats = ingest([RAW])
    t = stats.totals()
    assert ing.parse_errors == 0
    assert t.requests == K6["http_reqs"]["count"] == 150
    assert t.failed == K6["http_req_failed"]["passes"]  # "passes" of http_req_failed = failed requests
    assert t.iterations == K6["iterations"]["count"]
    assert t.data_sent == K6["data_sent"]["count"]
    assert t.data_received == K6["data_received"]["count"]
    assert t.checks_pass == K6["checks"]["passes"] and t.checks_fail == K6["checks"]["fails"]
    assert t.latency.p95 == pytest.approx(K6["http_req_duration"]["p(95)"], rel=0.01)
    assert t.latency.p90 == pytest.approx(K6["http_req_duration"]["p(90)"], rel=0.01)
    assert t.latency.p50 == pytest.approx(K6["http_req_duration"]["med"], rel=0.01)
    assert t.latency.max == pytest.approx(K6["http_req_duration"]["max"])
    assert t.latency_avg == pytest.approx(K6["http_req_duration"]["avg"])


@pytest.mark.parametrize("seed", range(5))
def test_any_chunking_gives_the_same_totals(seed: int) -> None:
    rng = random.Random(seed)
    chunks, i = [], 0
    while i < len(RAW):
        n = rng.choice([1, 7, 64, 333, 4096, 20000])
        chunks.append(RAW[i : i + n])
        i += n
    _, whole = ingest([RAW])
    ing, split = ingest(chunks)
    assert ing.parse_errors == 0
    a, b = split.totals(), whole.totals()
    assert a.latency_avg == pytest.approx(b.latency_avg)  # float sums depend on the order of addition
    assert replace(a, latency_avg=None) == replace(b, latency_avg=None)


def test_values_are_parsed_once_and_zero_one_columns_counted() -> None:
    assert to_floats([b"0", b"1", b"0"], ordered=False) == [1.0, 0.0, 0.0]
    assert to_floats([b"0", b"1", b"0"]) == [0.0, 1.0, 0.0], "a Gauge's order is kept"
    assert to_floats([b"0", b"2.5"], ordered=False) == [0.0, 2.5]
    ing = K6Ingest(native=False)  # the Python reader's columns
    ing.feed(RAW)
    batch = ing.take()
    key = next(iter(batch.http))
    durations = batch.column("http", key, HTTP_COLUMNS[0])
    assert len(durations) == len(batch.http[key])
    assert batch.column("http", key, HTTP_COLUMNS[0]) is durations, (
        "the model and the HTTP view share one parse"
    )
    stats = K6Stats(ing.tags)
    stats.absorb(batch)
    assert batch.column("http", key, HTTP_COLUMNS[0]) == durations, (
        "folding leaves the parsed values as they were"
    )


def test_garbled_and_truncated_lines_are_counted_and_skipped() -> None:
    lines = RAW.split(b"\n")
    bad = [
        b"garbage",
        lines[40][: len(lines[40]) // 2],
        b'{"metric":"http_reqs","type":"Point","data":{"time":"xx',
    ]
    mixed = b"\n".join(lines[:100] + bad + lines[100:])
    ing, stats = ingest([mixed])
    assert ing.parse_errors == 3
    assert stats.totals().requests == 150


def test_a_line_cut_inside_its_tags_does_not_swallow_the_next() -> None:
    lines = RAW.split(b"\n")
    cut = []
    for metric in (b'"metric":"http_reqs"', b'"metric":"checks"', b'"metric":"data_sent"'):
        i = next(n for n, line in enumerate(lines) if metric in line and b'"type":"Point"' in line)
        cut.append((i, lines[i][: lines[i].index(b'"tags":') + 12]))  # the tags' first characters only
    for i, line in sorted(cut, reverse=True):
        lines.insert(i, line)
    ing, stats = ingest([b"\n".join(lines)])
    _, whole = ingest([RAW])
    assert ing.parse_errors == 3
    assert stats.totals() == whole.totals()


def test_metric_lines_keep_thresholds() -> None:
    ing, _ = ingest([RAW])
    dur = ing.metrics["http_req_duration"]
    assert dur.type == "trend" and dur.contains == "time"
    assert "p(95)<500" in dur.thresholds


def test_metadata_and_missing_failed_metric_are_read() -> None:
    # Shapes from facts/k6.md: `metadata` after tags, and 8-line requests without http_req_failed.
    t = "2026-11-22T09:55:40.755739924Z"
    tags = '{"group":"","method":"GET","name":"u","proto":"HTTP/1.1","scenario":"default","status":"200","url":"u"}'
    head = f'"type":"Point","data":{{"time":"{t}","value":'
    lines = [f'{{"metric":"http_reqs",{head}1,"tags":{tags},"metadata":{{"trace_id":"abc0"}}}}}}']
    lines.append(
        f'{{"metric":"http_req_duration",{head}2.5,"tags":{tags},"metadata":{{"trace_id":"abc0"}}}}}}'
    )
    for m in ("blocked", "connecting", "tls_handshaking", "sending", "waiting", "receiving"):
        lines.append(f'{{"metric":"http_req_{m}",{head}0.1,"tags":{tags}}}}}')
    lines.append(f'{{"metric":"vus",{head}3,"tags":{{}}}}}}')
    ing, stats = ingest([("\n".join(lines * 3) + "\n").encode()])
    assert ing.parse_errors == 0
    t_ = stats.totals()
    assert t_.requests == 3 and t_.failed == 0
    assert t_.latency.p50 == pytest.approx(2.5, rel=0.005)
    assert stats.vus == 3


@pytest.mark.parametrize(
    ("tags", "endpoint"),
    [
        ({"method": "GET", "name": "home", "url": "home"}, "home"),
        (
            {"method": "GET", "name": "http://h:1/users/17?q=2", "url": "http://h:1/users/17?q=2"},
            "GET h:1/users/{id}",
        ),
        (
            {"method": "POST", "url": "https://h/o/0b5e2c1e-1c2d-4e5f-8a9b-0c1d2e3f4a5b/x"},
            "POST h/o/{uuid}/x",
        ),
        ({"method": "GET", "url": "http://h/blob/0123456789abcdef0123"}, "GET h/blob/{hex}"),
    ],
)
def test_endpoint_names_fold_variable_segments(tags: dict[str, str], endpoint: str) -> None:
    assert endpoint_of(tags) == endpoint


def test_endpoints_match_k6_named_submetric_counts() -> None:
    _, stats = ingest([RAW])
    assert stats.endpoints["home"].requests == K6["http_reqs{name:home}"]["count"]
    assert sum(t.requests for t in stats.endpoints.values()) == K6["http_reqs"]["count"]


def test_a_name_tag_with_braces_keeps_its_endpoints_latencies() -> None:
    # k6's own advice for URL grouping is a name tag such as "GET /items/{id}": braces inside a tag value.
    raw = RAW.replace(b'"name":"home"', b'"name":"GET /items/{id}"')
    _, stats = ingest([raw])
    row = stats.endpoints["GET /items/{id}"]
    assert row.requests == K6["http_reqs{name:home}"]["count"]
    assert row.hist.count == row.requests, "every request's duration is under its endpoint"
    assert (
        sum(t.hist.count for t in stats.endpoints.values()) == K6["http_reqs"]["count"]
    )  # one duration each


def _distinct_points(n: int) -> bytes:
    """n samples of a custom counter, each with a tag set of its own (a user id per request)."""
    return b"".join(
        b'{"metric":"orders","type":"Point","data":{"time":"2026-11-30T16:04:09.5Z","value":1,'
        b'"tags":{"user":"u%d"}}}\n' % i
        for i in range(n)
    )


def _points_in(batch: RawBatch) -> int:
    return sum(len(v) for v in batch.points.values()) + sum(b.n for b in batch.native)


def test_a_backlog_of_distinct_tag_sets_waits_for_the_engine_and_loses_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ingest_module, "ROOM_WAIT_S", 0.05)
    waits: list[int] = []
    ing = K6Ingest(max_pending_groups=500, on_wait=lambda: waits.append(1))
    data = _distinct_points(3000)
    biggest, taken = 0, 0
    reader = threading.Thread(target=ing.feed, args=(data,))
    reader.start()
    while reader.is_alive():
        batch = ing.take()
        biggest = max(biggest, batch.groups())
        taken += _points_in(batch)
        time.sleep(0.01)
    reader.join()
    taken += _points_in(ing.take())
    assert taken == 3000, "every sample is read, waiting or not"
    assert ing.room_waits > 0 and len(waits) == ing.room_waits, "past the bound the reader waited"
    # A slice of the stream (64 or 256 kB, some hundreds of these lines) may land after the wait.
    assert biggest <= 500 + ing.slice_bytes // 100
    # With no engine taking, the reader still goes on (a bounded wait per slice).
    alone = K6Ingest(max_pending_groups=500)
    alone.feed(data)
    assert _points_in(alone.take()) == 3000

"""Closing seconds into the series, the sliding window, and gaps."""

from __future__ import annotations

from runners.k6.ingest import SecondBucket
from runners.k6.metric_model import MetricModel
from runners.k6.stats import K6Stats
from runners.k6.tags import TagCache

OK = b'{"expected_response":"true","method":"GET","name":"x","status":"200","url":"x"}'
BAD = b'{"expected_response":"false","method":"GET","name":"x","status":"503","url":"x"}'


def bucket(t: int, ok: int, bad: int, ms: float) -> SecondBucket:
    b = SecondBucket(t)
    b.paired[OK] = [ms] * ok
    if bad:
        b.paired[BAD] = [ms * 10] * bad
    b.iterations = ok + bad
    return b


def test_series_fills_gaps_and_waits_for_close_delay() -> None:
    s = K6Stats(TagCache(), window_s=5)
    s.absorb({100: bucket(100, 10, 0, 1.0), 103: bucket(103, 5, 5, 2.0)})
    assert s.close_until(101.2) == []  # second 100 ends at 101; closes 0.5 s later
    pts = s.close_until(104.6)
    assert [p.t for p in pts] == [100, 101, 102, 103]
    assert [p.requests for p in pts] == [10, 0, 0, 10]
    assert pts[3].failed == 5 and pts[3].error_rate == 0.5
    assert pts[1].latency.p95 is None and pts[1].window.p95 is not None


def test_held_seconds_stay_open_for_late_samples() -> None:
    s = K6Stats(TagCache(), window_s=5)
    s.absorb({100: bucket(100, 10, 0, 1.0), 101: bucket(101, 3, 0, 1.0)})
    assert [p.t for p in s.close_until(105.0, hold_from=101)] == [100]
    s.absorb({101: bucket(101, 4, 0, 1.0)})  # the late rest of second 101
    assert [(p.t, p.requests) for p in s.close_until(105.0)] == [(101, 7), (102, 0), (103, 0)]


def test_live_window_rates_and_partial_second() -> None:
    s = K6Stats(TagCache(), window_s=3)
    s.absorb({t: bucket(t, 100, 0, 1.0) for t in range(200, 210)})
    s.absorb({210: bucket(210, 0, 50, 3.0)})  # the current, partial second
    live = s.live(210.3)
    assert live.rps == 100.0  # complete seconds only
    assert live.error_rate == 50 / 250  # seconds 208, 209 and the partial 210
    assert live.latency.p99 is not None and live.latency.p99 > 20


def test_late_samples_still_count_in_totals() -> None:
    s = K6Stats(TagCache(), window_s=3)
    s.absorb({300: bucket(300, 10, 0, 1.0)})
    s.close_until(310)
    s.absorb({300: bucket(300, 1, 0, 1.0)})
    assert s.totals().requests == 11


def test_a_samples_second_is_read_as_utc_and_bad_ones_are_left_out() -> None:
    model = MetricModel()
    assert model.second_of(b"2026-11-30T16:04:09") == 1796054649
    assert model.second_of(b"2024-02-29T23:59:59") == 1709251199
    for bad in (
        b"2026-11-30 16:04:09",
        b"2026-13-30T16:04:09",
        b"2026-11-30T16:04",
        b"\xff" * 19,
        b"garbage",
    ):
        assert model.second_of(bad) is None, bad

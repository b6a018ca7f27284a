"""The metric model's aggregate: remembered percentiles follow every change; a push's buckets fold exactly."""

from __future__ import annotations

import pytest

from runners.k6.aggregate import Agg
from runners.k6.metric_info import TREND


def test_percentiles_follow_every_change_after_being_read() -> None:
    agg = Agg(TREND)
    agg.add([1.0, 2.0, 3.0])
    assert agg.stats()["med"] == pytest.approx(2.0, rel=0.01)
    agg.add([100.0] * 10)  # read once, then changed: the next read is of the new samples
    assert agg.stats()["med"] == pytest.approx(100.0, rel=0.01)
    other = Agg(TREND)
    other.add([1000.0] * 30)
    agg.merge(other)
    assert agg.percentiles((0.5,)) == [pytest.approx(1000.0, rel=0.01)]
    agg.add_buckets([(5000.0, 100)], zero=0, total=500_000.0)
    assert agg.stats()["med"] == pytest.approx(5000.0, rel=0.01)


def test_buckets_keep_count_sum_and_extremes() -> None:
    agg = Agg(TREND)
    agg.add_buckets([(10.0, 3), (20.0, 1)], zero=2, total=50.5, lo=0.0, hi=21.0)
    stats = agg.stats()
    assert stats["count"] == 6 and stats["avg"] == pytest.approx(50.5 / 6)
    assert stats["min"] == 0.0 and stats["max"] == 21.0
    assert stats["med"] == pytest.approx(10.0, rel=0.01)  # ranks 2 and 3 of 0, 0, 10, 10, 10, 20


def test_a_wide_buckets_count_is_spread_so_percentiles_fall_by_rank() -> None:
    """k6's remote write buckets are 9 % wide (schema 3): 1,000 samples spread evenly (in log space) over
    one of them have their p(95) near its top, not at its middle (4.3 % off when taken as the middle)."""
    base = 2 ** (1 / 8)
    low, middle = 10.0, 10.0 * base**0.5
    samples = [low * base ** ((k + 0.5) / 1000) for k in range(1000)]
    pushed = Agg(TREND)
    pushed.add_buckets([(middle, 1000)], zero=0, total=sum(samples), spread=base**0.5)
    exact = Agg(TREND)
    exact.add(samples)
    assert pushed.n == 1000 and sum(pushed.pos.values()) == 1000  # every observation kept, none twice
    for q in (0.05, 0.5, 0.95, 0.99):
        assert pushed.percentiles((q,))[0] == pytest.approx(exact.percentiles((q,))[0], rel=0.005)
    # Known extremes narrow the spread: nothing is put above the pushed maximum.
    clipped = Agg(TREND)
    clipped.add_buckets([(middle, 1000)], zero=0, total=sum(samples), hi=10.2, spread=base**0.5)
    assert clipped.percentiles((0.99,))[0] == pytest.approx(10.2, rel=0.011)
    assert sum(clipped.pos.values()) == 1000

"""The log histogram's percentiles against exact ones computed the way k6 does."""

from __future__ import annotations

import math
import random

import pytest

from runners.k6.histogram import RELATIVE_ERROR, Histogram


def exact(values: list[float], q: float) -> float:
    s = sorted(values)
    rank = q * (len(s) - 1)
    lo = math.floor(rank)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (rank - lo)


@pytest.mark.parametrize("n", [2, 10, 1000, 50_000])
def test_percentiles_within_bound(n: int) -> None:
    rng = random.Random(n)
    values = [rng.lognormvariate(1.0, 1.2) for _ in range(n)]
    h = Histogram()
    h.add_many(values)
    for q, got in zip((0.5, 0.9, 0.95, 0.99), h.percentiles((0.5, 0.9, 0.95, 0.99)), strict=True):
        assert got is not None
        assert got == pytest.approx(exact(values, q), rel=RELATIVE_ERROR + 1e-9)


def test_empty_and_zero_values() -> None:
    h = Histogram()
    assert h.percentiles((0.5,)) == [None]
    h.add_many([0.0, 0.0, 0.0, 5.0])
    p50, p99 = h.percentiles((0.5, 0.99))
    assert p50 == 0.0
    assert p99 is not None and 0.0 < p99 <= 5.0
    assert h.mean == pytest.approx(1.25)


def test_merge_equals_adding_everything() -> None:
    rng = random.Random(7)
    a_vals = [rng.expovariate(0.1) for _ in range(500)]
    b_vals = [rng.expovariate(0.01) for _ in range(500)]
    a, b, both = Histogram(), Histogram(), Histogram()
    a.add_many(a_vals)
    b.add_many(b_vals)
    both.add_many(a_vals + b_vals)
    a.merge(b)
    assert a.counts == both.counts and a.count == both.count
    assert a.percentiles((0.95,)) == both.percentiles((0.95,))

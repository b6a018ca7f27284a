"""Unit tests of the demo target's pool, latency model and cache (no sockets)."""

from __future__ import annotations

import asyncio
import random

import pytest

from runners.demo.pool import COSTS, MAX_FLIGHT_EFFECT, Cache, DbPool, PoolTimeoutError, query_seconds


def test_pool_counts_hands_over_in_order_and_times_out() -> None:
    async def scenario() -> None:
        pool = DbPool(size=2, timeout_s=0.2)
        await pool.acquire()
        await pool.acquire()
        assert (pool.in_use, pool.waiting) == (2, 0)
        order: list[str] = []

        async def wait(name: str) -> None:
            await pool.acquire()
            order.append(name)

        first = asyncio.create_task(wait("first"))
        second = asyncio.create_task(wait("second"))
        await asyncio.sleep(0.01)
        assert (pool.in_use, pool.waiting) == (2, 2)
        pool.release()
        pool.release()
        await asyncio.wait_for(asyncio.gather(first, second), 1.0)
        assert order == ["first", "second"]
        assert (pool.in_use, pool.waiting) == (2, 0)
        with pytest.raises(PoolTimeoutError):
            await pool.acquire()
        assert (pool.in_use, pool.waiting) == (2, 0)
        pool.release()
        pool.release()
        assert pool.in_use == 0

    asyncio.run(scenario())


def test_pool_survives_cancelled_waiters() -> None:
    async def scenario() -> None:
        pool = DbPool(size=1, timeout_s=5.0)
        await pool.acquire()
        waiters = [asyncio.create_task(pool.acquire()) for _ in range(5)]
        await asyncio.sleep(0.01)
        for task in waiters[:4]:
            task.cancel()
        await asyncio.gather(*waiters[:4], return_exceptions=True)
        assert pool.waiting == 1
        pool.release()
        await asyncio.wait_for(waiters[4], 1.0)
        assert (pool.in_use, pool.waiting) == (1, 0)

    asyncio.run(scenario())


def test_pool_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="pool size"):
        DbPool(size=0, timeout_s=1.0)
    with pytest.raises(ValueError, match="pool size"):
        DbPool(size=1, timeout_s=0.0)


def test_latency_grows_with_load_and_is_capped() -> None:
    rng = random.Random(7)
    cost = COSTS["search"]
    for in_flight in (1, 10, 50):
        samples = [query_seconds(cost, in_flight, rng) for _ in range(200)]
        nominal = cost.base_s + cost.per_flight_s * in_flight
        assert min(samples) >= nominal * 0.9
        assert max(samples) <= nominal * 1.25
    low = query_seconds(cost, 1, random.Random(1))
    high = query_seconds(cost, 50, random.Random(1))  # same jitter draw
    assert high > 5 * low
    capped = query_seconds(cost, MAX_FLIGHT_EFFECT * 10, random.Random(1))
    assert capped == query_seconds(cost, MAX_FLIGHT_EFFECT, random.Random(1))


def test_cache_hit_ratio_falls_under_load() -> None:
    rng = random.Random(3)
    cache = Cache(window=400)
    assert cache.hit_ratio == 1.0
    for _ in range(400):
        cache.lookup(in_flight=1, rng=rng)
    idle = cache.hit_ratio
    for _ in range(400):
        cache.lookup(in_flight=60, rng=rng)
    busy = cache.hit_ratio
    assert idle > 0.75
    assert busy < 0.35

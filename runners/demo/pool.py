"""The demo target's simulated database: a measurable connection pool, a latency model and a cache."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import deque
from dataclasses import dataclass


class PoolTimeoutError(Exception):
    """No pool connection became free within the pool timeout."""


class DbPool:
    """A fixed-size connection pool with FIFO waiters, a timeout and counters a scrape can read.

    It lives on one event loop; only the read-only properties may be read from other threads.
    """

    def __init__(self, size: int, timeout_s: float) -> None:
        """Create the pool.

        Args:
            size: Number of connections (at least 1).
            timeout_s: How long a request waits for a free connection before giving up.
        """
        if size < 1 or timeout_s <= 0:
            raise ValueError("pool size must be >= 1 and pool timeout > 0")
        self.size = size
        self.timeout_s = timeout_s
        self._in_use = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def in_use(self) -> int:
        """Connections held right now."""
        return self._in_use

    @property
    def waiting(self) -> int:
        """Requests queued for a connection right now."""
        return len(self._waiters)

    async def acquire(self) -> None:
        """Take a connection, waiting at most `timeout_s`.

        Raises:
            PoolTimeoutError: No connection was free in time.
        """
        if self._in_use < self.size and not self._waiters:
            self._in_use += 1
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            async with asyncio.timeout(self.timeout_s):
                await fut
        except BaseException as exc:
            if fut.done() and not fut.cancelled():
                # The slot was handed over just as the timeout or cancel hit: pass it on.
                self.release()
            else:
                fut.cancel()
                with contextlib.suppress(ValueError):  # release() may have popped it already
                    self._waiters.remove(fut)
            if isinstance(exc, TimeoutError):
                raise PoolTimeoutError from None
            raise

    def release(self) -> None:
        """Give a connection back, handing it straight to the oldest live waiter if any."""
        while self._waiters:  # bounded: every pass pops one waiter
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                return
        self._in_use -= 1


@dataclass(frozen=True)
class Cost:
    """Simulated time of one query: `base_s` plus `per_flight_s` for every request in flight."""

    base_s: float
    per_flight_s: float


# Tuned with k6 and demo_ramp.js on a 2-core box so that 80 VUs exhaust a 20-connection pool.
COSTS: dict[str, Cost] = {
    "products": Cost(0.006, 0.0006),
    "product": Cost(0.005, 0.0005),
    "cache": Cost(0.0008, 0.00002),
    "search": Cost(0.045, 0.0050),
    "orders": Cost(0.020, 0.0020),
}

MAX_FLIGHT_EFFECT = 400  # past this many requests in flight the model stops growing


def query_seconds(cost: Cost, in_flight: int, rng: random.Random) -> float:
    """Time one simulated query takes under the current load.

    Args:
        cost: The endpoint's cost.
        in_flight: Requests in flight on the server, this one included.
        rng: Source of the jitter (between -10% and +25%).

    Returns:
        Seconds to hold the connection.
    """
    load = min(max(in_flight, 0), MAX_FLIGHT_EFFECT)
    return (cost.base_s + cost.per_flight_s * load) * rng.uniform(0.9, 1.25)


class Cache:
    """A product cache whose hit rate falls as load grows (entries are evicted under pressure)."""

    def __init__(self, window: int = 500) -> None:
        """Create the cache.

        Args:
            window: How many recent lookups the hit ratio is computed over.
        """
        self._recent: deque[bool] = deque(maxlen=window)
        self._hits = 0

    @property
    def hit_ratio(self) -> float:
        """Hits over the recent lookups (1.0 before the first lookup)."""
        return self._hits / len(self._recent) if self._recent else 1.0

    def lookup(self, in_flight: int, rng: random.Random) -> bool:
        """Decide whether one lookup hits, and record it.

        Args:
            in_flight: Requests in flight on the server.
            rng: Source of randomness.

        Returns:
            True on a hit.
        """
        hit = rng.random() < max(0.15, 0.9 - 0.012 * in_flight)
        if len(self._recent) == self._recent.maxlen and self._recent[0]:
            self._hits -= 1
        self._recent.append(hit)
        self._hits += hit
        return hit

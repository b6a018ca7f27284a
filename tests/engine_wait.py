"""Waiting on a real engine for a state instead of sleeping a fixed time."""

from __future__ import annotations

import time

from runners.engine.live import RunEngine


def wait_for_requests(engine: RunEngine, timeout_s: float = 30.0) -> None:
    """Wait until k6's first requests have been counted (fails after `timeout_s`)."""
    deadline = time.monotonic() + timeout_s
    while engine.stats.requests == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert engine.stats.requests > 0, f"k6 sent no request within {timeout_s} s"

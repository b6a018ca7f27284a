"""Shared fixtures: the real k6 binary, nginx and the demo target, each on 127.0.0.1; every engine a test
starts is stopped (and its k6 killed, by PID) when the test ends, whether it passed or not."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from benchmarks.local_nginx import local_nginx, nginx_binary
from runners.engine.live import RunEngine
from runners.k6.binary import K6NotFoundError, find_k6
from tests.components import missing

os.environ["K6_NO_USAGE_REPORT"] = "true"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def k6_bin() -> str:
    """The real k6 binary."""
    try:
        return find_k6()
    except K6NotFoundError as exc:
        missing("k6", str(exc))
        raise


@pytest.fixture(scope="session")
def nginx_url() -> Iterator[str]:
    """A local nginx (one worker) answering 200 on every path but /missing (404)."""
    if nginx_binary() is None:
        missing("nginx", "not installed (scripts/setup installs nginx-light)")
    with local_nginx() as url:
        yield url


@pytest.fixture(autouse=True)
def _stop_started_engines(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every RunEngine started during the test is stopped at its end: k6 must not outlive a failed test."""
    started: list[tuple[RunEngine, psutil.Process | None]] = []
    start = RunEngine.start

    def tracked(self: RunEngine) -> None:
        start(self)
        k6 = None
        with contextlib.suppress(psutil.Error, TypeError):  # held now: a later PID reuse is recognised
            k6 = psutil.Process(self.k6.pid)
        started.append((self, k6))

    monkeypatch.setattr(RunEngine, "start", tracked)
    yield
    for engine, k6 in started:
        if engine.state.is_active:
            engine.request_stop(hard=True, reason="test teardown")
        engine.wait(30)
        if k6 is not None:
            with contextlib.suppress(psutil.Error):
                if k6.is_running() and k6.status() != psutil.STATUS_ZOMBIE:
                    k6.kill()

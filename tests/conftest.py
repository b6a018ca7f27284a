"""Shared fixtures: the real k6 binary, nginx and the demo target, each on 127.0.0.1."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.local_nginx import local_nginx, nginx_binary
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

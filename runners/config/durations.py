"""Durations in the config: `"500ms"`, `"30s"`, `"2m"`, `"1m30s"`, `"1h"` or a number of seconds."""

from __future__ import annotations

import math
import re

from runners.config.loader import ConfigContext

MAX_FOR_S = 86_400.0
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_DURATION = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h))+")
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: object, ctx: ConfigContext, key: str, maximum: float = MAX_FOR_S) -> float:
    """Seconds from `"500ms"`, `"30s"`, `"2m"`, `"1m30s"`, `"1h"` or a number of seconds.

    Args:
        value: The raw TOML value.
        ctx: Where it comes from, for errors.
        key: Its key in `ctx`.
        maximum: The largest duration allowed, in seconds.

    Returns:
        The duration in seconds.

    Raises:
        ConfigError: not a duration, negative, or above the maximum.
    """
    seconds: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        if _NUMBER.fullmatch(text):
            seconds = float(text)
        elif _DURATION.fullmatch(text):
            seconds = sum(float(n) * _UNIT_S[u] for n, u in _PART.findall(text))
    if seconds is None:
        raise ctx.error(key, f'expected a duration like "30s", "2m", "1m30s" or seconds, got {value!r}')
    if not math.isfinite(seconds) or seconds < 0 or seconds > maximum:
        raise ctx.error(key, f"must be between 0 and {maximum:g} seconds, got {value!r}")
    return seconds

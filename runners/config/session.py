"""The `[session]` table: what a lost terminal does to a run that a screen is attached to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from runners.config.loader import ConfigError, RawConfig

HangupPolicy = Literal["stop", "detach"]
HANGUP_POLICIES: tuple[HangupPolicy, ...] = ("stop", "detach")


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """Settings of the engine/viewer session."""

    on_hangup: HangupPolicy = "stop"
    """On SIGHUP or a terminal gone with no signal, while the run is attached: "stop" ends the run
    gracefully and records it (the default: nobody is left watching a load that may hurt the target);
    "detach" leaves it running in the background for `loadwatch attach`. A run started with `--detach`, or
    left with `d`, is never stopped by a lost terminal."""


def parse_session(raw: RawConfig) -> SessionConfig:
    """Read `[session]`.

    Args:
        raw: The parsed file.

    Returns:
        The settings (defaults where absent).

    Raises:
        ConfigError: naming the key and the problem.
    """
    table, ctx = raw.section("session")
    if not isinstance(table, dict):
        raise ConfigError(raw.path, "session", "expected a table")
    ctx.reject_unknown(table, {"on_hangup"})
    value = ctx.get(table, "on_hangup", str, "stop")
    if value not in HANGUP_POLICIES:
        raise ctx.error("on_hangup", f"expected one of {', '.join(HANGUP_POLICIES)}, got {value!r}")
    return SessionConfig(on_hangup=value)

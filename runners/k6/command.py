"""Builds k6's argument list and environment, and redacts secrets from what gets recorded."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path

from runners.model.redact import REDACTED, strip_userinfo

# Flags loadwatch sets itself; a user value would take k6 out of loadwatch's control.
_RESERVED = {"--address": "loadwatch runs k6's REST API on a free 127.0.0.1 port itself", "-a": ""}
_RESERVED["-a"] = _RESERVED["--address"]


class K6ArgumentError(ValueError):
    """The k6 arguments cannot be used as given."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def check_user_args(args: Sequence[str]) -> None:
    """Refuse k6 flags that loadwatch must own.

    Raises:
        K6ArgumentError: naming the flag and why.
    """
    for a in args:
        flag = a.split("=", 1)[0]
        if flag in _RESERVED:
            raise K6ArgumentError(f"k6 flag {flag} cannot be passed: {_RESERVED[flag]}")


def build_argv(
    binary: str, script: Path, user_args: Sequence[str], api_port: int, json_target: str, summary_export: Path
) -> list[str]:
    """The full `k6 run` argument list: loadwatch's flags, then the user's, then the script."""
    return [
        binary,
        "run",
        "--address",
        f"127.0.0.1:{api_port}",
        "--out",
        f"json={json_target}",
        "--summary-export",
        str(summary_export),
        *user_args,
        str(script),
    ]


def k6_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """k6's environment: the caller's, with usage reports off and any dashboard bound to 127.0.0.1."""
    env = dict(os.environ if base is None else base)
    env["K6_NO_USAGE_REPORT"] = "true"
    env.setdefault("K6_WEB_DASHBOARD_HOST", "127.0.0.1")
    env.pop("K6_ADDRESS", None)
    return env


def redact_args(args: Sequence[str]) -> list[str]:
    """Arguments safe to record: every `-e NAME=VALUE` value and secret-looking flag values are masked."""
    out: list[str] = []
    mask_next = False
    for a in args:
        if mask_next:
            out.append(_mask_env(a))
            mask_next = False
        elif a in ("-e", "--env"):
            out.append(a)
            mask_next = True
        elif a.startswith(("-e=", "--env=")):
            flag, value = a.split("=", 1)
            out.append(f"{flag}={_mask_env(value)}")
        elif a.startswith("-e") and "=" in a and not a.startswith("--"):
            out.append("-e" + _mask_env(a[2:]))
        else:
            out.append(strip_userinfo(a))
    return out


def _mask_env(pair: str) -> str:
    name, sep, _value = pair.partition("=")
    return f"{name}={REDACTED}" if sep else pair

"""Builds k6's argument list and environment, and redacts secrets from what gets recorded."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path

REDACTED = "***"
_SECRET_NAME = re.compile(
    r"(TOKEN|SECRET|PASS(WORD|WD)?|API[_-]?KEY|(^|_)KEY($|_)|AUTH|CREDENTIAL|PRIVATE)", re.I
)
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
    """The full `k6 run` argument list: loadwatch's flags, then the user's, then the script.

    k6 keeps one `--summary-export`: a user's own replaces loadwatch's (the engine then reads the user's).
    """
    export = [] if flag_value(user_args, "--summary-export") else ["--summary-export", str(summary_export)]
    return [
        binary,
        "run",
        "--address",
        f"127.0.0.1:{api_port}",
        "--out",
        f"json={json_target}",
        *export,
        *user_args,
        str(script),
    ]


def flag_value(args: Sequence[str], flag: str) -> str | None:
    """The last value given to a `--flag VALUE` / `--flag=VALUE` option, None when absent."""
    found: str | None = None
    it = iter(args)
    for a in it:
        if a == flag:
            found = next(it, None)
        elif a.startswith(flag + "="):
            found = a.split("=", 1)[1]
    return found


def summary_disabled(args: Sequence[str], env: Mapping[str, str]) -> bool:
    """True when the user turned k6's end-of-test summary (and so its summary export) off."""
    if any(a in {"--no-summary", "--no-summary=true"} for a in args):
        return True
    return env.get("K6_NO_SUMMARY", "").lower() in ("true", "1")


def k6_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """k6's environment: the caller's, with usage reports off and any dashboard bound to 127.0.0.1."""
    env = dict(os.environ if base is None else base)
    env["K6_NO_USAGE_REPORT"] = "true"
    env.setdefault("K6_WEB_DASHBOARD_HOST", "127.0.0.1")
    env.pop("K6_ADDRESS", None)
    return env


def looks_secret(name: str) -> bool:
    """True when a variable name looks like it holds a token, password or key."""
    return bool(_SECRET_NAME.search(name))


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
            out.append(a)
    return out


def _mask_env(pair: str) -> str:
    name, sep, _value = pair.partition("=")
    return f"{name}={REDACTED}" if sep else pair


def redact_text(text: str, secrets: Sequence[str]) -> str:
    """Replace every known secret value in a line of output."""
    for s in secrets:
        if len(s) >= 4:
            text = text.replace(s, REDACTED)
    return text


def secret_values(args: Sequence[str], env: Mapping[str, str]) -> list[str]:
    """Values that must never reach a record: `-e` values and secret-looking environment variables."""
    values: list[str] = []
    it = iter(args)
    for a in it:
        pair = ""
        if a in ("-e", "--env"):
            pair = next(it, "")
        elif a.startswith(("-e=", "--env=")):
            pair = a.split("=", 1)[1]
        elif a.startswith("-e") and not a.startswith("--"):
            pair = a[2:]
        if "=" in pair:
            values.append(pair.split("=", 1)[1])
    values += [v for k, v in env.items() if looks_secret(k) and v]
    return values

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


TRANSPORTS = ("json", "rw", "otlp")
_OUTPUTS = {"json": "", "rw": "experimental-prometheus-rw", "otlp": "experimental-opentelemetry"}
PUSH_INTERVAL_S = 1.0  # remote write's push and OTLP's export period: freshness on screen vs k6's cost
PUSH_INTERVAL = f"{PUSH_INTERVAL_S:g}s"


def build_argv(
    binary: str,
    script: Path,
    user_args: Sequence[str],
    api_port: int,
    json_target: str,
    summary_export: Path,
    transport: str = "json",
) -> list[str]:
    """The full `k6 run` argument list: loadwatch's flags, then the user's, then the script.

    k6 keeps one `--summary-export`: a user's own replaces loadwatch's (the engine then reads the user's).

    Args:
        transport: how k6 hands its samples over: "json" (every sample on a pipe), "rw" (Prometheus remote
            write to loadwatch's receiver) or "otlp" (OpenTelemetry over HTTP to loadwatch's receiver);
            the receiver's address goes in the environment (see `transport_env`).
    """
    out = f"json={json_target}" if transport == "json" else _OUTPUTS[transport]
    export = [] if flag_value(user_args, "--summary-export") else ["--summary-export", str(summary_export)]
    return [
        binary,
        "run",
        "--address",
        f"127.0.0.1:{api_port}",
        "--out",
        out,
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


def transport_env(transport: str, push_port: int) -> dict[str, str]:
    """The environment k6's push output needs to reach loadwatch's receiver on 127.0.0.1."""
    if transport == "rw":
        return {
            "K6_PROMETHEUS_RW_SERVER_URL": f"http://127.0.0.1:{push_port}/api/v1/write",
            "K6_PROMETHEUS_RW_PUSH_INTERVAL": PUSH_INTERVAL,
            "K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM": "true",
            "K6_PROMETHEUS_RW_STALE_MARKERS": "false",
        }
    if transport == "otlp":
        return {
            "K6_OTEL_EXPORTER_TYPE": "http",
            "K6_OTEL_HTTP_EXPORTER_ENDPOINT": f"127.0.0.1:{push_port}",
            "K6_OTEL_HTTP_EXPORTER_INSECURE": "true",
            "K6_OTEL_HTTP_EXPORTER_URL_PATH": "/v1/metrics",
            "K6_OTEL_METRIC_PREFIX": "",
            "K6_OTEL_FLUSH_INTERVAL": "100ms",  # k6 drops what it buffered since the last flush at the end
            "K6_OTEL_EXPORT_INTERVAL": PUSH_INTERVAL,
            "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "delta",
            "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION": "base2_exponential_bucket_histogram",
        }
    return {}


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

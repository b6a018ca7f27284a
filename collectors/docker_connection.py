"""Connecting to the Docker daemon with timeouts, naming why it failed, and decoding its container events."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import docker
import requests
import urllib3

from collectors.docker_model import ContainerEvent, SourceState

REQUEST_TIMEOUT_S = 5.0
"""Read timeout of every request (stats frames come every second, so streams stay well inside it)."""
DOCKER_ERRORS: tuple[type[BaseException], ...] = (
    docker.errors.DockerException,
    requests.exceptions.RequestException,
    urllib3.exceptions.HTTPError,  # a stats stream cut by a daemon shutdown raises an unwrapped ProtocolError
    OSError,
)
"""What a call to the daemon may raise when the daemon or the socket goes away."""


def socket_path(host: str) -> str | None:
    """The socket path of a `unix://` host, else None."""
    return host.removeprefix("unix://") if host.startswith("unix://") else None


def connect(host: str, max_pool_size: int) -> docker.DockerClient:
    """Open a client, detecting the API version with a timeout (this daemon speaks 1.41; newer ones more).

    Args:
        host: The daemon address (`unix:///var/run/docker.sock`, `tcp://127.0.0.1:2375`).
        max_pool_size: Connections kept per pool: one per stats stream, plus the lister and events.

    Returns:
        A connected client.

    Raises:
        FileNotFoundError: the unix socket does not exist.
        docker.errors.DockerException: the daemon did not answer `/version`.
    """
    path = socket_path(host)
    if path is not None and not os.path.exists(path):
        raise FileNotFoundError(2, "No such file or directory", path)
    return docker.DockerClient(
        base_url=host, version="auto", timeout=REQUEST_TIMEOUT_S, max_pool_size=max_pool_size
    )


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception, its causes and contexts, and exceptions carried in args (requests nests urllib3 errors)."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo and len(seen) < 32:
        item = todo.pop()
        if any(item is s for s in seen):
            continue
        seen.append(item)
        todo.extend(a for a in item.args if isinstance(a, BaseException))
        reason = getattr(item, "reason", None)
        if isinstance(reason, BaseException):
            todo.append(reason)
        todo.extend(e for e in (item.__cause__, item.__context__) if e is not None)
    return seen


def classify(exc: BaseException, host: str, was_connected: bool) -> tuple[SourceState, str]:
    """Name a failure to reach the daemon as a source state with a detail a user can act on.

    Args:
        exc: What the connection or a call raised.
        host: The daemon address.
        was_connected: Whether this collector reached the daemon before (a socket that vanished then means
            the daemon stopped, not that it was never there).

    Returns:
        `(state, detail)`.
    """
    chain = _causes(exc)
    text = " ".join(str(e) for e in chain)
    path = socket_path(host) or host
    if any(isinstance(e, PermissionError) for e in chain) or "Permission denied" in text:
        return (
            "permission_denied",
            f"permission denied on {path}: run loadwatch as a member of the docker group",
        )
    if any(isinstance(e, FileNotFoundError) for e in chain) or "No such file" in text:
        if was_connected:
            return "daemon_down", f"stopped: {path} is gone; retrying"
        return (
            "socket_missing",
            f"no Docker socket at {path}: is dockerd running? (set DOCKER_HOST or [docker] host)",
        )
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "Connection refused" in text:
        return "daemon_down", f"nothing answers on {path} (dockerd stopped?); retrying"
    first = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
    return "daemon_down", f"unreachable: {first}; retrying"


def decode_event(raw: Mapping[str, Any]) -> ContainerEvent | None:
    """A container event from one decoded `/events` message (None for other types or malformed ones).

    Args:
        raw: The message, for example `{"Type": "container", "Action": "die", "Actor": {...}, "timeNano": ...}`.

    Returns:
        The event, with `health_status: healthy` split into action and detail and `exitCode` as an int.
    """
    if raw.get("Type", "container") != "container":
        return None
    actor = raw.get("Actor") or {}
    attributes = actor.get("Attributes") or {}
    cid = actor.get("ID") or raw.get("id")
    action_text = raw.get("Action") or raw.get("status")
    if not cid or not action_text:
        return None
    action, _, detail = str(action_text).partition(":")
    exit_code: int | None = None
    if "exitCode" in attributes:
        try:
            exit_code = int(attributes["exitCode"])
        except (TypeError, ValueError):
            exit_code = None
    nanos = raw.get("timeNano")
    t = nanos / 1e9 if isinstance(nanos, int) else float(raw.get("time") or 0)
    return ContainerEvent(
        t=t,
        container_id=str(cid),
        name=str(attributes.get("name", ""))[:200],
        action=action.strip(),
        exit_code=exit_code,
        detail=detail.strip(),
    )

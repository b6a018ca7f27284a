"""Minimal HTTP/1.1 request reading and response writing for the demo target (asyncio streams)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

MAX_HEADER_BYTES = 16 * 1024
MAX_BODY_BYTES = 1024 * 1024
MAX_HEADER_LINES = 100
JSON_TYPE = "application/json"

REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    505: "HTTP Version Not Supported",
}


class HttpError(Exception):
    """A request the server refuses; the connection is closed after the error response."""

    def __init__(self, status: int, message: str) -> None:
        """Create the error.

        Args:
            status: HTTP status to answer with.
            message: Text for the JSON `error` field.
        """
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Request:
    """One parsed request."""

    method: str
    path: str
    query: str
    keep_alive: bool
    body: bytes


def _parse_head(head: bytes) -> tuple[str, str, str, bool, int]:
    """Parse the request line and headers: (method, path, query, keep_alive, content_length)."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        raise HttpError(400, "malformed request line")
    method, target, version = parts
    if not (method.isascii() and method.isalpha() and method.isupper()) or not target.startswith("/"):
        raise HttpError(400, "malformed request line")
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise HttpError(505 if version.startswith("HTTP/") else 400, "unsupported HTTP version")
    if len(lines) > MAX_HEADER_LINES:
        raise HttpError(431, "too many header lines")
    connection = ""
    length = -1
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise HttpError(400, "malformed header line")
        lname = name.lower()
        if lname == "content-length":
            value = value.strip()
            if not value.isdigit() or (length >= 0 and int(value) != length):
                raise HttpError(400, "invalid Content-Length")
            length = int(value)
        elif lname == "transfer-encoding":
            raise HttpError(501, "Transfer-Encoding is not supported; send Content-Length")
        elif lname == "connection":
            connection = value.lower()
    # HTTP/1.1 keeps the connection unless told to close; HTTP/1.0 closes unless told to keep it.
    keep_alive = "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection
    path, _, query = target.partition("?")
    return method, path, query, keep_alive, max(length, 0)


async def read_request(reader: asyncio.StreamReader, timeout_s: float) -> Request | None:
    """Read one request, head and body, within `timeout_s`.

    Args:
        reader: The connection's stream (created with `limit=MAX_HEADER_BYTES`).
        timeout_s: Deadline for the whole request, idle time before it included.

    Returns:
        The request, or None when the client closed, went quiet or stopped mid-request.

    Raises:
        HttpError: The request is malformed, too large or unsupported.
    """
    try:
        async with asyncio.timeout(timeout_s):
            head = await reader.readuntil(b"\r\n\r\n")
            method, path, query, keep_alive, length = _parse_head(head[:-4])
            if length > MAX_BODY_BYTES:
                raise HttpError(413, "body too large")
            body = await reader.readexactly(length) if length else b""
    except (asyncio.IncompleteReadError, TimeoutError, ConnectionError):
        return None
    except asyncio.LimitOverrunError:
        raise HttpError(431, "request head too large") from None
    return Request(method, path, query, keep_alive, body)


def build_response(
    status: int,
    body: bytes,
    *,
    keep_alive: bool,
    content_type: str = JSON_TYPE,
    extra: str = "",
) -> bytes:
    """Serialise a complete response.

    Args:
        status: HTTP status.
        body: Response body.
        keep_alive: Whether the connection stays open afterwards.
        content_type: Content-Type header value.
        extra: Additional header lines, each ending in CRLF.

    Returns:
        The bytes to write.
    """
    head = (
        f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n{extra}\r\n"
    )
    return head.encode("latin-1") + body


def json_body(obj: object) -> bytes:
    """Encode a JSON body compactly.

    Args:
        obj: Any JSON-serialisable value.

    Returns:
        UTF-8 bytes.
    """
    return json.dumps(obj, separators=(",", ":")).encode()

"""What loadwatch needs from a k6 sample's tag set, parsed once per distinct tag string."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

# Variable path segments fold into placeholders so /users/17 and /users/42 are one endpoint.
_UUID = re.compile(r"/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?=/|$)")
_HEX = re.compile(r"/[0-9a-fA-F]{16,}(?=/|$)")
_NUM = re.compile(r"/\d+(?=/|$)")


@dataclass(frozen=True, slots=True)
class TagInfo:
    """The parts of an HTTP sample's tags that loadwatch aggregates by."""

    endpoint: str
    status: str
    failed: bool
    error_code: str


def fold_url(url: str) -> str:
    """Drop the query string and fold numeric, UUID and long hex path segments into placeholders."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    path = _UUID.sub("/{uuid}", path)
    path = _HEX.sub("/{hex}", path)
    return _NUM.sub("/{id}", path)


def endpoint_of(tags: dict[str, str]) -> str:
    """The endpoint a request belongs to: k6's `name` tag when the script set one, else method and URL.

    k6 puts the URL in `name` when the script sets none, and puts a script's name in `url` too, so a
    name that is a URL means "unnamed": then the method and the folded URL (scheme dropped) are used.
    """
    name = tags.get("name", "") or tags.get("url", "")
    if name and not name.startswith(("http://", "https://", "ws://", "wss://")):
        return name
    method = tags.get("method", "")
    return f"{method} {fold_url(name.split('://', 1)[-1])}".strip()


def parse_tags(raw: bytes, redact: Callable[[str], str] | None = None) -> TagInfo | None:
    """Parse a tags object from k6's JSON output; None when it is not a JSON object of strings.

    `redact` masks secrets in every tag value first, so nothing named from tags (endpoints, statuses)
    can carry one to the screen, the record or a report.
    """
    try:
        tags = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(tags, dict):
        return None
    str_tags = {str(k): str(v) for k, v in tags.items()}
    if redact is not None:
        str_tags = {k: redact(v) for k, v in str_tags.items()}
    return TagInfo(
        endpoint=endpoint_of(str_tags),
        status=str_tags.get("status", ""),
        failed=str_tags.get("expected_response") == "false",
        error_code=str_tags.get("error_code", ""),
    )


class TagCache:
    """Maps raw tag bytes to TagInfo; bounded, cleared when full (only scripts with huge cardinality)."""

    __slots__ = ("_map", "limit", "misses", "redact")

    def __init__(self, limit: int = 5_000, redact: Callable[[str], str] | None = None) -> None:
        self._map: dict[bytes, TagInfo | None] = {}
        self.limit = limit
        self.misses = 0
        self.redact = redact  # masks secrets in tag values (see parse_tags)

    def get(self, raw: bytes) -> TagInfo | None:
        """The TagInfo for these tags, parsing them on first sight."""
        info = self._map.get(raw, _MISSING)
        if info is not _MISSING:
            return info  # type: ignore[return-value]
        self.misses += 1
        if len(self._map) >= self.limit:
            self._map.clear()
        parsed = parse_tags(raw, self.redact)
        self._map[raw] = parsed
        return parsed


_MISSING = object()

"""A k6 sample's tag set, parsed once per distinct tag string: its dimensions and its table keys."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from runners.k6.tags import endpoint_of

TagPairs = tuple[tuple[str, str], ...]
# Tags that identify where a sample came from in the script, kept when a metric's table is full.
COARSE_TAGS = ("scenario", "group", "check", "status", "expected_response", "method")
# Tags never used as a dimension: the URL is folded into "endpoint"; vu and iter are per-sample ids.
_DROPPED = frozenset(("url", "name", "vu", "iter"))


@dataclass(frozen=True, slots=True)
class TagSet:
    """One distinct tag set: the raw tags, and the keys it is counted under."""

    tags: dict[str, str]
    key: TagPairs  # every dimension, the URL folded into an endpoint
    coarse: TagPairs  # only COARSE_TAGS, for when a metric has too many distinct keys
    dims: tuple[str, str, str | None]  # scenario, group, check (None when not a check's)

    @property
    def scenario(self) -> str:
        """The scenario ("" for setup/teardown)."""
        return self.tags.get("scenario", "")

    @property
    def group(self) -> str:
        """The group path, `::a::b` ("" at the root)."""
        return self.tags.get("group", "")

    def matches(self, selector: TagPairs) -> bool:
        """True when every tag of a sub-metric selector has this value here (k6's sub-metric rule)."""
        tags = self.tags
        return all(tags.get(k) == v for k, v in selector)


def parse_tagset(raw: bytes, redact: Callable[[str], str] | None = None) -> TagSet | None:
    """Parse a tags object from k6's JSON output; None when it is not a JSON object.

    Args:
        raw: The tags object's JSON text.
        redact: Masks secrets in tag values (a check named after a password, a URL with userinfo): every
            name the model shows, records or exports comes from here.

    Returns:
        The tag set, or None.
    """
    try:
        obj = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    tags = {str(k): str(v) for k, v in obj.items()}
    if redact is not None:
        tags = {k: redact(v) for k, v in tags.items()}
    pairs = [(k, v) for k, v in tags.items() if k not in _DROPPED]
    if "url" in tags or "name" in tags:
        pairs.append(("endpoint", endpoint_of(tags)))
    pairs.sort()
    coarse = tuple(sorted((k, tags[k]) for k in COARSE_TAGS if k in tags))
    dims = (tags.get("scenario", ""), tags.get("group", ""), tags.get("check"))
    return TagSet(tags=tags, key=tuple(pairs), coarse=coarse, dims=dims)


class TagSetCache:
    """Raw tag bytes -> TagSet; bounded, cleared when full (only scripts with huge cardinality fill it)."""

    __slots__ = ("_map", "limit", "misses", "redact")

    def __init__(self, limit: int = 2_048, redact: Callable[[str], str] | None = None) -> None:
        self._map: dict[bytes, TagSet | None] = {}
        self.limit = limit
        self.misses = 0
        self.redact = redact

    def get(self, raw: bytes) -> TagSet | None:
        """The TagSet of these tags, parsed on first sight."""
        try:
            return self._map[raw]
        except KeyError:
            pass
        self.misses += 1
        if len(self._map) >= self.limit:
            self._map.clear()
        parsed = self._map[raw] = parse_tagset(raw, self.redact)
        return parsed


def describe(pairs: TagPairs) -> str:
    """`{a:1,b:2}` as k6 writes a sub-metric's tags ("" for none)."""
    return "{" + ",".join(f"{k}:{v}" for k, v in pairs) + "}" if pairs else ""

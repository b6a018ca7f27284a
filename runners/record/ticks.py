"""The record's tick rows: the frame parts of every engine tick, stored as the fields that changed.

A row is a JSON object of the `FrameParts` fields that differ from the previous tick, keyed by the tick's
wall time in milliseconds. Every KEYFRAME_EVERY rows (and first) a key row holds every field, compressed on
its own (`K` + zlib); the rows between (`D` + zlib) are compressed with the previous row's JSON as the
preset dictionary, a third of the size of compressing each alone. So a lost row costs at most the ticks up
to the next key row (zlib checks the dictionary it was given), and reading any row decodes at most that
many. The timeline rebuilds the parts at any instant from the latest change of each field.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import typing
import zlib
from collections import OrderedDict
from typing import Any

from runners.model.run_view import FrameParts
from runners.record.typed_json import from_json, to_json

FIELDS = tuple(f.name for f in dataclasses.fields(FrameParts))
_HINTS = typing.get_type_hints(FrameParts)
_PARSED_ROWS = 64  # rows kept parsed, for playback that reads neighbouring ticks
_LEVEL = 6
KEYFRAME_EVERY = 20  # ticks: 10 s
KEY, DELTA = b"K", b"D"


def tick_ms(t: float) -> int:
    """The key of a tick at wall time `t`."""
    return round(t * 1000)


class TickEncoder:
    """Writer side: turns each tick's parts into a key row or the delta of the fields that changed."""

    def __init__(self) -> None:
        self._last: dict[str, str] = {}
        self._last_value: dict[str, object] = {}  # the object encoded last: the same one needs no encoding
        self._prev = b""
        self._count = 0

    def encode(self, parts: FrameParts) -> bytes:
        """The row for these parts.

        Args:
            parts: The tick's parts.

        Returns:
            `K` + a compressed JSON object of every field, or `D` + the changed ones compressed against the
            previous row.
        """
        key = self._count % KEYFRAME_EVERY == 0 or not self._prev
        self._count += 1
        if key:
            self._last.clear()
        changed: list[str] = []
        for name in FIELDS:
            value = getattr(parts, name)
            if not key and value is self._last_value.get(name, changed):  # frozen: unchanged when the same
                continue
            self._last_value[name] = value
            text = json.dumps(to_json(value), separators=(",", ":"))
            if self._last.get(name) != text:
                self._last[name] = text
                changed.append(f'"{name}":{text}')
        raw = ("{" + ",".join(changed) + "}").encode()
        if key:
            row = KEY + zlib.compress(raw, _LEVEL)
        else:
            packer = zlib.compressobj(_LEVEL, zdict=self._prev)
            row = DELTA + packer.compress(raw) + packer.flush()
        self._prev = raw
        return row

    def forget(self) -> None:
        """Make the next row a key row (after a row may have been lost)."""
        self._prev = b""


class TickTimeline:
    """Reader side: the parts at any instant of a recorded run."""

    def __init__(self, rows: list[tuple[int, bytes]]) -> None:
        """Index the rows.

        Args:
            rows: (tick ms, row as written) in time order.
        """
        self._rows = [data for _, data in rows]
        self.times_ms = [t for t, _ in rows]
        self._raw: OrderedDict[int, bytes | None] = OrderedDict()  # row index -> its JSON (None: lost)
        self._parsed: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._decoded: dict[tuple[str, int], Any] = {}
        self._changes: dict[str, tuple[list[int], list[int]]] = {}  # field -> (tick ms, row index)
        prev: bytes | None = None
        for i, t in enumerate(self.times_ms):
            prev = _unpack(self._rows[i], prev)
            for name in json.loads(prev) if prev is not None else ():
                times, index = self._changes.setdefault(name, ([], []))
                times.append(t)
                index.append(i)

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def first_s(self) -> float | None:
        """Wall time of the first tick."""
        return self.times_ms[0] / 1000 if self.times_ms else None

    @property
    def last_s(self) -> float | None:
        """Wall time of the last tick."""
        return self.times_ms[-1] / 1000 if self.times_ms else None

    def tick_at(self, t: float) -> float | None:
        """Wall time of the latest tick at or before `t` (None before the first)."""
        i = bisect.bisect_right(self.times_ms, tick_ms(t)) - 1
        return self.times_ms[i] / 1000 if i >= 0 else None

    def parts_at(self, t: float) -> FrameParts | None:
        """The parts the screen showed at wall time `t`; None before the first tick or if unreadable."""
        key = tick_ms(t)
        values: dict[str, Any] = {}
        for name, (times, index) in self._changes.items():
            if name not in _HINTS:
                continue  # a field of a newer version
            i = bisect.bisect_right(times, key) - 1
            if i >= 0:
                values[name] = self._field(name, index[i])
        try:
            return FrameParts(**values)
        except TypeError:  # no tick yet, or a row lost a required field
            return None

    def _field(self, name: str, row: int) -> Any:
        key = (name, row)
        if key not in self._decoded:
            if len(self._decoded) > 4 * _PARSED_ROWS * len(FIELDS):
                self._decoded.clear()
            self._decoded[key] = from_json(_HINTS[name], self._row(row)[name])
        return self._decoded[key]

    def _row(self, row: int) -> dict[str, Any]:
        parsed = self._parsed.get(row)
        if parsed is None:
            raw = self._raw_of(row)
            parsed = json.loads(raw) if raw is not None else {}
            self._parsed[row] = parsed
            if len(self._parsed) > _PARSED_ROWS:
                self._parsed.popitem(last=False)
        else:
            self._parsed.move_to_end(row)
        return parsed

    def _raw_of(self, row: int) -> bytes | None:
        if row in self._raw:
            return self._raw[row]
        start = row
        while start > 0 and self._rows[start][:1] == DELTA and start - 1 not in self._raw:
            start -= 1  # back to a key row, or to a row already decoded
        prev = self._raw.get(start - 1) if start > 0 else None
        for i in range(start, row + 1):
            prev = _unpack(self._rows[i], prev)
            self._raw[i] = prev
            if len(self._raw) > 4 * KEYFRAME_EVERY:
                self._raw.popitem(last=False)
        return prev


def _unpack(row: bytes, prev: bytes | None) -> bytes | None:
    """A row's JSON; None when it cannot be read (a delta whose previous row was lost)."""
    try:
        if row[:1] == KEY:
            return zlib.decompress(row[1:])
        if row[:1] == DELTA:
            if prev is None:
                return None
            unpacker = zlib.decompressobj(zdict=prev)
            return unpacker.decompress(row[1:]) + unpacker.flush()
        return zlib.decompress(row)  # rows written before key rows: each compressed alone
    except zlib.error:
        return None
